import { firstValueFrom, take, toArray } from 'rxjs';

import { createClient, PafFilterError, PafRequestError, type Match, type PafClient } from '../../lib/client';
import type { RxpafServer } from '../../lib/server/create-server';
import { addressOf, allConnected, startServer, waitFor } from './helpers';

describe('client against one server', () => {
  let server: RxpafServer;
  const clients: PafClient[] = [];
  const client = (opts: Parameters<typeof createClient>[0] = {}): PafClient => {
    const c = createClient({ addresses: [addressOf(server)], reconnectMax: 0.2, ...opts });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('publishes and discovers a service (appeared, modified, disappeared)', async () => {
    const pub = client();
    const sub = client();
    const got = firstValueFrom(sub.subscribe('(name=foo)').pipe(take(3), toArray()));
    await allConnected(sub, 1);
    const h = pub.publish({ name: 'foo', port: 4711, tags: ['a', 'b'] }, { ttl: 5 });
    await h.synced;
    await h.modify({ name: 'foo', port: 4712 });
    expect(h.generation).toBe(1n);
    await h.unpublish();
    const ms: Match[] = await got;
    expect(ms.map((m) => m.type)).toEqual(['appeared', 'modified', 'disappeared']);
    expect(ms[0]).toEqual({
      type: 'appeared',
      serviceId: h.id,
      generation: 0n,
      props: { name: ['foo'], port: [4711n], tags: ['a', 'b'] },
      ttl: 5,
      clientId: pub.clientId,
    });
    expect(ms[1]!.props).toEqual({ name: ['foo'], port: [4712n] });
    expect(ms[2]).toEqual({ type: 'disappeared', serviceId: h.id });
  });

  it('answers one-shot requests and reports fail reasons as PafRequestError', async () => {
    const c = client();
    const h = c.publish({ name: 'x' });
    await h.synced;
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    const list = await c.services('(name=x)');
    expect(list.map((s) => s.serviceId)).toEqual([h.id]);
    const who = await c.clients();
    expect(who.map((w) => w.clientId)).toContain(c.clientId);
    expect(who[0]!.protocolVersion).toBe(3);
    const session = await c.session();
    await expect(session.request('unpublish', { 'service-id': 12345n })).rejects.toEqual(
      expect.objectContaining({ failReason: 'non-existent-service-id' }),
    );
    await expect(session.request('unpublish', { 'service-id': 12345n })).rejects.toBeInstanceOf(PafRequestError);
  });

  it('rejects a bad filter locally with PafFilterError, before anything is sent', async () => {
    const c = client();
    await allConnected(c, 1);
    await expect(firstValueFrom(c.subscribe('(name=foo'))).rejects.toBeInstanceOf(PafFilterError);
    await expect(c.services('name=foo')).rejects.toBeInstanceOf(PafFilterError);
    expect(await c.subscriptions()).toEqual([]);
  });

  it('keeps subscriptions visible on the server while subscribed, and removes them on unsubscribe', async () => {
    const c = client();
    const s = c.subscribe('(a=b)').subscribe();
    await allConnected(c, 1);
    expect(await c.subscriptions()).toEqual([
      { subscriptionId: expect.any(BigInt), clientId: c.clientId, filter: '(a=b)' },
    ]);
    s.unsubscribe();
    await c.ping();
    expect(await c.subscriptions()).toEqual([]);
  });

  it('services$ holds the current set, membership$ tracks online/orphan/gone', async () => {
    const pub = client();
    const sub = client();
    const h = pub.publish({ group: 'g' }, { ttl: 1 });
    await h.synced;
    const set = await waitFor(sub.services$('(group=g)'), (m) => m.size === 1);
    expect(set.get(h.id)!.props).toEqual({ group: ['g'] });
    const states: string[] = [];
    const done = waitFor(sub.membership$('(group=g)'), (m) => {
      const s = m.get(h.id);
      if (s !== undefined && states[states.length - 1] !== s) states.push(s);
      return s === 'gone';
    });
    await waitFor(sub.services$('(group=g)'), (m) => m.size === 1);
    await pub.close();
    await done;
    expect(states).toEqual(['online', 'orphan', 'gone']);
  });
});

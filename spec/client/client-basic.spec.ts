/**
 * The client against one real rxpafd process: the wire behaviour of publish/modify/unpublish, merged matches,
 * listings, errors, and one server subscription per filter shared by every consumer.
 */
import { firstValueFrom, lastValueFrom, take, toArray, type Subscription } from 'rxjs';

import { clientInternals, createClient, type RxpafClient } from '../../lib/client/client';
import { PafArgumentError, PafError, PafFilterError, PafRequestError, PafUnpublishedError } from '../../lib/errors';
import type { Match } from '../../lib/model';
import { allConnected, Daemon, eventually, startDaemon, waitFor } from './helpers';

describe('client against one rxpafd', () => {
  let daemon: Daemon;
  let addr: string;
  const clients: RxpafClient[] = [];
  const subs: Subscription[] = [];
  const client = (opts: Parameters<typeof createClient>[0] = {}): RxpafClient => {
    const c = createClient({ addresses: [addr], ...opts });
    clients.push(c);
    return c;
  };
  /** A name unique to this test, so tests sharing the daemon do not see each other. */
  let name = '';
  beforeAll(async () => {
    daemon = await startDaemon();
    addr = daemon.addr();
  });
  afterAll(() => daemon.stop());
  beforeEach(() => {
    name = `t${Math.random().toString(36).slice(2)}`;
  });
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('publishes and discovers a service (appeared, modified, disappeared) in the public model', async () => {
    const pub = client();
    const sub = client();
    const got = firstValueFrom(sub.matches$(`(name=${name})`).pipe(take(3), toArray()));
    await allConnected(sub, 1);
    await eventually(async () => (await sub.listSubscriptions()).some((s) => s.filter === `(name=${name})`));
    const h = await pub.publish({ name, port: 4711, tags: ['a', 'b'] }, { ttl: 5 });
    expect(h.generation).toBe(0n);
    await h.modify({ name, port: 4712 });
    expect(h.generation).toBe(1n);
    expect(h.props).toEqual({ name: [name], port: [4712n] });
    await h.unpublish();
    const ms: Match[] = await got;
    expect(ms.map((m) => m.type)).toEqual(['appeared', 'modified', 'disappeared']);
    expect(ms[0]).toEqual({
      type: 'appeared',
      service: {
        id: h.id,
        generation: 0n,
        props: { name: [name], port: [4711n], tags: ['a', 'b'] },
        ttl: 5,
        clientId: pub.clientId,
      },
    });
    expect(ms[1]!.service.props).toEqual({ name: [name], port: [4712n] });
    expect(ms[2]).toEqual({ type: 'disappeared', service: ms[1]!.service });
  });

  it('answers one-shot requests; a server refusal is a PafRequestError with the fail reason', async () => {
    const c = client();
    const h = await c.publish({ name });
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
    expect((await c.listServices(`(name=${name})`)).map((s) => s.id)).toEqual([h.id]);
    const who = await c.listClients();
    const me = who.find((w) => w.clientId === c.clientId)!;
    expect(me.protocolVersion).toBe(3);
    expect(me.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    const unpublish = lastValueFrom(clientInternals(c).transact('unpublish', { 'service-id': 12345n }));
    await expect(unpublish).rejects.toBeInstanceOf(PafRequestError);
    await expect(lastValueFrom(clientInternals(c).transact('unpublish', { 'service-id': 12345n }))).rejects.toEqual(
      expect.objectContaining({ failReason: 'non-existent-service-id', code: 'PAF_REQUEST_FAILED' }),
    );
    // libpaf's rule: the same id and generation with other properties is refused
    const other = client();
    const clash = other.publish({ name, x: 1 }, { id: h.id });
    await expect(clash).rejects.toEqual(expect.objectContaining({ failReason: 'same-generation-but-different' }));
  });

  it('rejects bad arguments with PafArgumentError and a bad filter with PafFilterError, before anything is sent', async () => {
    const c = client();
    await allConnected(c, 1);
    await expect(c.publish({ name }, { ttl: -1 })).rejects.toBeInstanceOf(PafArgumentError);
    await expect(c.publish({ name, x: 1.5 })).rejects.toBeInstanceOf(PafArgumentError);
    await expect(c.publish({ name }, { id: -1n })).rejects.toBeInstanceOf(PafArgumentError);
    await expect(c.ping(-1)).rejects.toBeInstanceOf(PafArgumentError);
    await expect(firstValueFrom(c.matches$('(name=foo'))).rejects.toBeInstanceOf(PafFilterError);
    await expect(c.listServices('name=foo')).rejects.toBeInstanceOf(PafFilterError);
    expect((await c.listSubscriptions()).filter((s) => s.clientId === c.clientId)).toEqual([]);
    expect((await c.listServices(`(name=${name})`)).length).toBe(0);
    const h = await c.publish({ name });
    await h.unpublish();
    await expect(h.modify({ name })).rejects.toBeInstanceOf(PafUnpublishedError);
    await expect(h.setTtl(3)).rejects.toBeInstanceOf(PafError);
  });

  it('publishes from a given generation; lists every service without a filter; unpublish twice resolves', async () => {
    const c = client();
    const h = await c.publish({ name }, { generation: 5n, ttl: 7 });
    expect(h.generation).toBe(5n);
    await h.modify({ name, v: 2 });
    const all = await c.listServices();
    expect(all.find((s) => s.id === h.id)).toEqual(
      expect.objectContaining({ generation: 6n, props: { name: [name], v: [2n] }, ttl: 7 }),
    );
    await h.unpublish();
    expect((await c.listServices()).some((s) => s.id === h.id)).toBe(false);
    await expect(h.unpublish()).resolves.toBeUndefined(); // idempotent
    await expect(h.modify({ name })).rejects.toBeInstanceOf(PafUnpublishedError);
  });

  it('shares one server subscription between consumers of a filter; the last unsubscribe removes it on the server', async () => {
    const c = client();
    const observer = client();
    const mine = async (): Promise<number> =>
      (await observer.listSubscriptions()).filter((s) => s.clientId === c.clientId).length;
    subs.push(c.matches$(`(name=${name})`).subscribe());
    subs.push(c.services$(`(name=${name})`).subscribe());
    subs.push(c.membership$(`(name=${name})`).subscribe());
    await eventually(async () => (await mine()) === 1);
    subs.push(c.matches$(`(name=other)`).subscribe());
    await eventually(async () => (await mine()) === 2);
    subs.splice(0, 2).forEach((s) => s.unsubscribe());
    await c.ping();
    expect(await mine()).toBe(2);
    subs.splice(0).forEach((s) => s.unsubscribe());
    await eventually(async () => (await mine()) === 0);
  });

  it('services$ holds the current set; membership$ sees the owner go (orphan); both can be subscribed twice', async () => {
    const pub = client();
    const sub = client();
    const h = await pub.publish({ group: name }, { ttl: 60 });
    const set = await waitFor(sub.services$(`(group=${name})`), (m) => m.size === 1);
    expect(set.get(h.id)!.props).toEqual({ group: [name] });
    const again = await waitFor(sub.services$(`(group=${name})`), (m) => m.size === 1);
    expect([...again.keys()]).toEqual([h.id]);
    const orphan = waitFor(sub.membership$(`(group=${name})`), (m) => m.get(h.id) === 'orphan');
    await waitFor(sub.membership$(`(group=${name})`), (m) => m.get(h.id) === 'online');
    await pub.close();
    const seen = await orphan;
    expect(seen.size).toBe(1);
    const [s] = await sub.listServices(`(group=${name})`);
    expect(s!.orphanSince).toBeGreaterThan(0);
  });

  it('connections$ reports the current state first, then changes; close completes it', async () => {
    const c = client();
    await allConnected(c, 1);
    const states: string[] = [];
    const done = new Promise<void>((resolve) =>
      subs.push(
        c.connections$.subscribe({
          next: (s) => states.push(`${s.state}:${s.protocolVersion ?? '-'}`),
          complete: resolve,
        }),
      ),
    );
    await c.close();
    await done;
    expect(states).toEqual(['connected:3', 'disconnected:-']);
  });
});

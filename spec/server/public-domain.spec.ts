/**
 * The public server API (`rxpaf/server`) against a real server and a raw protocol client: everything it emits is in
 * the public model (plain objects, bigint ids), matches$/services$ have the client's semantics, observables are
 * cold and independent per subscription, and no internal state is reachable.
 */
import { expect } from '@jest/globals';
import { filter, firstValueFrom, type Observable, take, toArray } from 'rxjs';
import {
  createServer,
  PafError,
  PafFilterError,
  type RxpafServer,
  type ServerDomain,
  type Service,
  toJson,
} from 'rxpaf/server';

import { RawClient } from '../helpers/raw-client';

const publish = (c: RawClient, taId: number, id: number | bigint, props: string, gen = 0): void =>
  c.send(
    `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":${gen},"service-props":${props},"ttl":7}`,
  );

const collect = <T>(o: Observable<T>, n: number): Promise<T[]> => firstValueFrom(o.pipe(take(n), toArray()));

describe('rxpaf/server public API', () => {
  let server: RxpafServer;
  let domain: ServerDomain;
  let client: RawClient;

  beforeEach(async () => {
    server = await createServer({ domains: [{ name: 'd', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    domain = server.domains[0]!;
    client = await RawClient.open(domain.addresses[0]!);
    await client.hello(77);
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('exposes only the public members', () => {
    expect(Object.keys(server).sort()).toEqual(['close', 'domains', 'start']);
    expect(Object.keys(domain).sort()).toEqual(
      ['addresses', 'changes$', 'connections$', 'index', 'matches$', 'name', 'services$', 'snapshot'].sort(),
    );
    expect(domain.name).toBe('d');
    expect(domain.addresses[0]).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
  });

  it('changes$ emits ServiceChange objects in the public model; snapshot() already shows them', async () => {
    const seen: string[] = [];
    const changes = collect(domain.changes$, 3);
    domain.changes$.pipe(take(1)).subscribe(() => seen.push(`services=${domain.snapshot().services.length}`));
    publish(client, 1, 9223372036854775807n, '{"name":["foo"],"port":[4711]}');
    await client.next();
    publish(client, 2, 9223372036854775807n, '{"name":["foo"],"port":[4712]}', 1);
    await client.next();
    client.send('{"ta-cmd":"unpublish","ta-id":3,"msg-type":"request","service-id":9223372036854775807}');
    await client.next();
    const [added, modified, removed] = await changes;
    const svc: Service = {
      id: 9223372036854775807n,
      generation: 0n,
      props: { name: ['foo'], port: [4711n] },
      ttl: 7,
      clientId: 77n,
    };
    expect(added).toEqual({ type: 'added', service: svc });
    expect(modified).toEqual({
      type: 'modified',
      service: { ...svc, generation: 1n, props: { name: ['foo'], port: [4712n] } },
      previous: svc,
    });
    expect(removed).toMatchObject({ type: 'removed', service: { generation: 1n } });
    expect(Object.getPrototypeOf(added!.service.props)).toBe(Object.prototype);
    expect(toJson(added)).toBe(
      '{"type":"added","service":{"id":9223372036854775807,"generation":0,"props":{"name":["foo"],"port":[4711]},"ttl":7,"clientId":77}}',
    );
    expect(seen).toEqual(['services=1']);
  });

  it('matches$: current matches first, then live changes; cold and independent per subscription', async () => {
    publish(client, 1, 1, '{"name":["a"]}');
    publish(client, 2, 2, '{"name":["b"]}');
    await client.next();
    await client.next();
    const matches$ = domain.matches$('(name=a)');
    const first = collect(matches$, 3);
    const second = collect(matches$, 1);
    publish(client, 3, 1, '{"name":["a"],"x":["1"]}', 1);
    await client.next();
    publish(client, 4, 1, '{"name":["c"]}', 2); // no longer matches
    await client.next();
    expect((await first).map((m) => `${m.type} ${m.service.id} ${m.service.generation}`)).toEqual([
      'appeared 1 0',
      'modified 1 1',
      'disappeared 1 1',
    ]);
    expect((await second).map((m) => m.type)).toEqual(['appeared']);
    // a late subscriber sees the current state, not the history
    expect(await collect(domain.matches$('(name=c)'), 1)).toMatchObject([{ type: 'appeared', service: { id: 1n } }]);
  });

  it('changes$, services$ and connections$: two subscriptions are independent (ending one leaves the other)', async () => {
    const changesA = collect(domain.changes$, 2);
    const changesB = collect(domain.changes$, 1); // completes after the first change: A must still see the second
    const setsA = collect(domain.services$('(name=*)'), 3);
    const setsB = collect(domain.services$('(name=*)'), 2);
    const connsA = collect(domain.connections$, 2);
    const connsB = collect(domain.connections$, 1);
    const other = await RawClient.open(domain.addresses[0]!);
    publish(client, 1, 1, '{"name":["a"]}');
    await client.next();
    publish(client, 2, 2, '{"name":["b"]}');
    await client.next();
    other.close();
    expect((await changesA).map((c) => `${c.type} ${c.service.id}`)).toEqual(['added 1', 'added 2']);
    expect((await changesB).map((c) => `${c.type} ${c.service.id}`)).toEqual(['added 1']);
    expect((await setsA).map((m) => [...m.keys()])).toEqual([[], [1n], [1n, 2n]]);
    expect((await setsB).map((m) => [...m.keys()])).toEqual([[], [1n]]);
    expect((await connsA).map((e) => e.type)).toEqual(['accepted', 'closed']);
    expect((await connsB).map((e) => e.type)).toEqual(['accepted']);
  });

  it('a bad filter errors with PafFilterError on subscribe, not on call', async () => {
    const bad$ = domain.matches$('(name=');
    await expect(firstValueFrom(bad$)).rejects.toBeInstanceOf(PafFilterError);
    await expect(firstValueFrom(domain.services$('nope'))).rejects.toMatchObject({ code: 'PAF_INVALID_FILTER' });
  });

  it('services$: the matching set first, then one new map per change batch', async () => {
    publish(client, 1, 1, '{"name":["a"]}');
    await client.next();
    const sets = collect(domain.services$('(name=*)'), 3);
    publish(client, 2, 2, '{"name":["b"]}');
    await client.next();
    client.send('{"ta-cmd":"unpublish","ta-id":3,"msg-type":"request","service-id":1}');
    await client.next();
    expect((await sets).map((m) => [...m.keys()])).toEqual([[1n], [1n, 2n], [2n]]);
  });

  it('services$ and matches$ list a large directory in slices across turns, losing nothing published meanwhile', async () => {
    const n = 4500;
    let ta = 10;
    for (let i = 0; i < n; i++) publish(client, ta++, 1000 + i, `{"k":[${i}]}`);
    for (let i = 0; i < n; i++) await client.next();
    let synchronously = 0;
    const all = collect(domain.matches$(), n + 1);
    const sub = domain.matches$().subscribe(() => synchronously++);
    const counted = synchronously;
    sub.unsubscribe();
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(n);
    publish(client, ta++, 1, '{"late":["yes"]}');
    await client.next();
    const got = await all;
    expect(new Set(got.map((m) => m.service.id)).size).toBe(n + 1);
    expect(got[n]).toMatchObject({ type: 'appeared', service: { id: 1n } });
    const [set] = await collect(domain.services$(), 1);
    expect(set!.size).toBe(n + 1);
  });

  it('snapshot() lists services, clients and subscriptions as plain objects', async () => {
    publish(client, 1, 5, '{"name":["a"]}');
    await client.next();
    client.send('{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":9,"filter":"(name=a)"}');
    await client.next();
    const s = domain.snapshot();
    expect(s.services).toEqual([{ id: 5n, generation: 0n, props: { name: ['a'] }, ttl: 7, clientId: 77n }]);
    expect(s.subscriptions).toEqual([{ id: 9n, clientId: 77n, filter: '(name=a)' }]);
    expect(s.clients).toHaveLength(1);
    expect(s.clients[0]).toMatchObject({ clientId: 77n, protocolVersion: 3 });
    expect(s.clients[0]!.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(typeof s.clients[0]!.connectedAt).toBe('number');
    expect(Array.isArray(s.services)).toBe(true);
  });

  it('snapshot(): a client gone (its services orphans) is not listed; a subscription without filter has no filter', async () => {
    const other = await RawClient.open(domain.addresses[0]!);
    await other.hello(78);
    publish(other, 1, 6, '{"name":["b"]}');
    await other.next();
    const closed = collect(domain.connections$, 1);
    other.close();
    expect(await closed).toEqual([expect.objectContaining({ type: 'closed' })]);
    client.send('{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":10}');
    await client.next(); // accept
    await client.next(); // the orphan appears to the new subscription
    const s = domain.snapshot();
    expect(s.services).toEqual([expect.objectContaining({ id: 6n, clientId: 78n, orphanSince: expect.any(Number) })]);
    expect(s.clients.map((c) => c.clientId)).toEqual([77n]);
    expect(s.subscriptions).toEqual([{ id: 10n, clientId: 77n }]);
  });

  it('connections$ reports accepted and closed connections', async () => {
    const events = collect(domain.connections$, 2);
    const other = await RawClient.open(domain.addresses[0]!);
    other.close();
    const [accepted, closed] = await events;
    expect(accepted).toMatchObject({ type: 'accepted', address: expect.stringMatching(/^tcp:/) });
    expect(closed).toEqual({ type: 'closed', connection: accepted!.connection, by: 'peer', reason: 'eof' });
  });

  it('close(): a `closed` event (by the server, reason shutdown) for each connection still open, then completion', async () => {
    const events = firstValueFrom(domain.connections$.pipe(toArray()));
    const gone = await RawClient.open(domain.addresses[0]!);
    const open = await RawClient.open(domain.addresses[0]!);
    const peerClosed = firstValueFrom(domain.connections$.pipe(filter((e) => e.type === 'closed')));
    gone.close();
    await peerClosed;
    await server.close();
    await open.waitClosed();
    const seen = await events; // completed after the shutdown closes
    const [g, o] = seen.filter((e) => e.type === 'accepted').map((e) => e.connection);
    // `client` of beforeEach was accepted before the subscription: its close is reported all the same
    const first = seen.find((e) => e.type === 'closed' && e.connection !== g && e.connection !== o)!.connection;
    expect(seen).toEqual([
      expect.objectContaining({ type: 'accepted', connection: g }),
      expect.objectContaining({ type: 'accepted', connection: o }),
      { type: 'closed', connection: g, by: 'peer', reason: 'eof' },
      { type: 'closed', connection: first, by: 'server', reason: 'shutdown' },
      { type: 'closed', connection: o, by: 'server', reason: 'shutdown' },
    ]);
  });

  it('completes every observable on close()', async () => {
    const done = firstValueFrom(domain.changes$.pipe(toArray()));
    const matchesDone = firstValueFrom(domain.matches$().pipe(toArray()));
    publish(client, 1, 3, '{"a":["b"]}');
    await client.next();
    await server.close();
    // shutdown disconnects every client: its services are orphaned as the observables complete
    expect((await done).map((c) => c.type)).toEqual(['added', 'modified']);
    expect((await matchesDone).map((c) => `${c.type} ${c.service.orphanSince !== undefined}`)).toEqual([
      'appeared false',
      'modified true',
    ]);
  });
});

describe('createServer errors', () => {
  it('rejects unusable settings with PafConfigError and bad or busy addresses with PafTransportError', async () => {
    await expect(
      createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { protocolMin: 4 } }] }),
    ).rejects.toMatchObject({ name: 'PafConfigError', code: 'PAF_CONFIG' });
    await expect(createServer({ domains: [{ sockets: [{ addr: 'bogus:1' }] }] })).rejects.toMatchObject({
      code: 'PAF_TRANSPORT',
      errno: 'EINVAL',
    });
    const first = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const busy = createServer({ domains: [{ sockets: [{ addr: first.domains[0]!.addresses[0]! }] }] });
    await expect(busy).rejects.toBeInstanceOf(PafError);
    await expect(busy).rejects.toMatchObject({ code: 'PAF_TRANSPORT', errno: 'EADDRINUSE' });
    await first.close();
  });
});

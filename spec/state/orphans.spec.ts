/** §7.5 client disconnect, §7.6 orphan timers and expiry, §7.7 reclaiming orphans, B2. */
import type { Effect } from '../../lib/state/effects';
import { hasWork } from '../../lib/state/work';
import { Domain, T0 } from '../helpers/builders';

const U1 = 'ip:10.0.0.1';
const U2 = 'ip:10.0.0.2';

/** Watcher: client 99 on conn 9 (v2, so never closed for idleness) subscribed to everything with ta-id 200. */
const watched = (settings = {}): Domain =>
  new Domain(settings).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
const notifies = (d: Domain) => d.takeParsed(9).filter((m) => m['msg-type'] === 'notify');
const disappeared = (id: number) => ({
  'ta-cmd': 'subscribe',
  'ta-id': 200,
  'msg-type': 'notify',
  'match-type': 'disappeared',
  'service-id': id,
});

describe('[§7.5] client disconnect', () => {
  it('[§7.5] all services of one connection get the same sub-second orphan-since, in attachment order', () => {
    const d = watched();
    d.connect(1, 7).publish(1, 30, 0, {}, 10).publish(1, 10, 0, {}, 5).publish(1, 20, 0, {}, 7).clear();
    d.at(1.234567).close(1);
    const n = notifies(d);
    expect(n.map((m) => [m['match-type'], m['service-id']])).toEqual([
      ['modified', 30],
      ['modified', 10],
      ['modified', 20],
    ]);
    const since = n.map((m) => m['orphan-since']);
    expect(new Set(since).size).toBe(1);
    expect(since[0]).toBe(T0 + 1.234567);
    expect(d.state.services.get(10n)!.orphanSince).toBe(T0 + 1.234567);
  });

  it('[§7.5 §7.9] republishing with a new generation and TTL keeps the attachment order', () => {
    const d = watched();
    d.connect(1, 7).publish(1, 30, 0, {}, 10).publish(1, 10, 0, {}, 5).publish(1, 20, 0, {}, 7);
    d.publish(1, 30, 1, {}, 3).clear();
    d.at(1).close(1);
    expect(notifies(d).map((m) => m['service-id'])).toEqual([30, 10, 20]);
  });

  it('[§7.5] subscriptions of the closed connection vanish silently and free their ids and resources', () => {
    const d = watched();
    d.connect(1, 7)
      .subscribe(1, 5, '(a=*)')
      .publish(9, 1, 0, { a: ['1'] }, 10)
      .clear();
    d.close(1);
    expect(d.take(1)).toEqual([]);
    expect(notifies(d)).toEqual([]);
    expect(d.state.subscriptions.has(5n)).toBe(false);
    expect(d.state.used.subscriptions).toBe(1);
    d.subscribe(9, 5, undefined, 201);
    expect(d.takeParsed(9)[0]).toEqual({ 'ta-cmd': 'subscribe', 'ta-id': 201, 'msg-type': 'accept' });
  });

  it('[§7.5] a client without services is forgotten at disconnect; the id is then free for another user', () => {
    const d = new Domain();
    d.connect(1, 7, { user: U1 }).close(1);
    expect(d.state.clients.has(7n)).toBe(false);
    expect(d.state.records.size).toBe(0);
    d.connect(2, 7, { user: U2 });
    expect(d.takeParsed(2)[0]).toMatchObject({ 'msg-type': 'complete' });
  });

  it('[§7.5] services transferred away before the disconnect are not affected (test_orphan_race)', () => {
    const d = watched();
    // client 8 speaks v2, so it is never closed for idleness while we wait
    d.connect(1, 7, { user: U1 }).connect(2, 8, { user: U1, max: 2 }).publish(1, 42, 0, {}, 1).publish(2, 42, 0, {}, 1);
    d.clear().at(0.5).close(1);
    expect(notifies(d)).toEqual([]);
    d.at(5);
    expect(notifies(d)).toEqual([]);
    expect(d.state.services.get(42n)).toMatchObject({ clientId: 8n, orphanSince: undefined });
    expect(d.state.clients.has(7n)).toBe(false);
  });
});

describe('[§7.6] orphan expiry', () => {
  it.each([
    [0.5, 2],
    [1.25, 3],
    [0.1, 1],
    [3, 30],
  ])('[§7.6] orphaned at %s with TTL %s → disappeared exactly at orphan_since + ttl, not before', (at, ttl) => {
    const d = watched();
    d.connect(1, 7).publish(1, 42, 0, {}, ttl).clear().at(at).close(1);
    expect(notifies(d)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'orphan-since': T0 + at })]);
    const expiry = T0 + at + ttl;
    d.at(expiry - T0 - 0.001);
    expect(notifies(d)).toEqual([]);
    expect(d.state.services.has(42n)).toBe(true);
    d.at(expiry - T0);
    expect(d.takeSent(9)).toEqual([{ at: expiry - T0, msg: disappeared(42) }]);
    expect(d.state.services.has(42n)).toBe(false);
    expect(d.state.used.services).toBe(0);
    expect(d.state.clients.has(7n)).toBe(false);
    expect(d.state.records.has(1)).toBe(false);
  });

  it('[§7.6] one coarse tick past several expiries processes them in expiry order', () => {
    const d = watched();
    d.connect(1, 7).publish(1, 1, 0, {}, 3).publish(1, 2, 0, {}, 1).publish(1, 3, 0, {}, 2).close(1).clear();
    d.jump(10);
    expect(notifies(d).map((m) => m['service-id'])).toEqual([2, 3, 1]);
  });

  it('[§7.6] TTL 0 → modified at the disconnect, disappeared at the next event (the work event of the same turn)', () => {
    const d = watched();
    d.connect(1, 7)
      .publish(1, 42, 0, { a: ['b'] }, 0)
      .clear();
    d.at(2);
    const matchTypes = (fx: readonly Effect[]): unknown[] =>
      fx.flatMap((f) => (f.type === 'send' ? [f.msg['match-type' as keyof typeof f.msg]] : []));
    // a close expires no orphan (close rule 'close-first', lib/state/work.ts): the expiry due is queued work
    expect(matchTypes(d.step({ type: 'closed', now: d.now, conn: 1, cause: 'eof' }))).toEqual(['modified']);
    expect(hasWork(d.state)).toBe(true);
    expect(matchTypes(d.step({ type: 'work', now: d.now }))).toEqual(['disappeared']);
    expect(d.state.services.size).toBe(0);
  });

  it('[§7.6] test_orphan_ordering: 100 services with TTL 0..3 disappear in non-decreasing TTL order', () => {
    const d = watched();
    d.connect(1, 7);
    const ttlOf = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const ttl = (i * 7 + 3) % 4;
      ttlOf.set(1000 + i, ttl);
      d.publish(1, 1000 + i, 0, { i: [i] }, ttl);
    }
    d.clear().at(0.3).close(1).drain().at(5); // the server feeds work events after a big close (lib/state/work.ts)
    const gone = d.takeSent(9).filter((s) => s.msg['match-type'] === 'disappeared');
    expect(gone).toHaveLength(100);
    const ttls = gone.map((s) => ttlOf.get(s.msg['service-id'] as number)!);
    expect(ttls).toEqual([...ttls].sort((a, b) => a - b));
    for (const s of gone) expect(s.at).toBeCloseTo(0.3 + ttlOf.get(s.msg['service-id'] as number)!, 5);
  });
});

describe('[§7.7] reclaiming orphans', () => {
  it.each([
    ['the same client', 7, 0],
    ['a different client of the same user', 8, 0],
    ['the same client, higher generation', 7, 1],
    ['a different client, higher generation', 8, 1],
  ])('[§7.7] reclaim by %s → modified (new owner, no orphan-since), never expires', (_n, client, gen) => {
    const d = watched();
    d.connect(1, 7, { user: U1 })
      .publish(1, 42, 0, { a: ['1'] }, 2)
      .clear()
      .at(1)
      .close(1);
    expect(notifies(d)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'orphan-since': T0 + 1 })]);
    d.at(1.5)
      .connect(2, client, { user: U1 })
      .publish(2, 42, gen, { a: ['1'] }, 2);
    const n = notifies(d);
    expect(n).toEqual([expect.objectContaining({ 'match-type': 'modified', 'client-id': client, generation: gen })]);
    expect(n[0]).not.toHaveProperty('orphan-since');
    d.ping(2, 1).at(5); // 2 s past the TTL
    expect(notifies(d)).toEqual([]);
    expect(d.state.services.get(42n)).toMatchObject({ orphanSince: undefined, clientId: BigInt(client), record: 2 });
  });

  it('[§7.7] a different user cannot reclaim: permission-denied, the orphan expires on time', () => {
    const d = watched();
    d.connect(1, 7, { user: U1 }).publish(1, 42, 0, {}, 2).at(1).close(1);
    d.connect(2, 8, { user: U2 }).publish(2, 42, 0, {}, 2).publish(2, 42, 1, {}, 2, 102).clear();
    notifies(d);
    d.at(3);
    expect(notifies(d)).toEqual([disappeared(42)]);
  });

  it('[§7.7 B2] a transfer prunes the victim’s stale client record, so another user may later use that id', () => {
    const d = watched();
    d.connect(1, 7, { user: U1 }).publish(1, 42, 0, {}, 60).at(1).close(1);
    expect(d.state.clients.has(7n)).toBe(true); // held by the orphan
    d.connect(2, 8, { user: U1 }).publish(2, 42, 0, {}, 60);
    expect(d.state.clients.has(7n)).toBe(false);
    expect(d.state.records.has(1)).toBe(false);
    d.connect(3, 7, { user: U2 });
    expect(d.takeParsed(3)).toEqual([{ 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'complete', 'protocol-version': 3 }]);
  });

  it('[§7.7 B2] a transfer away from a connected client keeps that client and its active record', () => {
    const d = watched();
    d.connect(1, 7, { user: U1 }).connect(2, 8, { user: U1 }).publish(1, 42, 0, {}, 60).publish(2, 42, 0, {}, 60);
    expect(d.state.clients.get(7n)).toMatchObject({ active: 1, records: [1] });
    expect(d.state.records.get(1)!.services.size).toBe(0);
  });
});

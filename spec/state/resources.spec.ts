/** §10.3 resource limits: totals and per-user limits, release paths, limit 0, the connection cap (A4). */
import { expect } from '@jest/globals';
import type { DomainSettings, ResourceLimits } from '../../lib/state/model';
import { Domain } from '../helpers/builders';
import { hamtHas } from '../../lib/util/hamt';

const U1 = 'ip:10.0.0.1';
const U2 = 'ip:10.0.0.2';

const limited = (cls: 'total' | 'user', limits: ResourceLimits): Partial<DomainSettings> => ({
  limits: { total: cls === 'total' ? limits : {}, user: cls === 'user' ? limits : {} },
});
const last = (d: Domain, conn: number) => d.takeParsed(conn).pop();
const insufficient = expect.objectContaining({ 'msg-type': 'fail', 'fail-reason': 'insufficient-resources' });
const ok = expect.objectContaining({ 'msg-type': 'complete' });

describe('[§10.3] clients', () => {
  it('[§10.3] per-user client limit: the third hello of a user fails, another user is unaffected, a disconnect releases', () => {
    const d = new Domain(limited('user', { clients: 2 }));
    d.connect(1, 1, { user: U1 }).connect(2, 2, { user: U1 }).connect(3, 3, { user: U1 });
    expect(last(d, 3)).toEqual(insufficient);
    d.connect(4, 4, { user: U2 });
    expect(last(d, 4)).toEqual(ok);
    expect(d.state.used.clients).toBe(3);
    expect(d.state.usedByUser.get(U1)?.clients).toBe(2);
    d.close(1).hello(3, 3, 2, 3, 1);
    expect(last(d, 3)).toEqual(ok);
    expect(d.state.usedByUser.get(U1)?.clients).toBe(2);
  });

  it('[§10.3] per-user limit 0: no hello succeeds for anybody', () => {
    const d = new Domain(limited('user', { clients: 0 }));
    d.connect(1, 1, { user: U1 }).connect(2, 2, { user: U2 });
    expect(last(d, 1)).toEqual(insufficient);
    expect(last(d, 2)).toEqual(insufficient);
    expect(d.state.clients.size).toBe(0);
  });

  it('[§10.3 A4] total.clients caps open connections (clientless included): a surplus connection waits, unanswered, without a deadline', () => {
    const d = new Domain(limited('total', { clients: 2 }));
    d.connect(1, 1).accept(2).accept(3);
    expect(d.isOpen(3)).toBe(true);
    expect(d.closes()).toEqual([]);
    expect([...d.state.waiting]).toEqual([3]);
    d.hello(3, 3);
    expect(d.take(3)).toEqual([]); // the over-limit client never gets a hello complete while it waits
    d.at(60); // no handshake deadline while waiting (the admitted connection 2 without hello is closed at 2.5 s)
    expect(d.isOpen(2)).toBe(false);
    // connection 2's slot went to 3: its hello, sent while waiting, is answered now
    expect(last(d, 3)).toEqual(ok);
    expect([...d.state.waiting]).toEqual([]);
  });

  it('[§10.3 A4] waiting connections are admitted oldest first as slots free; the handshake deadline starts at admission', () => {
    const d = new Domain(limited('total', { clients: 1 }));
    d.connect(1, 1).accept(2).accept(3).accept(4);
    expect([...d.state.waiting]).toEqual([2, 3, 4]);
    d.close(3); // a waiting connection that goes away leaves the queue
    expect([...d.state.waiting]).toEqual([2, 4]);
    d.at(2).close(1); // long after the 2.5 s a connection has for its hello, had it been admitted
    expect([...d.state.waiting]).toEqual([4]);
    d.at(4); // connection 2 admitted at 2: still within its 2.5 s
    expect(d.isOpen(2)).toBe(true);
    d.at(4.6); // 2.5 s after admission without hello: closed, and 4 takes the slot
    expect(d.isOpen(2)).toBe(false);
    expect([...d.state.waiting]).toEqual([]);
    d.hello(4, 4);
    expect(last(d, 4)).toEqual(ok);
    d.accept(5);
    expect([...d.state.waiting]).toEqual([5]);
  });

  it('[§10.3] total.clients 0 closes every connection', () => {
    const d = new Domain(limited('total', { clients: 0 }));
    d.connect(1, 1);
    expect(d.isOpen(1)).toBe(false);
    expect(d.take(1)).toEqual([]);
  });

  it('[§10.3] a handshake timeout frees a slot under the cap', () => {
    const d = new Domain(limited('total', { clients: 1 }));
    d.accept(1).at(2.5).accept(2).hello(2, 2);
    expect(last(d, 2)).toEqual(ok);
  });
});

describe.each(['total', 'user'] as const)('[§10.3] %s limits', (cls) => {
  it(`[§10.3] ${cls} services: the third new service fails; republish and transfer do not allocate; unpublish releases`, () => {
    const d = new Domain(limited(cls, { services: 2 }));
    d.connect(1, 1, { user: U1 }).connect(2, 2, { user: U1 });
    d.publish(1, 10, 0, {}, 60).publish(1, 11, 0, {}, 60).clear().publish(1, 12, 0, {}, 60);
    expect(last(d, 1)).toEqual(insufficient);
    expect(d.state.services.has(12n)).toBe(false);
    d.publish(1, 10, 1, {}, 60).publish(2, 11, 0, {}, 60);
    expect(last(d, 1)).toEqual(ok);
    expect(last(d, 2)).toEqual(ok);
    expect(d.state.used.services).toBe(2);
    d.unpublish(2, 11).publish(1, 12, 0, {}, 60);
    expect(last(d, 1)).toEqual(ok);
  });

  it(`[§10.3] ${cls} services: orphans keep their resource until they expire`, () => {
    const d = new Domain(limited(cls, { services: 1 }));
    d.connect(1, 1, { user: U1 }).publish(1, 10, 0, {}, 3).at(1).close(1);
    d.connect(2, 2, { user: U1 }).clear().publish(2, 11, 0, {}, 3);
    expect(last(d, 2)).toEqual(insufficient);
    d.at(4).publish(2, 11, 0, {}, 3);
    expect(last(d, 2)).toEqual(ok);
  });

  it(`[§10.3] ${cls} subscriptions: the third fails; unsubscribe and disconnect release`, () => {
    const d = new Domain(limited(cls, { subscriptions: 2 }));
    d.connect(1, 1, { user: U1 }).connect(2, 2, { user: U1 });
    d.subscribe(1, 1, undefined, 1).subscribe(2, 2, undefined, 1).clear().subscribe(2, 3, undefined, 2);
    expect(last(d, 2)).toEqual(insufficient);
    expect(hamtHas(d.state.conns.get(2)!.txs, 2n)).toBe(false);
    d.unsubscribe(2, 2, 3).subscribe(2, 3, undefined, 2);
    expect(d.takeParsed(2).pop()).toEqual({ 'ta-cmd': 'subscribe', 'ta-id': 2, 'msg-type': 'accept' });
    d.close(1).subscribe(2, 4, undefined, 4);
    expect(d.takeParsed(2).pop()).toEqual({ 'ta-cmd': 'subscribe', 'ta-id': 4, 'msg-type': 'accept' });
    expect(d.state.used.subscriptions).toBe(2);
  });

  it(`[§10.3] ${cls} limit 0 for services and subscriptions: nothing allowed`, () => {
    const d = new Domain(limited(cls, { services: 0, subscriptions: 0 }));
    d.connect(1, 1).clear().publish(1, 1, 0, {}, 1).subscribe(1, 1);
    expect(d.takeParsed(1)).toEqual([
      { 'ta-cmd': 'publish', 'ta-id': 100, 'msg-type': 'fail', 'fail-reason': 'insufficient-resources' },
      { 'ta-cmd': 'subscribe', 'ta-id': 200, 'msg-type': 'fail', 'fail-reason': 'insufficient-resources' },
    ]);
    expect(d.state.used).toEqual({ clients: 1, services: 0, subscriptions: 0 });
  });
});

describe('[§10.3] per-user accounting', () => {
  it('[§10.3] per-user limits count each user separately; totals count everybody', () => {
    const d = new Domain({ limits: { total: { services: 3 }, user: { services: 2 } } });
    d.connect(1, 1, { user: U1 }).connect(2, 2, { user: U2 });
    d.publish(1, 1, 0, {}, 9).publish(1, 2, 0, {}, 9).publish(2, 3, 0, {}, 9).clear();
    d.publish(1, 4, 0, {}, 9);
    expect(last(d, 1)).toEqual(insufficient); // user limit
    d.publish(2, 5, 0, {}, 9);
    expect(last(d, 2)).toEqual(insufficient); // total limit
    expect(d.state.usedByUser.get(U1)).toEqual({ clients: 1, services: 2, subscriptions: 0 });
    expect(d.state.usedByUser.get(U2)).toEqual({ clients: 1, services: 1, subscriptions: 0 });
  });

  it('[§10.3] a user whose counters drop to zero is forgotten', () => {
    const d = new Domain();
    d.connect(1, 1, { user: U1 }).publish(1, 1, 0, {}, 0).subscribe(1, 1).close(1);
    d.work(); // the TTL-0 orphan expires at the event after the close (close rule 'close-first', lib/state/work.ts)
    expect(d.state.usedByUser.has(U1)).toBe(false);
    expect(d.state.used).toEqual({ clients: 0, services: 0, subscriptions: 0 });
  });
});

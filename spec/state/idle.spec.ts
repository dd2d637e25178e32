/** §8 liveness: idle limits, the warning/timeout state machine, track queries, handshake deadline (B8). */
import { expect } from '@jest/globals';
import { Domain, type Sent } from '../helpers/builders';

const impatient = { idleMin: 2, idleMax: 4 };
const queries = (sent: Sent[]) => sent.filter((s) => s.msg['ta-cmd'] === 'track' && s.msg['track-type'] === 'query');

/** Advance in small steps up to `until`, calling `each(t)` at every step (like a client that polls). */
const walk = (d: Domain, until: number, step: number, each: (t: number) => void = () => undefined) => {
  for (let t = d.t + step; t <= until + 1e-9; t += step) {
    d.at(t);
    each(t);
  }
};

describe('[§8.3 §8.4] server tracking of a client (test_server_tracking_client)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    '[§8.4] impatient domain, seed %d: query 1.8–2.2 s after the track accept, after the reply another, unanswered → closed 2 s later',
    (seed) => {
      const d = new Domain(impatient, seed);
      d.connect(1, 7).at(0.3).track(1, 5).clear();
      walk(d, 2.6, 0.05);
      const [q1, ...rest] = queries(d.takeSent(1));
      expect(rest).toEqual([]);
      expect(q1!.msg).toEqual({ 'ta-cmd': 'track', 'ta-id': 5, 'msg-type': 'notify', 'track-type': 'query' });
      expect(q1!.at - 0.3).toBeGreaterThanOrEqual(1.8 - 1e-6);
      expect(q1!.at - 0.3).toBeLessThanOrEqual(2.2 + 1e-6);
      const replyAt = d.t + 0.1; // q1 + 0.1 … 0.5
      d.at(replyAt).inform(1, 'reply', 5);
      walk(d, replyAt + 4.6, 0.05);
      const later = d.takeSent(1);
      const [q2, ...more] = queries(later);
      expect(more).toEqual([]);
      expect(later).toHaveLength(1);
      expect(q2!.at - replyAt).toBeGreaterThanOrEqual(1.8 - 1e-6);
      expect(q2!.at - replyAt).toBeLessThanOrEqual(2.2 + 1e-6);
      expect(d.isOpen(1)).toBe(false);
      expect(d.closeLog).toEqual([{ conn: 1, at: expect.closeTo(q2!.at + 2, 6), reason: 'idle timeout' }]);
    },
  );

  it('[§8.4] pinging every 0.5 s keeps a tracked client from ever receiving a query', () => {
    const d = new Domain(impatient);
    d.connect(1, 7).track(1, 5).clear();
    walk(d, 20, 0.5, () => d.ping(1));
    expect(queries(d.takeSent(1))).toEqual([]);
    expect(d.isOpen(1)).toBe(true);
  });

  it('[§5.3 §8.3] any message is proof of life but only a reply clears the outstanding query: no second query', () => {
    const d = new Domain(impatient);
    d.connect(1, 7).track(1, 5).clear();
    walk(d, 2.3, 0.1);
    expect(queries(d.takeSent(1))).toHaveLength(1);
    d.ping(1);
    walk(d, 10, 0.1);
    expect(queries(d.takeSent(1))).toEqual([]);
    expect(d.isOpen(1)).toBe(false);
    const closedAt = d.closeLog[0]!.at;
    expect(closedAt).toBeGreaterThanOrEqual(2.3 + 1.8 + 2 - 1e-6);
    expect(closedAt).toBeLessThanOrEqual(2.3 + 2.2 + 2 + 1e-6);
  });

  it('[§8.2 §8.4] test_ttl_induced_tracking: a TTL-4 service lowers max idle; after unpublish no query within 4 s', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).at(10).publish(1, 1, 0, {}, 4).clear();
    walk(d, 13.9, 0.1);
    const [q] = queries(d.takeSent(1));
    expect(q).toBeDefined();
    expect(q!.at - 10).toBeLessThan(4);
    expect(q!.at - 10).toBeGreaterThanOrEqual(1.8 - 1e-6);
    d.inform(1, 'reply', 5).unpublish(1, 1).clear();
    const t = d.t;
    walk(d, t + 4, 0.1);
    expect(queries(d.takeSent(1))).toEqual([]);
    expect(d.isOpen(1)).toBe(true);
  });

  it.each([
    [0, 4],
    [1, 4],
    [3, 4],
    [7, 7],
    [100, 30],
  ])('[§8.2] a service with TTL %d gives max idle %d (clamped to 4..30)', (ttl, maxIdle) => {
    const d = new Domain();
    d.connect(1, 7).publish(1, 1, 0, {}, ttl).publish(1, 2, 0, {}, 1000).track(1, 5).clear();
    walk(d, maxIdle, 0.02);
    const [q] = queries(d.takeSent(1));
    expect(q!.at).toBeGreaterThanOrEqual(0.45 * maxIdle - 1e-6);
    expect(q!.at).toBeLessThanOrEqual(0.55 * maxIdle + 1e-6);
  });
});

describe('[§8.3] idle timeouts per protocol version', () => {
  it('[§8.3] a v2 client is never closed for idleness (test_v2_client_not_timed_out)', () => {
    const d = new Domain(impatient);
    d.connect(1, 7, { max: 2 }).publish(1, 1, 0, {}, 0).clear();
    d.at(5).at(60).at(600);
    expect(d.isOpen(1)).toBe(true);
    expect(d.take(1)).toEqual([]);
    d.ping(1, 9);
    expect(d.take(1)).toEqual(['{"ta-cmd":"ping","ta-id":9,"msg-type":"complete"}']);
  });

  it.each([
    [{}, 30],
    [impatient, 4],
  ])('[§8.3 A22] a silent v3 client without track is closed after ≈ max idle (%j)', (settings, maxIdle) => {
    const d = new Domain(settings);
    d.at(1).connect(1, 7);
    d.at(1 + 0.5 * maxIdle * 0.9 + 0.5 * maxIdle - 0.001);
    expect(d.isOpen(1)).toBe(true);
    d.at(1 + maxIdle * 1.05 + 0.001);
    expect(d.isOpen(1)).toBe(false);
    expect(d.closeLog).toEqual([{ conn: 1, at: expect.any(Number), reason: 'idle timeout' }]);
    expect(d.take(1).slice(1)).toEqual([]); // no query without a track transaction
  });

  it('[§8.3] a closed idle client is disconnected: its services become orphans', () => {
    const d = new Domain(impatient);
    d.connect(9, 99, { max: 2 }).subscribe(9, 1).connect(1, 7).publish(1, 1, 0, {}, 100).clear();
    d.at(10);
    expect(d.isOpen(1)).toBe(false);
    expect(d.takeParsed(9)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'service-id': 1 })]);
  });
});

describe('[§8.5] handshake deadline', () => {
  it.each<[string, (d: Domain) => void]>([
    ['no hello at all', () => undefined],
    ['a hello with an unsupported version', (d) => void d.hello(1, 5, 4, 5)],
    ['a hello refused with client-id-exists (B8)', (d) => void d.hello(1, 7)],
    ['a hello refused with permission-denied', (d) => void d.hello(1, 6, 4, 5).hello(1, 8)],
    ['only other commands', (d) => void d.ping(1).req(1, 'clients', 2)],
  ])('[§8.5] %s → closed exactly 2.5 s after accept', (_n, act) => {
    const d = new Domain();
    d.connect(2, 7).ping(2).at(1).accept(1).at(1.5);
    act(d);
    if (_n.includes('permission-denied'))
      expect(d.takeParsed(1).pop()).toMatchObject({ 'fail-reason': 'permission-denied' });
    d.at(3.499);
    expect(d.isOpen(1)).toBe(true);
    d.at(3.5);
    expect(d.isOpen(1)).toBe(false);
    expect(d.closeLog).toEqual([{ conn: 1, at: 3.5, reason: 'handshake timeout' }]);
    expect(d.isOpen(2)).toBe(true);
  });

  it('[§8.5] a hello just before the deadline keeps the connection', () => {
    const d = new Domain();
    d.accept(1).at(2.49).hello(1, 7).at(10);
    expect(d.isOpen(1)).toBe(true);
    expect(d.closeLog).toEqual([]);
  });

  it('[§8.5] a connection closed by the peer before the deadline produces no timeout close', () => {
    const d = new Domain();
    d.accept(1).at(1).close(1).at(5);
    expect(d.closeLog).toEqual([]);
  });
});

/** §9 listing commands: clients, services, subscriptions (and ping, §5.10). */
import { Domain, T0 } from '../helpers/builders';

const notifies = (msgs: Array<Record<string, unknown>>) => msgs.filter((m) => m['msg-type'] === 'notify');

describe('[§9.1] clients', () => {
  it.each([
    [2, ['client-address', 'client-id', 'msg-type', 'ta-cmd', 'ta-id', 'time']],
    [3, ['client-address', 'client-id', 'idle', 'msg-type', 'protocol-version', 'ta-cmd', 'ta-id', 'time']],
  ])('[§9.1 §5.11] a v%d requester gets exactly the fields of its version', (version, keys) => {
    const d = new Domain();
    d.connect(1, 7, { max: 2 }).connect(2, 8, { min: 3 }).connect(3, 9, { min: version, max: version }).clear();
    d.req(3, 'clients', 4);
    const out = d.takeParsed(3);
    expect(out[0]).toEqual({ 'ta-cmd': 'clients', 'ta-id': 4, 'msg-type': 'accept' });
    expect(out[out.length - 1]).toEqual({ 'ta-cmd': 'clients', 'ta-id': 4, 'msg-type': 'complete' });
    const listed = notifies(out);
    expect(listed.map((m) => m['client-id'])).toEqual([7, 8, 9]);
    for (const m of listed) expect(Object.keys(m).sort()).toEqual(keys);
    if (version === 3) expect(listed.map((m) => m['protocol-version'])).toEqual([2, 3, 3]);
  });

  it('[§9.1] listed in handshake-completion order; clientless and failed connections are not listed', () => {
    const d = new Domain();
    d.accept(1).accept(2).accept(3).accept(4).hello(2, 20).hello(3, 30, 4, 5).hello(1, 10).hello(4, 20);
    d.clear().req(1, 'clients', 1);
    expect(notifies(d.takeParsed(1)).map((m) => [m['client-id'], m['client-address']])).toEqual([
      [20, 'tcp:127.0.0.1:40002'],
      [10, 'tcp:127.0.0.1:40001'],
    ]);
  });

  it('[§9.1 A10] time is the accept time truncated to whole seconds', () => {
    const d = new Domain();
    d.at(0.7).accept(1).at(1.9).hello(1, 7).at(5.5).clear().req(1, 'clients', 1);
    expect(notifies(d.takeParsed(1))[0]!['time']).toBe(T0);
  });

  it('[§9.1 §8.4] idle grows with silence, is ≈0 for the requester, and server queries do not reset it', () => {
    const d = new Domain({ idleMin: 2, idleMax: 4 });
    d.connect(1, 7, { max: 2 }).connect(2, 8).track(2, 5).at(1);
    d.clear().req(1, 'clients', 1);
    // a v2 requester does not see idle; ask from a v3 connection
    d.connect(3, 9).at(2.5).req(3, 'clients', 1);
    const idle = () => new Map(notifies(d.takeParsed(3)).map((m) => [m['client-id'], m['idle'] as number]));
    const first = idle();
    expect(first.get(9)).toBe(0);
    expect(first.get(8)).toBeCloseTo(2.5, 5);
    // conn 2 got a query at ≈2 s (not counted as its activity); 0.5 s later it is idler still
    d.at(3).req(3, 'clients', 2);
    expect(idle().get(8)).toBeCloseTo(3, 5);
    d.inform(2, 'query', 5).req(3, 'clients', 3);
    expect(idle().get(8)).toBe(0);
  });

  it('[§9.1 A21] latency only when tracked and a server query was answered', () => {
    const d = new Domain({ idleMin: 2, idleMax: 4 });
    d.connect(1, 7).connect(2, 8).connect(3, 9).track(2, 5).track(3, 5).at(1.5).ping(1).at(2.3);
    const queries = [...d.takeSent(2), ...d.takeSent(3)].filter((s) => s.msg['track-type'] === 'query');
    expect(queries).toHaveLength(2);
    const q2 = queries[0]!.at;
    d.at(q2 + 0.25)
      .inform(2, 'reply', 5)
      .clear()
      .req(1, 'clients', 1);
    const listed = notifies(d.takeParsed(1));
    expect(listed.map((m) => 'latency' in m)).toEqual([false, true, false]);
    expect(listed[1]!['latency']).toBeCloseTo(0.25, 5);
  });
});

describe('[§9.2] services', () => {
  it('[§9.2] all services in insertion order, filtered, orphans carrying orphan-since ≤ now', () => {
    const d = new Domain();
    d.connect(1, 7)
      .publish(1, 3, 0, { a: ['1'] }, 10)
      .publish(1, 1, 4, { b: ['1'] }, 10);
    d.connect(2, 8)
      .publish(2, 2, 0, { a: ['2'] }, 10)
      .at(1.5)
      .close(1)
      .at(2)
      .clear();
    d.req(2, 'services', 6);
    const all = d.takeParsed(2);
    expect(all[0]).toEqual({ 'ta-cmd': 'services', 'ta-id': 6, 'msg-type': 'accept' });
    expect(all.slice(1, -1)).toEqual([
      {
        'ta-cmd': 'services',
        'ta-id': 6,
        'msg-type': 'notify',
        'service-id': 3,
        generation: 0,
        'service-props': { a: ['1'] },
        ttl: 10,
        'client-id': 7,
        'orphan-since': T0 + 1.5,
      },
      expect.objectContaining({ 'service-id': 1, generation: 4, 'orphan-since': T0 + 1.5 }),
      {
        'ta-cmd': 'services',
        'ta-id': 6,
        'msg-type': 'notify',
        'service-id': 2,
        generation: 0,
        'service-props': { a: ['2'] },
        ttl: 10,
        'client-id': 8,
      },
    ]);
    expect(all[all.length - 1]).toEqual({ 'ta-cmd': 'services', 'ta-id': 6, 'msg-type': 'complete' });
    d.req(2, 'services', 7, { filter: '(a=*)' });
    expect(notifies(d.takeParsed(2)).map((m) => m['service-id'])).toEqual([3, 2]);
  });

  it('[§9.2 §5.7] a bad filter → fail instead of accept', () => {
    const d = new Domain();
    d.connect(1, 7).clear().req(1, 'services', 6, { filter: '(a' });
    expect(d.takeParsed(1)).toEqual([
      { 'ta-cmd': 'services', 'ta-id': 6, 'msg-type': 'fail', 'fail-reason': 'invalid-filter-syntax' },
    ]);
  });
});

describe('[§9.3] subscriptions', () => {
  it('[§9.3] all live subscriptions in creation order, filter in canonical form, absent without one', () => {
    const d = new Domain();
    d.connect(1, 7).connect(2, 8);
    d.subscribe(2, 50, '(&(name=service-N)(prop=N))', 1).subscribe(1, 10, undefined, 2).subscribe(1, 30, '(a>+5)', 3);
    d.subscribe(2, 20, '(b<007)', 4).subscribe(1, 40, '(x=*)', 5).unsubscribe(1, 40, 6).clear();
    d.req(2, 'subscriptions', 9);
    const out = d.takeParsed(2);
    expect(out[0]).toEqual({ 'ta-cmd': 'subscriptions', 'ta-id': 9, 'msg-type': 'accept' });
    expect(notifies(out)).toEqual([
      {
        'ta-cmd': 'subscriptions',
        'ta-id': 9,
        'msg-type': 'notify',
        'subscription-id': 50,
        'client-id': 8,
        filter: '(&(name=service-N)(prop=N))',
      },
      { 'ta-cmd': 'subscriptions', 'ta-id': 9, 'msg-type': 'notify', 'subscription-id': 10, 'client-id': 7 },
      expect.objectContaining({ 'subscription-id': 30, 'client-id': 7, filter: '(a>5)' }),
      expect.objectContaining({ 'subscription-id': 20, 'client-id': 8, filter: '(b<7)' }),
    ]);
    expect(out[out.length - 1]).toEqual({ 'ta-cmd': 'subscriptions', 'ta-id': 9, 'msg-type': 'complete' });
  });
});

describe('[§5.10] ping', () => {
  it('[§5.10] ping → complete', () => {
    const d = new Domain();
    d.connect(1, 7).clear().ping(1, 3);
    expect(d.take(1)).toEqual(['{"ta-cmd":"ping","ta-id":3,"msg-type":"complete"}']);
  });
});

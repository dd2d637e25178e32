/** §7.8 subscription notifications, §7.9 ordering, §5.4/§5.5 subscribe and unsubscribe. */
import { Domain, request, type JsonIn } from '../helpers/builders';

type Step =
  | { readonly pub: readonly [gen: number, props: Record<string, Array<string | number>>, ttl: number] }
  | { readonly unpub: true }
  | { readonly close: true }
  | { readonly at: number };

/** Client 7 (conn 1, v2) owns service 42; client 99 (conn 9, v2) subscribes with `filter` and records what it sees. */
const run = (filter: string | undefined, steps: readonly Step[]): Array<Record<string, unknown>> => {
  const d = new Domain();
  d.connect(9, 99, { max: 2 }).subscribe(9, 1, filter).connect(1, 7, { max: 2 }).clear();
  for (const s of steps) {
    if ('pub' in s) d.publish(1, 42, s.pub[0], s.pub[1], s.pub[2]);
    else if ('unpub' in s) d.unpublish(1, 42);
    else if ('close' in s) d.close(1);
    else d.at(s.at);
  }
  return d.takeParsed(9).map((m) => {
    const { ['ta-cmd']: _c, ['ta-id']: _t, ['msg-type']: _m, ['service-props']: _p, ...rest } = m;
    return rest;
  });
};

describe('[§7.8] notification table', () => {
  it.each<[string, string | undefined, Step[], Array<Record<string, JsonIn>>]>([
    [
      'ADDED, matching → appeared; REMOVED → disappeared',
      '(name=foo)',
      [{ pub: [1, { name: ['foo'] }, 5] }, { unpub: true }],
      [
        { 'match-type': 'appeared', 'service-id': 42, generation: 1, ttl: 5, 'client-id': 7 },
        { 'match-type': 'disappeared', 'service-id': 42 },
      ],
    ],
    ['ADDED, not matching → nothing', '(name=bar)', [{ pub: [1, { name: ['foo'] }, 5] }, { unpub: true }], []],
    [
      'gen1 → gen2 with doubled TTL → appeared, modified(gen2, ttl2)',
      undefined,
      [{ pub: [1, { name: ['foo'] }, 5] }, { pub: [2, { name: ['foo'] }, 10] }],
      [
        { 'match-type': 'appeared', 'service-id': 42, generation: 1, ttl: 5, 'client-id': 7 },
        { 'match-type': 'modified', 'service-id': 42, generation: 2, ttl: 10, 'client-id': 7 },
      ],
    ],
    [
      'gen2 non-match → gen5 match → gen1000 non-match on (&(name=foo)(area=51)) → appeared(gen5), disappeared',
      '(&(name=foo)(area=51))',
      [
        { pub: [2, { name: ['foo'], area: [50] }, 5] },
        { pub: [5, { name: ['foo'], area: [51] }, 5] },
        { pub: [1000, { name: ['foo'], area: [52] }, 5] },
      ],
      [
        { 'match-type': 'appeared', 'service-id': 42, generation: 5, ttl: 5, 'client-id': 7 },
        { 'match-type': 'disappeared', 'service-id': 42 },
      ],
    ],
    [
      'MODIFIED no → no → nothing',
      '(name=foo)',
      [{ pub: [1, { name: ['bar'] }, 5] }, { pub: [2, { name: ['baz'] }, 5] }],
      [],
    ],
    [
      'orphaning and expiry of a matching service → modified(orphan-since), disappeared',
      '(name=foo)',
      [{ pub: [1, { name: ['foo'] }, 2] }, { at: 1 }, { close: true }, { at: 3 }],
      [
        { 'match-type': 'appeared', 'service-id': 42, generation: 1, ttl: 2, 'client-id': 7 },
        {
          'match-type': 'modified',
          'service-id': 42,
          generation: 1,
          ttl: 2,
          'client-id': 7,
          'orphan-since': 1700000001,
        },
        { 'match-type': 'disappeared', 'service-id': 42 },
      ],
    ],
    [
      'orphaning a non-matching service never turns into appeared/disappeared',
      '(name=foo)',
      [{ pub: [1, { name: ['bar'] }, 2] }, { at: 1 }, { close: true }, { at: 3 }],
      [],
    ],
  ])('[§7.8] %s', (_name, filter, steps, expected) => {
    expect(run(filter, steps)).toEqual(expected);
  });

  it('[§7.8] disappeared carries only match-type and service-id', () => {
    const d = new Domain();
    d.connect(1, 7)
      .subscribe(1, 1)
      .publish(1, 42, 3, { a: ['b'] }, 9)
      .clear()
      .unpublish(1, 42);
    const [gone] = d.takeParsed(1);
    expect(Object.keys(gone!).sort()).toEqual(['match-type', 'msg-type', 'service-id', 'ta-cmd', 'ta-id']);
  });

  it('[§7.8] the subscriber’s own services are included', () => {
    const d = new Domain();
    d.connect(1, 7)
      .subscribe(1, 1, '(a=*)')
      .clear()
      .publish(1, 5, 0, { a: ['x'] }, 1);
    expect(d.takeParsed(1).map((m) => m['match-type'] ?? m['msg-type'])).toEqual(['appeared', 'complete']);
  });

  it('[§7.8 §7.9] one change notifies several subscriptions in creation order (not id order, not per connection)', () => {
    const d = new Domain();
    d.connect(1, 7).connect(2, 8);
    d.subscribe(1, 30, undefined, 1).subscribe(2, 10, '(a=x)', 2).subscribe(1, 20, '(a=*)', 3);
    d.subscribe(2, 5, '(b=*)', 4).subscribe(2, 40, '(!(b=*))', 5).unsubscribe(1, 30, 6).subscribe(1, 30, '(a=x)', 7);
    d.clear();
    const fx = d.send(
      2,
      request('publish', 9, { 'service-id': 1, generation: 0, 'service-props': { a: ['x'] }, ttl: 1 }),
    );
    const order = fx
      .filter((f) => f.type === 'send' && f.msg['msg-type'] === 'notify')
      .map((f) => (f.type === 'send' ? [f.conn, f.msg['ta-id']] : []));
    expect(order).toEqual([
      [2, 2n],
      [1, 3n],
      [2, 5n],
      [1, 7n],
    ]);
  });
});

describe('[§5.4] subscribe', () => {
  it('[§5.4 §7.9] accept first, then appeared for every matching service in insertion order', () => {
    const d = new Domain();
    d.connect(1, 7)
      .publish(1, 5, 0, { a: ['1'] }, 1)
      .publish(1, 3, 0, { a: ['2'] }, 1)
      .publish(1, 8, 0, { b: ['1'] }, 1);
    d.publish(1, 9, 0, { a: ['3'] }, 1).publish(1, 5, 1, { a: ['4'] }, 1); // a republish keeps the position
    d.clear().subscribe(1, 1, '(a=*)', 6);
    expect(d.takeParsed(1).map((m) => [m['msg-type'], m['service-id'], m['generation']])).toEqual([
      ['accept', undefined, undefined],
      ['notify', 5, 1],
      ['notify', 3, 0],
      ['notify', 9, 0],
    ]);
  });

  it('[§5.4] orphans appear with orphan-since', () => {
    const d = new Domain();
    d.connect(1, 7).publish(1, 5, 0, {}, 10).at(1).close(1).connect(2, 8).clear().subscribe(2, 1);
    expect(d.takeParsed(2)[1]).toMatchObject({ 'match-type': 'appeared', 'orphan-since': 1700000001 });
  });

  it.each([
    ['an invalid filter', '(a=', undefined, 'invalid-filter-syntax'],
    ['an id used by another client', '(a=b)', 77, 'subscription-id-exists'],
  ])('[§5.4] %s → fail', (_n, filter, id, reason) => {
    const d = new Domain();
    d.connect(1, 7)
      .connect(2, 8)
      .subscribe(2, 77)
      .clear()
      .subscribe(1, id ?? 1, filter, 4);
    expect(d.takeParsed(1)).toEqual([{ 'ta-cmd': 'subscribe', 'ta-id': 4, 'msg-type': 'fail', 'fail-reason': reason }]);
    expect(d.state.conns.get(1)!.txs.size).toBe(0);
    expect(d.state.subscriptions.size).toBe(1);
  });
});

describe('[§5.5] unsubscribe', () => {
  it('[§5.5 §7.9] complete of the subscribe transaction, then of the unsubscribe; no notifications afterwards', () => {
    const d = new Domain();
    d.connect(1, 7).subscribe(1, 17, undefined, 4).clear().unsubscribe(1, 17, 5);
    expect(d.take(1)).toEqual([
      '{"ta-cmd":"subscribe","ta-id":4,"msg-type":"complete"}',
      '{"ta-cmd":"unsubscribe","ta-id":5,"msg-type":"complete"}',
    ]);
    d.publish(1, 1, 0, {}, 1);
    expect(d.take(1)).toEqual(['{"ta-cmd":"publish","ta-id":100,"msg-type":"complete"}']);
    expect(d.state.subscriptions.size).toBe(0);
    expect(d.state.conns.get(1)!.txs.size).toBe(0);
  });

  it.each([
    ['an unknown id', 18, 'non-existent-subscription-id'],
    ['another client’s subscription (same user)', 99, 'permission-denied'],
  ])('[§5.5] %s → fail', (_n, id, reason) => {
    const d = new Domain();
    d.connect(1, 7).connect(2, 8).subscribe(2, 99).clear().unsubscribe(1, id, 5);
    expect(d.takeParsed(1)).toEqual([
      { 'ta-cmd': 'unsubscribe', 'ta-id': 5, 'msg-type': 'fail', 'fail-reason': reason },
    ]);
    expect(d.take(2)).toEqual([]);
    expect(d.state.subscriptions.has(99n)).toBe(true);
  });
});

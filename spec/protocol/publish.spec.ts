/** §7.3 publish: every branch, plus B1 (reclaim by the same client moves the service to the active record). */
import { ttlCountsEntries } from '../../lib/state/ttl-counts';
import { Domain, T0 } from '../helpers/builders';

const U1 = 'ip:10.0.0.1';
const U2 = 'ip:10.0.0.2';

/** Client 7 on conn 1 publishes; conn 9 (client 99) subscribes to everything; conn 2 is client 8 of the same user. */
const setup = (): Domain => {
  const d = new Domain();
  d.connect(9, 99, { user: 'ip:10.0.0.9' }).subscribe(9, 1);
  d.connect(1, 7, { user: U1 }).connect(2, 8, { user: U1 }).connect(3, 6, { user: U2 });
  d.publish(1, 42, 5, { name: ['foo'], port: [4711] }, 10);
  return d.clear();
};

const notifies = (d: Domain) => d.takeParsed(9).filter((m) => m['msg-type'] === 'notify');
const reply = (d: Domain, conn: number) => d.takeParsed(conn);
const complete = { 'ta-cmd': 'publish', 'ta-id': 100, 'msg-type': 'complete' };
const failed = (reason: string) => ({ 'ta-cmd': 'publish', 'ta-id': 100, 'msg-type': 'fail', 'fail-reason': reason });

describe('[§7.3] publish', () => {
  it('[§7.3] a new service → appeared, notifications queued before the complete', () => {
    const d = new Domain();
    d.connect(1, 7).subscribe(1, 1).clear();
    d.publish(1, 42, 5, { name: ['foo'] }, 10);
    expect(d.take(1)).toEqual([
      '{"ta-cmd":"subscribe","ta-id":200,"msg-type":"notify","match-type":"appeared","service-id":42,"generation":5,"service-props":{"name":["foo"]},"ttl":10,"client-id":7}',
      '{"ta-cmd":"publish","ta-id":100,"msg-type":"complete"}',
    ]);
    const s = d.state.services.get(42n)!;
    expect(s).toMatchObject({ clientId: 7n, user: 'ip:127.0.0.1', record: 1, orphanSince: undefined, generation: 5n });
    expect(d.state.records.get(1)!.services.toArray()).toEqual([42n]);
  });

  it('[§7.3] republishing the same generation 10 times → zero notifications, ten completes', () => {
    const d = setup();
    for (let i = 0; i < 10; i++) d.publish(1, 42, 5, { port: [4711], name: ['foo'] }, 10);
    expect(notifies(d)).toEqual([]);
    expect(reply(d, 1)).toEqual(Array(10).fill(complete));
    expect(d.state.used.services).toBe(1);
  });

  it.each`
    name                  | props                                        | ttl
    ${'different props'}  | ${{ name: ['foo'], port: [4712] }}           | ${10}
    ${'an extra key'}     | ${{ name: ['foo'], port: [4711], x: ['1'] }} | ${10}
    ${'a string for int'} | ${{ name: ['foo'], port: ['4711'] }}         | ${10}
    ${'different ttl'}    | ${{ name: ['foo'], port: [4711] }}           | ${11}
  `(
    '[§7.3] same generation with $name → same-generation-but-different, nothing changes',
    ({ props, ttl }: { props: Record<string, Array<string | number>>; ttl: number }) => {
      const d = setup();
      const before = d.state.services;
      d.publish(1, 42, 5, props, ttl);
      expect(reply(d, 1)).toEqual([failed('same-generation-but-different')]);
      expect(notifies(d)).toEqual([]);
      expect(d.state.services).toBe(before);
    },
  );

  it('[§7.3] props equality is set equality: value order and duplicates do not matter', () => {
    const d = new Domain();
    d.connect(1, 7)
      .publish(1, 1, 0, { a: ['x', 'y'], b: [1] }, 3)
      .subscribe(1, 1)
      .clear();
    d.publish(1, 1, 0, { b: [1, 1], a: ['y', 'x', 'x'] }, 3);
    expect(d.take(1)).toEqual(['{"ta-cmd":"publish","ta-id":100,"msg-type":"complete"}']);
  });

  it('[§7.3] a higher generation with the same props keeps the stored map (in order); other props replace it', () => {
    const d = setup();
    const stored = d.state.services.get(42n)!.props;
    const index = d.state.serviceIndex;
    d.publish(1, 42, 6, { name: ['foo'], port: [4711] }, 10);
    expect(d.state.services.get(42n)!.props).toBe(stored);
    expect(d.state.serviceIndex).toBe(index); // nothing to re-index
    // the same set in another order is a new map: notifications show the props as last published
    const cases: Array<[number, Record<string, Array<string | number>>]> = [
      [7, { port: [4711], name: ['foo'] }],
      [8, { port: [4711], name: ['foo', 'bar'] }],
      [9, { port: [4711], name: ['bar', 'foo'] }],
    ];
    for (const [g, props] of cases) {
      const before = d.state.services.get(42n)!.props;
      d.publish(1, 42, g, props, 10);
      const after = d.state.services.get(42n)!.props;
      expect(after).not.toBe(before);
      expect([...after]).toEqual(
        Object.entries(props).map(([k, v]) => [k, v.map((x) => (typeof x === 'number' ? BigInt(x) : x))]),
      );
    }
    expect(notifies(d).map((m) => JSON.stringify(m['service-props']))).toEqual([
      '{"name":["foo"],"port":[4711]}',
      '{"port":[4711],"name":["foo"]}',
      '{"port":[4711],"name":["foo","bar"]}',
      '{"port":[4711],"name":["bar","foo"]}',
    ]);
  });

  it.each([
    ['changed props', { name: ['foo'], port: [1] }, 10],
    ['changed ttl', { name: ['foo'], port: [4711] }, 20],
    ['nothing else changed', { name: ['foo'], port: [4711] }, 10],
  ])('[§7.3] a higher generation (%s) → modified with the new record', (_n, props, ttl) => {
    const d = setup();
    d.publish(1, 42, 6, props, ttl);
    expect(notifies(d)).toEqual([
      expect.objectContaining({ 'match-type': 'modified', 'service-id': 42, generation: 6, ttl, 'client-id': 7 }),
    ]);
    expect(notifies(d)).toEqual([]);
    expect(reply(d, 1)).toEqual([complete]);
    expect(d.state.services.get(42n)!.generation).toBe(6n);
  });

  it('[§7.3] a lower generation → old-generation, nothing changes', () => {
    const d = setup();
    const before = d.state.services;
    d.publish(1, 42, 4, { name: ['foo'], port: [4711] }, 10);
    expect(reply(d, 1)).toEqual([failed('old-generation')]);
    expect(notifies(d)).toEqual([]);
    expect(d.state.services).toBe(before);
  });

  it('[§7.3] ownership transfer (same user, same generation, identical) → modified with the new owner', () => {
    const d = setup();
    d.publish(2, 42, 5, { name: ['foo'], port: [4711] }, 10);
    const n = notifies(d);
    expect(n).toEqual([
      {
        'ta-cmd': 'subscribe',
        'ta-id': 200,
        'msg-type': 'notify',
        'match-type': 'modified',
        'service-id': 42,
        generation: 5,
        'service-props': { name: ['foo'], port: [4711] },
        ttl: 10,
        'client-id': 8,
      },
    ]);
    expect(reply(d, 2)).toEqual([complete]);
    expect(d.state.services.get(42n)).toMatchObject({ clientId: 8n, record: 2 });
    expect(d.state.records.get(1)!.services.size).toBe(0);
    expect(d.state.records.get(2)!.services.toArray()).toEqual([42n]);
    expect(d.state.used.services).toBe(1); // tokens are not transferred nor allocated again
  });

  it('[§7.3] ownership transfer with a higher generation → modified with the new owner and record', () => {
    const d = setup();
    d.publish(2, 42, 9, { name: ['bar'] }, 3);
    expect(notifies(d)).toEqual([
      expect.objectContaining({ 'match-type': 'modified', generation: 9, ttl: 3, 'client-id': 8 }),
    ]);
    expect(d.state.services.get(42n)).toMatchObject({ clientId: 8n, record: 2 });
  });

  it.each([
    ['same generation, identical', 5, { name: ['foo'], port: [4711] }, 10],
    ['same generation, different', 5, { name: ['x'] }, 10],
    ['higher generation', 6, { name: ['foo'], port: [4711] }, 10],
    ['lower generation (checked after the user)', 4, { name: ['foo'], port: [4711] }, 10],
  ])('[§7.3 §10.2] another user: %s → permission-denied', (_n, gen, props, ttl) => {
    const d = setup();
    const before = d.state.services;
    d.publish(3, 42, gen, props, ttl);
    expect(reply(d, 3)).toEqual([failed('permission-denied')]);
    expect(notifies(d)).toEqual([]);
    expect(d.state.services).toBe(before);
  });

  it('[§7.3 B1] a reclaim by the same client moves the service to the active record; a second disconnect re-orphans it and it expires', () => {
    const d = setup();
    d.at(1).close(1);
    expect(notifies(d)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'orphan-since': T0 + 1 })]);
    d.at(2)
      .connect(4, 7, { user: U1 })
      .publish(4, 42, 5, { name: ['foo'], port: [4711] }, 10);
    const reclaimed = notifies(d);
    expect(reclaimed).toEqual([expect.objectContaining({ 'match-type': 'modified', 'client-id': 7 })]);
    expect(reclaimed[0]).not.toHaveProperty('orphan-since');
    expect(d.state.services.get(42n)!.record).toBe(4);
    expect(d.state.records.has(1)).toBe(false); // the emptied inactive record is dropped
    expect(d.state.clients.get(7n)!.records).toEqual([4]);
    d.at(3).close(4);
    expect(notifies(d)).toEqual([expect.objectContaining({ 'match-type': 'modified', 'orphan-since': T0 + 3 })]);
    d.at(12.99);
    expect(notifies(d)).toEqual([]);
    d.at(13);
    expect(notifies(d)).toEqual([
      { 'ta-cmd': 'subscribe', 'ta-id': 200, 'msg-type': 'notify', 'match-type': 'disappeared', 'service-id': 42 },
    ]);
    expect(d.state.clients.has(7n)).toBe(false);
    expect(d.state.used.services).toBe(0);
  });

  it('[§7.3 B1] a reclaim with a higher generation also moves the service, and its TTL rules the new idle limit', () => {
    const d = new Domain({ idleMin: 1 });
    d.connect(1, 7).publish(1, 42, 0, {}, 30).at(1).close(1);
    d.at(2).connect(2, 7).publish(2, 42, 1, {}, 2);
    expect(d.state.services.get(42n)!.record).toBe(2);
    expect(ttlCountsEntries(d.state.records.get(2)!.ttls)).toEqual([[2n, 1]]);
    d.track(2, 5).clear();
    d.at(2 + 1.1); // warning at ½·2·(1±0.1) ≤ 1.1 s
    expect(d.take(2)).toEqual(['{"ta-cmd":"track","ta-id":5,"msg-type":"notify","track-type":"query"}']);
  });
});

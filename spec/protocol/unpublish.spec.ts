/** §7.4 unpublish, and §7.7 unpublish of an orphan. */
import { Domain, T0 } from '../helpers/builders';

const U1 = 'ip:10.0.0.1';

const setup = (): Domain => {
  const d = new Domain();
  d.connect(9, 99, { user: 'ip:10.0.0.9' }).subscribe(9, 1);
  d.connect(1, 7, { user: U1 }).connect(2, 8, { user: U1 }).connect(3, 6, { user: 'ip:10.0.0.2' });
  d.publish(1, 42, 5, { name: ['foo'] }, 10);
  return d.clear();
};
const notifies = (d: Domain) => d.takeParsed(9).filter((m) => m['msg-type'] === 'notify');
const complete = { 'ta-cmd': 'unpublish', 'ta-id': 101, 'msg-type': 'complete' };
const disappeared = {
  'ta-cmd': 'subscribe',
  'ta-id': 200,
  'msg-type': 'notify',
  'match-type': 'disappeared',
  'service-id': 42,
};

describe('[§7.4] unpublish', () => {
  it('[§7.4] an unknown id → non-existent-service-id', () => {
    const d = setup();
    d.unpublish(1, 43);
    expect(d.takeParsed(1)).toEqual([
      { 'ta-cmd': 'unpublish', 'ta-id': 101, 'msg-type': 'fail', 'fail-reason': 'non-existent-service-id' },
    ]);
  });

  it('[§7.4] the owner unpublishes → disappeared before the complete, resource released, id free again', () => {
    const d = new Domain();
    d.connect(1, 7).subscribe(1, 1).publish(1, 42, 5, {}, 10).clear();
    d.unpublish(1, 42);
    expect(d.take(1)).toEqual([
      '{"ta-cmd":"subscribe","ta-id":200,"msg-type":"notify","match-type":"disappeared","service-id":42}',
      '{"ta-cmd":"unpublish","ta-id":101,"msg-type":"complete"}',
    ]);
    expect(d.state.services.size).toBe(0);
    expect(d.state.used.services).toBe(0);
    expect(d.state.records.get(1)!.services.size).toBe(0);
    d.publish(1, 42, 0, {}, 1); // generation 0 is fine again: a new service
    expect(d.takeParsed(1)[0]).toMatchObject({ 'match-type': 'appeared', generation: 0 });
  });

  it('[§7.4] a non-owner of the same user → modified (new owner) then disappeared', () => {
    const d = setup();
    d.unpublish(2, 42);
    const n = notifies(d);
    expect(n).toEqual([expect.objectContaining({ 'match-type': 'modified', 'client-id': 8 }), disappeared]);
    expect(n[0]).not.toHaveProperty('orphan-since');
    expect(d.takeParsed(2)).toEqual([complete]);
    expect(d.state.services.has(42n)).toBe(false);
    expect(d.state.used.services).toBe(0);
  });

  it.each([
    ['the same client after reconnecting', 7],
    ['another client of the same user', 8],
  ])('[§7.4 §7.7] an orphan unpublished by %s → modified (no orphan-since) then disappeared', (_n, client) => {
    const d = new Domain();
    d.connect(9, 99).subscribe(9, 1).connect(1, 7, { user: U1 }).publish(1, 42, 5, {}, 10).at(1).close(1);
    d.connect(2, client, { user: U1 }).clear();
    d.unpublish(2, 42);
    const n = notifies(d);
    expect(n).toEqual([expect.objectContaining({ 'match-type': 'modified', 'client-id': client }), disappeared]);
    expect(n[0]).not.toHaveProperty('orphan-since');
    expect(d.state.records.has(1)).toBe(false);
    if (client === 8) expect(d.state.clients.has(7n)).toBe(false); // the orphaned client record is gone
    d.at(20);
    expect(notifies(d)).toEqual([]);
  });

  it('[§7.4 §10.2] a different user → permission-denied, nothing changes', () => {
    const d = setup();
    const before = d.state.services;
    d.unpublish(3, 42);
    expect(d.takeParsed(3)).toEqual([
      { 'ta-cmd': 'unpublish', 'ta-id': 101, 'msg-type': 'fail', 'fail-reason': 'permission-denied' },
    ]);
    expect(notifies(d)).toEqual([]);
    expect(d.state.services).toBe(before);
  });

  it('[§7.4 §10.2] a different user cannot unpublish an orphan either; it still expires on time', () => {
    const d = setup();
    d.at(1).close(1);
    notifies(d);
    d.unpublish(3, 42);
    expect(d.takeParsed(3)[0]).toMatchObject({ 'fail-reason': 'permission-denied' });
    expect(d.state.services.get(42n)!.orphanSince).toBe(T0 + 1);
    d.at(11);
    expect(notifies(d)).toEqual([disappeared]);
  });
});

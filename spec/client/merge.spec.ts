import { emptyMerge, mergeStep, nextMergeDeadline, type MergeInput, type MergeState } from '../../lib/client/merge';
import type { Match, ServiceRecord } from '../../lib/client/types';

const rec = (generation: bigint, extra: Partial<ServiceRecord> = {}): ServiceRecord => ({
  serviceId: 7n,
  generation,
  props: { name: ['foo'] },
  ttl: 10,
  clientId: 1n,
  ...extra,
});
const match = (source: string, r: ServiceRecord, type: 'appeared' | 'modified' = 'appeared'): MergeInput => ({
  kind: 'match',
  source,
  match: { type, ...r },
});

/** Run inputs in order; returns the final state and every reported match as `type:generation`. */
const run = (inputs: MergeInput[], s0: MergeState = emptyMerge): { state: MergeState; out: Match[] } => {
  let state = s0;
  const out: Match[] = [];
  for (const i of inputs) {
    const r = mergeStep(state, i);
    state = r.state;
    out.push(...r.out);
  }
  return { state, out };
};
const brief = (ms: Match[]): string[] =>
  ms.map((m) => `${m.type}:${m.generation ?? '-'}${m.orphanSince !== undefined ? ':orphan' : ''}`);

describe('merge of matches from several servers (§13.2)', () => {
  it('reports appeared once when several servers report the same service', () => {
    const { out } = run([match('a', rec(0n)), match('b', rec(0n)), match('c', rec(0n))]);
    expect(brief(out)).toEqual(['appeared:0']);
  });

  it('ignores lower generations and reports newer ones as modified', () => {
    const { out, state } = run([
      match('a', rec(2n)),
      match('b', rec(1n)),
      match('b', rec(3n), 'modified'),
      match('a', rec(3n), 'modified'),
    ]);
    expect(brief(out)).toEqual(['appeared:2', 'modified:3']);
    expect(state.get(7n)!.record.generation).toBe(3n);
  });

  it('reports disappeared only when every source said so', () => {
    const dis = (source: string): MergeInput => ({ kind: 'disappeared', source, serviceId: 7n });
    const { out } = run([match('a', rec(0n)), match('b', rec(0n)), dis('a'), dis('a'), dis('b'), dis('b')]);
    expect(brief(out)).toEqual(['appeared:0', 'disappeared:-']);
  });

  it('keeps a lost source until the TTL has run out, then reports disappeared', () => {
    const { state, out } = run([match('a', rec(0n)), { kind: 'lost', source: 'a', now: 100 }]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan']);
    expect(out[1]!.orphanSince).toBe(100);
    expect(nextMergeDeadline(state)).toBe(110);
    expect(run([{ kind: 'tick', now: 109.9 }], state).out).toEqual([]);
    expect(run([{ kind: 'tick', now: 110 }], state).out).toEqual([{ type: 'disappeared', serviceId: 7n }]);
  });

  it('does not report a service as orphan or gone while another server still has a live owner', () => {
    const { state, out } = run([match('a', rec(0n)), match('b', rec(0n)), { kind: 'lost', source: 'a', now: 100 }]);
    expect(brief(out)).toEqual(['appeared:0']);
    const later = run([{ kind: 'tick', now: 200 }], state);
    expect(later.out).toEqual([]);
    expect(later.state.get(7n)!.sources.keySeq().toArray()).toEqual(['b']);
    expect(nextMergeDeadline(later.state)).toBeUndefined();
  });

  it('a source that reports the service again after reconnecting cancels the client-side timeout', () => {
    const { state, out } = run([
      match('a', rec(0n)),
      { kind: 'lost', source: 'a', now: 100 },
      match('a', rec(0n)),
      { kind: 'tick', now: 500 },
    ]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan', 'modified:0']);
    expect(state.has(7n)).toBe(true);
  });

  it('reports the orphan state only when every source reports the service as orphan', () => {
    const { out } = run([
      match('a', rec(0n)),
      match('b', rec(0n)),
      match('a', rec(0n, { orphanSince: 50 }), 'modified'),
      match('b', rec(0n, { orphanSince: 51 }), 'modified'),
      { kind: 'disappeared', source: 'a', serviceId: 7n },
    ]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan', 'modified:0:orphan']);
    expect(out[1]!.orphanSince).toBe(50);
    expect(out[2]!.orphanSince).toBe(51);
  });

  it('counts the client-side timeout from the earlier of orphan-since and the loss', () => {
    const { state } = run([match('a', rec(0n, { orphanSince: 90 })), { kind: 'lost', source: 'a', now: 100 }]);
    expect(nextMergeDeadline(state)).toBe(100);
  });

  it('ignores disappeared from a source that never reported the service', () => {
    const { out } = run([match('a', rec(0n)), { kind: 'disappeared', source: 'b', serviceId: 7n }]);
    expect(brief(out)).toEqual(['appeared:0']);
  });
});

import { EMPTY_MERGE, expire, gone, lose, report, type MergeMap } from '../../lib/client/core/merge';
import type { Match, Service } from '../../lib/model';

const svc = (generation: bigint, extra: Partial<Service> = {}): Service => ({
  id: 7n,
  generation,
  props: { name: ['foo'] },
  ttl: 10,
  clientId: 1n,
  ...extra,
});

type Step =
  | { readonly kind: 'report'; readonly source: string; readonly service: Service }
  | { readonly kind: 'gone'; readonly source: string }
  | { readonly kind: 'lost'; readonly source: string; readonly now: number }
  | { readonly kind: 'expire'; readonly source: string; readonly nowMs: number };

const rep = (source: string, s: Service): Step => ({ kind: 'report', source, service: s });
const dis = (source: string): Step => ({ kind: 'gone', source });

/** Run steps in order; returns the final map, every match, and the expiry deadlines announced (ms). */
const run = (steps: Step[], m0: MergeMap = EMPTY_MERGE): { m: MergeMap; out: Match[]; deadlines: number[] } => {
  let m = m0;
  const out: Match[] = [];
  const deadlines: number[] = [];
  for (const s of steps) {
    switch (s.kind) {
      case 'report':
        m = report(m, s.source, s.service, out);
        break;
      case 'gone':
        m = gone(m, s.source, 7n, out);
        break;
      case 'lost':
        m = lose(m, s.source, 0, s.now, out, (_id, at) => deadlines.push(at));
        break;
      case 'expire':
        m = expire(m, s.source, 7n, s.nowMs, out);
        break;
    }
  }
  return { m, out, deadlines };
};
const brief = (ms: Match[]): string[] =>
  ms.map((x) => `${x.type}:${x.service.generation}${x.service.orphanSince !== undefined ? ':orphan' : ''}`);

describe('merge of matches from several servers (§13.2)', () => {
  it('reports appeared once when several servers report the same service', () => {
    const { out } = run([rep('a', svc(0n)), rep('b', svc(0n)), rep('c', svc(0n))]);
    expect(brief(out)).toEqual(['appeared:0']);
  });

  it('ignores lower generations and reports newer ones as modified', () => {
    const { out, m } = run([rep('a', svc(2n)), rep('b', svc(1n)), rep('b', svc(3n)), rep('a', svc(3n))]);
    expect(brief(out)).toEqual(['appeared:2', 'modified:3']);
    expect(m.get(7n)!.record.generation).toBe(3n);
  });

  it('reports disappeared only when every source said so, with the last record', () => {
    const { out } = run([rep('a', svc(0n)), rep('b', svc(1n)), dis('a'), dis('a'), dis('b'), dis('b')]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:1', 'disappeared:1']);
    expect(out[2]!.service.props).toEqual({ name: ['foo'] });
  });

  it('keeps a lost source until the TTL has run out, then reports disappeared', () => {
    const { m, out, deadlines } = run([rep('a', svc(0n)), { kind: 'lost', source: 'a', now: 100 }]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan']);
    expect(out[1]!.service.orphanSince).toBe(100);
    expect(deadlines).toEqual([110000]);
    expect(run([{ kind: 'expire', source: 'a', nowMs: 109999 }], m).out).toEqual([]);
    expect(brief(run([{ kind: 'expire', source: 'a', nowMs: 110000 }], m).out)).toEqual(['disappeared:0:orphan']);
  });

  it('does not report a service as orphan or gone while another server still has a live owner', () => {
    const { m, out } = run([rep('a', svc(0n)), rep('b', svc(0n)), { kind: 'lost', source: 'a', now: 100 }]);
    expect(brief(out)).toEqual(['appeared:0']);
    const later = run([{ kind: 'expire', source: 'a', nowMs: 200000 }], m);
    expect(later.out).toEqual([]);
    expect(later.m.get(7n)!.sources.map((v) => v.source)).toEqual(['b']);
  });

  it('a lower generation from a live source still cancels the orphan state', () => {
    const { out } = run([rep('a', svc(2n, { orphanSince: 50 })), rep('b', svc(1n))]);
    expect(brief(out)).toEqual(['appeared:2:orphan', 'modified:2']);
  });

  it('a source that reports the service again after reconnecting cancels the client-side timeout', () => {
    const { m, out } = run([
      rep('a', svc(0n)),
      { kind: 'lost', source: 'a', now: 100 },
      rep('a', svc(0n)),
      { kind: 'expire', source: 'a', nowMs: 500000 },
    ]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan', 'modified:0']);
    expect(m.has(7n)).toBe(true);
  });

  it('reports the orphan state only when every source reports the service as orphan', () => {
    const { out } = run([
      rep('a', svc(0n)),
      rep('b', svc(0n)),
      rep('a', svc(0n, { orphanSince: 50 })),
      rep('b', svc(0n, { orphanSince: 51 })),
      dis('a'),
    ]);
    expect(brief(out)).toEqual(['appeared:0', 'modified:0:orphan', 'modified:0:orphan']);
    expect(out[1]!.service.orphanSince).toBe(50);
    expect(out[2]!.service.orphanSince).toBe(51);
  });

  it('counts the client-side timeout from the earlier of orphan-since and the loss', () => {
    const { deadlines } = run([rep('a', svc(0n, { orphanSince: 90 })), { kind: 'lost', source: 'a', now: 100 }]);
    expect(deadlines).toEqual([100000]);
  });

  it('a newer record with another owner at the same generation is a modification (reclaimed)', () => {
    const { out } = run([rep('a', svc(0n)), rep('a', svc(0n, { clientId: 2n }))]);
    expect(out.map((x) => `${x.type}:${x.service.clientId}`)).toEqual(['appeared:1', 'modified:2']);
  });

  it('ignores disappeared from a source that never reported the service, and repeated reports', () => {
    const { out, m } = run([rep('a', svc(0n)), dis('b'), rep('a', svc(0n))]);
    expect(brief(out)).toEqual(['appeared:0']);
    expect(run([rep('a', svc(0n))], m).m).toBe(run([], m).m);
  });
});

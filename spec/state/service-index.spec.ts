/**
 * The service index as a value (lib/state/service-index.ts), against a plain reference model: after any sequence of
 * updates it holds, for each key and each string form of a value (§6.3), exactly the services that have it, and
 * the candidates it gives for an equality are those services. Props here are any `Props` map, including the ones
 * the codec never builds (an empty value list, a string and an integer with one string form).
 */
import fc from 'fast-check';

import type { PropValue, Props } from '../../lib/filter/props';
import { hamtForEach } from '../../lib/state/hamt';
import type { ServiceIndex } from '../../lib/state/service-index';
import { emptyServiceIndex, serviceCandidates, serviceIndexUpdate } from '../../lib/state/service-index';

const KEYS = ['a', 'b', 'c'];
const valueArb: fc.Arbitrary<PropValue> = fc.constantFrom<PropValue>('1', 1n, '2', 2n, 'x', 'y');
const propsArb: fc.Arbitrary<Props> = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), fc.array(valueArb, { maxLength: 3 })), { maxLength: 3 })
  .map((entries) => new Map(entries));

/** key -> string form -> sorted ids, from the services' current props. */
const reference = (services: ReadonlyMap<bigint, Props>): string => {
  const out = new Map<string, Map<string, bigint[]>>();
  for (const [id, p] of services)
    for (const [k, vs] of p)
      for (const form of new Set(vs.map(String))) {
        const inner = out.get(k) ?? new Map<string, bigint[]>();
        out.set(k, inner);
        inner.set(form, [...(inner.get(form) ?? []), id]);
      }
  return show(out);
};

/** The index in the same shape (a bucket is one id or a set of ids at these sizes). */
const actual = (ix: ServiceIndex): string => {
  const out = new Map<string, Map<string, bigint[]>>();
  for (const [k, inner] of ix)
    hamtForEach(inner, (b, form) => {
      if (typeof b === 'number') throw new Error('saturated bucket at a small size');
      const m = out.get(k) ?? new Map<string, bigint[]>();
      out.set(k, m);
      const ids: bigint[] = [];
      if (typeof b === 'bigint') ids.push(b);
      else hamtForEach(b, (_, id) => ids.push(id));
      m.set(form, ids);
    });
  return show(out);
};

const show = (m: Map<string, Map<string, bigint[]>>): string =>
  JSON.stringify(
    [...m]
      .map(([k, inner]) => [k, [...inner].map(([v, ids]) => [v, ids.map(String).sort()]).sort()] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

describe('service index (unit)', () => {
  it('after any updates holds exactly each value form of each service, and gives them as equality candidates', () => {
    const opArb = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.option(propsArb, { nil: undefined }));
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let ix = emptyServiceIndex();
        const services = new Map<bigint, Props>();
        for (const [n, after] of ops) {
          const id = BigInt(n);
          ix = serviceIndexUpdate(ix, id, services.get(id), after);
          if (after === undefined) services.delete(id);
          else services.set(id, after);
          expect(actual(ix)).toBe(reference(services));
        }
        for (const k of KEYS)
          for (const form of ['1', '2', 'x', 'y']) {
            const want = [...services].filter(([, p]) => (p.get(k) ?? []).some((v) => String(v) === form));
            const got = serviceCandidates(ix, { op: 'eq', key: k, value: form }, 100);
            expect([...(got ?? [])].map(String).sort()).toEqual(want.map(([id]) => String(id)).sort());
          }
      }),
      { numRuns: 300 },
    );
  });

  it('an empty value list indexes nothing, and leaving or reaching one removes or adds only what changed', () => {
    const p = (o: Record<string, PropValue[]>): Props => new Map(Object.entries(o));
    let ix = serviceIndexUpdate(emptyServiceIndex(), 1n, undefined, p({ a: [], b: ['x'] }));
    expect(actual(ix)).toBe(reference(new Map([[1n, p({ b: ['x'] })]])));
    ix = serviceIndexUpdate(ix, 1n, p({ a: [], b: ['x'] }), p({ a: ['1', 1n], b: [] }));
    expect(actual(ix)).toBe(reference(new Map([[1n, p({ a: ['1'] })]])));
    ix = serviceIndexUpdate(ix, 1n, p({ a: ['1', 1n], b: [] }), undefined);
    expect(ix.size).toBe(0);
  });
});

/**
 * The service index as a value (lib/state/service-index.ts), against a plain reference model: after any sequence of
 * updates it holds, for each key and each string form of a value (§6.3), exactly the services that have it, and
 * the candidates it gives for an equality are exactly those services (seen only through its public functions).
 * Props here are any `Props` map, including the ones the codec never builds (an empty value list, a string and an
 * integer with one string form).
 */
import fc from 'fast-check';

import type { PropValue, Props } from '../../lib/filter/props';
import type { ServiceIndex } from '../../lib/state/service-index';
import {
  emptyServiceIndex,
  SATURATED,
  serviceCandidates,
  serviceIndexEntries,
  serviceIndexOf,
  serviceIndexUpdate,
} from '../../lib/state/service-index';

const KEYS = ['a', 'b', 'c'];
const valueArb: fc.Arbitrary<PropValue> = fc.constantFrom<PropValue>('1', 1n, '2', 2n, 'x', 'y');
const propsArb: fc.Arbitrary<Props> = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), fc.array(valueArb, { maxLength: 3 })), { maxLength: 3 })
  .map((entries) => new Map(entries));

const FORMS = ['1', '2', 'x', 'y'];

/** Per key and value form, the sorted ids of the services having it, from their current props. */
const reference = (services: ReadonlyMap<bigint, Props>): string[] =>
  KEYS.flatMap((k) =>
    FORMS.map((form) => {
      const ids = [...services].filter(([, p]) => (p.get(k) ?? []).some((v) => String(v) === form));
      return `${k}=${form}: ${ids
        .map(([id]) => String(id))
        .sort()
        .join(',')}`;
    }),
  );

/** The same through the index's own answer for an equality (its candidates: exact for one value). */
const actual = (ix: ServiceIndex): string[] =>
  KEYS.flatMap((k) =>
    FORMS.map((form) => {
      const ids = serviceCandidates(ix, { op: 'eq', key: k, value: form }, 100);
      return `${k}=${form}: ${[...(ids ?? [])].map(String).sort().join(',')}`;
    }),
  );

/** How many keys some service has a value for: the index keeps no empty entry for the others. */
const keysInUse = (services: ReadonlyMap<bigint, Props>): number =>
  new Set([...services.values()].flatMap((p) => [...p].filter(([, vs]) => vs.length > 0).map(([k]) => k))).size;

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
          expect(actual(ix)).toEqual(reference(services));
          expect(ix.size).toBe(keysInUse(services));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an empty value list indexes nothing, and leaving or reaching one removes or adds only what changed', () => {
    const p = (o: Record<string, PropValue[]>): Props => new Map(Object.entries(o));
    let ix = serviceIndexUpdate(emptyServiceIndex(), 1n, undefined, p({ a: [], b: ['x'] }));
    expect(actual(ix)).toEqual(reference(new Map([[1n, p({ b: ['x'] })]])));
    expect(ix.size).toBe(1);
    ix = serviceIndexUpdate(ix, 1n, p({ a: [], b: ['x'] }), p({ a: ['1', 1n], b: [] }));
    expect(actual(ix)).toEqual(reference(new Map([[1n, p({ a: ['1'] })]])));
    expect(ix.size).toBe(1);
    ix = serviceIndexUpdate(ix, 1n, p({ a: ['1', 1n], b: [] }), undefined);
    expect(ix.size).toBe(0);
  });

  describe("built at once (a snapshot's directory)", () => {
    const oneByOne = (services: ReadonlyArray<{ id: bigint; props: Props }>): ServiceIndex =>
      services.reduce((ix, s) => serviceIndexUpdate(ix, s.id, undefined, s.props), emptyServiceIndex());
    // long value lists too (deduplicated through a set past 8 values)
    const longPropsArb: fc.Arbitrary<Props> = fc
      .array(fc.tuple(fc.constantFrom(...KEYS), fc.array(valueArb, { maxLength: 12 })), { maxLength: 3 })
      .map((entries) => new Map(entries));

    it('is the index of the same services added one by one (property)', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.nat(50), { maxLength: 30 }),
          fc.array(longPropsArb, { maxLength: 30 }),
          (ids, ps) => {
            const services = ids.slice(0, ps.length).map((n, i) => ({ id: BigInt(n), props: ps[i]! }));
            const ix = serviceIndexOf(services);
            expect(serviceIndexEntries(ix)).toEqual(serviceIndexEntries(oneByOne(services)));
            expect(ix.size).toBe(oneByOne(services).size);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('keeps a value shared by more than SATURATED services as their count, and one by one sets up to it', () => {
      for (const n of [SATURATED, SATURATED + 1, SATURATED + 5]) {
        const services = Array.from({ length: n }, (_, i) => ({
          id: BigInt(i + 1),
          props: new Map<string, PropValue[]>([
            ['color', ['green']],
            ['name', [`s${i}`]],
          ]),
        }));
        const ix = serviceIndexOf(services);
        expect(serviceIndexEntries(ix)).toEqual(serviceIndexEntries(oneByOne(services)));
        const green = serviceIndexEntries(ix).find(([k]) => k === 'color')![1][0]![1];
        expect(typeof green === 'number' ? green : green.length).toBe(n);
        expect(typeof green).toBe(n > SATURATED ? 'number' : 'object');
      }
    });
  });
});

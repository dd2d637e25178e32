import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrderedMap } from 'immutable';

import { OrderedById } from '../../lib/state/ordered-by-id';

type R = { readonly id: bigint; readonly v: number };

/** The reference is immutable.js's OrderedMap, whose order semantics the directory had. */
const same = (m: OrderedById<R>, ref: OrderedMap<bigint, R>): void => {
  expect(m.size).toBe(ref.size);
  expect([...m.entries()]).toEqual([...ref.entries()]);
  expect([...m.keys()]).toEqual([...ref.keys()]);
  expect([...m]).toEqual([...ref]);
  const walked: R[] = [];
  for (let p = 0; p < m.slots; p++) {
    const r = m.slot(p);
    if (r !== undefined) walked.push(r);
  }
  expect(walked).toEqual([...ref.values()]);
  for (const [id, r] of ref) {
    expect(m.get(id)).toBe(r);
    expect(m.has(id)).toBe(true);
    expect(m.slot(m.position(id)!)).toBe(r);
  }
  const p = Math.floor(m.slots / 2);
  expect(m.from(p)).toEqual(walked.filter((r) => m.position(r.id)! >= p));
  expect(m.reduce((n, r) => n + r.v, 0)).toBe(ref.reduce((n, r) => n + r.v, 0));
};

describe('OrderedById', () => {
  it('orders and replaces as an immutable.js OrderedMap under any sets and deletes; old versions stay valid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 40n }), fc.integer({ min: 0, max: 9 })), {
          maxLength: 400,
        }),
        (ops) => {
          let m = OrderedById.empty<R>();
          let ref = OrderedMap<bigint, R>();
          const versions: Array<[OrderedById<R>, OrderedMap<bigint, R>]> = [];
          for (const [set, id, v] of ops) {
            if (set) {
              const r = { id, v };
              m = m.set(id, r);
              ref = ref.set(id, r);
            } else {
              m = m.delete(id);
              ref = ref.delete(id);
            }
            versions.push([m, ref]);
          }
          for (const [vm, vr] of versions) same(vm, vr);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a get then a set of the same id (the position remembered from the get) on any version, old or new', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('set', 'delete', 'get-set'),
            id: fc.bigInt({ min: 0n, max: 20n }),
            from: fc.nat(),
            at: fc.nat(),
            v: fc.integer({ min: 0, max: 9 }),
          }),
          { maxLength: 200 },
        ),
        (ops) => {
          const versions: Array<[OrderedById<R>, OrderedMap<bigint, R>]> = [[OrderedById.empty<R>(), OrderedMap()]];
          for (const o of ops) {
            const [m, ref] = versions[o.from % versions.length]!;
            const r = { id: o.id, v: o.v };
            if (o.kind === 'delete') versions.push([m.delete(o.id), ref.delete(o.id)]);
            else if (o.kind === 'set') versions.push([m.set(o.id, r), ref.set(o.id, r)]);
            else {
              // read the id in one version (maybe another one), then set it in this one
              versions[o.at % versions.length]![0].get(o.id);
              versions.push([m.set(o.id, r), ref.set(o.id, r)]);
            }
          }
          for (const [vm, vr] of versions) same(vm, vr);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the same version for a no-op, builds from records, and compacts under churn', () => {
    const a = { id: 1n, v: 1 };
    const m = OrderedById.of<R>([a, { id: 2n, v: 2 }]);
    expect(m.set(1n, a)).toBe(m);
    expect(m.delete(3n)).toBe(m);
    expect([...OrderedById.of<R>([a, { id: 2n, v: 2 }, { id: 1n, v: 3 }]).values()]).toEqual([
      { id: 1n, v: 3 },
      { id: 2n, v: 2 },
    ]);
    let big = OrderedById.empty<R>();
    for (let i = 0n; i < 5_000n; i++) big = big.set(i, { id: i, v: 0 });
    // from the middle out: every delete leaves a hole until compactions
    for (let i = 1n; i < 4_990n; i += 2n) big = big.delete(i);
    for (let i = 0n; i < 4_990n; i += 2n) big = big.delete(i);
    expect(big.size).toBe(10);
    expect(big.slots - big.firstSlot).toBeLessThan(64);
    expect([...big.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => 4_990n + BigInt(i)));
  });

  it('records deleted in publication order (or from the end) leave no hole and keep the other positions', () => {
    let m = OrderedById.empty<R>();
    for (let i = 0n; i < 10_000n; i++) m = m.set(i, { id: i, v: 0 });
    for (let i = 0n; i < 6_000n; i++) {
      m = m.delete(i);
      expect(m.slots - m.firstSlot).toBe(m.size);
    }
    for (let i = 9_999n; i >= 9_000n; i--) m = m.delete(i);
    expect(m.slots - m.firstSlot).toBe(m.size);
    expect(m.position(6_000n)).toBe(6_000); // positions are kept (no compaction renumbered them)
    expect(m.slot(6_000)).toEqual({ id: 6_000n, v: 0 });
    expect(m.slot(0)).toBeUndefined();
    expect(m.from(0).map((r) => r.id)).toEqual([...m.keys()]);
    expect(m.get(8_999n)).toEqual({ id: 8_999n, v: 0 });
    // replacing a record keeps its place; a hole in front of the first record goes with it
    m = m.set(6_500n, { id: 6_500n, v: 1 }).delete(6_001n).delete(6_000n);
    expect(m.slot(m.firstSlot)?.id).toBe(6_002n);
    expect(m.position(6_500n)).toBe(6_500);
    expect(m.get(6_500n)?.v).toBe(1);
  });
});

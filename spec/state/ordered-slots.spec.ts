import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrderedMap, type List } from 'immutable';

import { OrderedSlots } from '../../lib/state/ordered-slots';
import { hamtBeginEdit, hamtEndEdit, hamtSeal } from '../../lib/util/hamt';

type R = { readonly id: bigint; readonly v: number };

/** immutable.js's entry list of an OrderedMap: its positions, holes `undefined` (what jobs walked before). */
const positionsOf = (m: OrderedMap<bigint, R>): Array<R | undefined> =>
  [...(m as unknown as { _list: List<readonly [bigint, R] | undefined> })._list].map((e) => e?.[1]);

/** Every position of `m`, holes `undefined`, and its size: what a job walking it sees. */
const slotsOf = (m: OrderedSlots<R>): [number, Array<R | undefined>] => {
  const out: Array<R | undefined> = [];
  for (let p = 0; p < m.slots; p++) out.push(m.slot(p));
  return [m.size, out];
};

/** The reference is immutable.js's OrderedMap: the same records, and every position and hole where it has them. */
const same = (m: OrderedSlots<R>, ref: OrderedMap<bigint, R>): void => {
  const positions = positionsOf(ref);
  expect(slotsOf(m)).toEqual([ref.size, positions]);
  expect([m.positions.start, m.positions.end]).toEqual([0, positions.length]);
  expect([...m.values()]).toEqual([...ref.values()]);
  expect([...m.keys()]).toEqual([...ref.keys()]);
  const each: Array<[bigint, R]> = [];
  m.forEach((r, id) => each.push([id, r]));
  expect(each).toEqual([...ref.entries()]);
  expect([...ref.keys()].map((id) => [m.get(id), m.has(id)])).toEqual([...ref.values()].map((r) => [r, true]));
  const p = Math.floor(m.slots / 2);
  expect(m.from(p)).toEqual(positions.slice(p).filter((r) => r !== undefined));
};

/**
 * Sets and deletes over up to 80 ids: lists long enough (32 positions and more) for compactions, and deletions often
 * enough for holes, pops of the last position and compactions at their threshold.
 */
const ops = fc.array(fc.tuple(fc.nat({ max: 1 }), fc.bigInt({ min: 0n, max: 80n }), fc.integer({ min: 0, max: 9 })), {
  maxLength: 500,
  size: 'max', // (fast-check's default size keeps arrays to a few dozen steps: lists too short for a compaction)
});

const apply = (
  m: OrderedSlots<R>,
  ref: OrderedMap<bigint, R>,
  [kind, id, v]: [number, bigint, number],
): [OrderedSlots<R>, OrderedMap<bigint, R>] => {
  if (kind === 0) {
    const r = { id, v };
    return [m.set(id, r), ref.set(id, r)];
  }
  return [m.delete(id), ref.delete(id)];
};

describe('OrderedSlots', () => {
  it('keeps every record at the position, and every hole, of an immutable.js OrderedMap; old versions stay valid', () => {
    fc.assert(
      fc.property(ops, (steps) => {
        let m = OrderedSlots.empty<R>();
        let ref = OrderedMap<bigint, R>();
        const versions: Array<[OrderedSlots<R>, OrderedMap<bigint, R>]> = [];
        for (const step of steps) {
          [m, ref] = apply(m, ref, step);
          versions.push([m, ref]);
        }
        // every version still holds its positions (one comparison), the last one in full
        expect(versions.map(([vm]) => slotsOf(vm))).toEqual(versions.map(([, vr]) => [vr.size, positionsOf(vr)]));
        same(m, ref);
      }),
      { numRuns: 100, endOnFailure: true }, // (no shrinking: runs of 500 steps shrink for minutes; the seed replays)
    );
  });

  it('inside a transient edit: the same positions, and every version from before the edit or sealed unchanged', () => {
    fc.assert(
      fc.property(ops, ops, fc.array(fc.nat(), { maxLength: 4 }), (before, during, seals) => {
        let m = OrderedSlots.empty<R>();
        let ref = OrderedMap<bigint, R>();
        const kept: Array<[OrderedSlots<R>, OrderedMap<bigint, R>]> = [];
        for (const step of before) {
          [m, ref] = apply(m, ref, step);
          kept.push([m, ref]);
        }
        const sealAt = new Set(seals.map((n) => n % (during.length + 1)));
        const token = hamtBeginEdit();
        try {
          for (let i = 0; i < during.length; i++) {
            if (sealAt.has(i)) {
              // a version kept over the edit's later updates (a listing's snapshot) is sealed first
              hamtSeal();
              kept.push([m, ref]);
            }
            [m, ref] = apply(m, ref, during[i]!);
          }
        } finally {
          hamtEndEdit(token);
        }
        same(m, ref);
        expect(kept.map(([vm]) => slotsOf(vm))).toEqual(kept.map(([, vr]) => [vr.size, positionsOf(vr)]));
      }),
      { numRuns: 100, endOnFailure: true }, // (no shrinking: runs of 500 steps shrink for minutes; the seed replays)
    );
  });

  it('pops only the last position, keeps holes at the end, and appends after them (as immutable.js does)', () => {
    const r = (id: bigint): R => ({ id, v: 0 });
    let m = OrderedSlots.of([r(1n), r(2n), r(3n), r(4n)]);
    m = m.delete(3n).delete(4n);
    // 4 was last: popped; 3 was then last but its hole stays (a pop takes one position)
    expect([m.slots, m.slot(0)?.id, m.slot(1)?.id, m.slot(2)]).toEqual([3, 1n, 2n, undefined]);
    m = m.set(5n, r(5n));
    expect([m.slots, m.slot(3)?.id]).toEqual([4, 5n]);
    // a list of 32 positions at least twice the entries: the next deletion renumbers the rest from 0
    let big = OrderedSlots.of(Array.from({ length: 32 }, (_, i) => r(BigInt(i))));
    for (let i = 0; i < 16; i++) big = big.delete(BigInt(i * 2));
    expect([big.size, big.slots]).toEqual([16, 32]);
    big = big.delete(1n);
    expect([big.size, big.slots, big.slot(0)?.id, big.slot(14)?.id]).toEqual([15, 15, 3n, 31n]);
    // the last record deleted with holes before it: the map is empty, its positions are not
    const last = OrderedSlots.of([r(1n), r(2n)])
      .delete(1n)
      .delete(2n);
    expect([last.size, last.slots]).toEqual([0, 1]);
    expect(last.set(9n, r(9n)).slot(1)?.id).toBe(9n);
  });
});

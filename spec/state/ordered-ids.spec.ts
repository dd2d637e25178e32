import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { OrderedIds } from '../../lib/state/ordered-ids';

/** The reference: an array in insertion order, an existing member keeping its place (as immutable.js OrderedSet). */
const modelAdd = (m: bigint[], id: bigint): bigint[] => (m.includes(id) ? m : [...m, id]);
const modelDelete = (m: bigint[], id: bigint): bigint[] => m.filter((x) => x !== id);

const walk = (s: OrderedIds, from = 0): bigint[] => {
  const out: bigint[] = [];
  for (let p = from; p < s.slots; p++) {
    const id = s.slot(p);
    if (id !== undefined) out.push(id);
  }
  return out;
};

describe('OrderedIds', () => {
  it('is an insertion-ordered set under any adds and deletes; every version and its positions stay valid', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 40n })), { maxLength: 400 }), (ops) => {
        let s = OrderedIds.empty();
        let m: bigint[] = [];
        const versions: Array<[OrderedIds, bigint[]]> = [];
        for (const [add, id] of ops) {
          s = add ? s.add(id) : s.delete(id);
          m = add ? modelAdd(m, id) : modelDelete(m, id);
          versions.push([s, m]);
        }
        for (const [v, vm] of versions) {
          expect(v.size).toBe(vm.length);
          expect([...v]).toEqual(vm);
          expect(walk(v)).toEqual(vm);
          // a walk may start at firstSlot (positions before it are holes); the first and last slots hold members
          expect(walk(v, v.firstSlot)).toEqual(vm);
          if (vm.length > 0) expect([v.slot(v.firstSlot), v.slot(v.slots - 1)]).toEqual([vm[0], vm[vm.length - 1]]);
          for (const id of vm) expect(v.has(id)).toBe(true);
          // a walk from any position sees the members at or after it, in order
          const p = Math.floor(v.slots / 2);
          expect(v.from(p)).toEqual(walk(v, p));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its list compact under churn (a big set emptied and refilled does not keep its holes)', () => {
    let s = OrderedIds.empty();
    // appended at positions 0 .. 9,999: each delete gives its position as the hint (stale after a compaction)
    for (let i = 0n; i < 10_000n; i++) s = s.append(i);
    // from the middle out: every delete leaves a hole until compactions
    for (let i = 1n; i < 9_990n; i += 2n) s = s.delete(i, Number(i));
    for (let i = 0n; i < 9_990n; i += 2n) s = s.delete(i, Number(i));
    expect(s.size).toBe(10);
    expect(s.slots - s.firstSlot).toBeLessThan(64);
    expect(s.toArray()).toEqual(Array.from({ length: 10 }, (_, i) => 9_990n + BigInt(i)));
    expect(OrderedIds.of([3n, 1n, 3n, 2n]).toArray()).toEqual([3n, 1n, 2n]);
    expect(OrderedIds.of([])).toBe(OrderedIds.empty());
  });

  it('members deleted in attachment order (or from the end) leave no hole and keep the other positions', () => {
    let s = OrderedIds.empty();
    for (let i = 0n; i < 10_000n; i++) s = s.append(i);
    const at = s.slots;
    for (let i = 0n; i < 6_000n; i++) {
      s = s.delete(i, Number(i));
      expect(s.slots - s.firstSlot).toBe(s.size);
    }
    for (let i = 9_999n; i >= 9_000n; i--) s = s.delete(i, Number(i));
    expect(s.slots - s.firstSlot).toBe(s.size);
    expect(s.slots).toBe(at - 1_000); // positions are kept (no compaction renumbered them)
    expect(s.slot(s.firstSlot)).toBe(6_000n);
    expect(s.slot(0)).toBeUndefined();
    expect(s.from(0)).toEqual(s.toArray());
    expect(s.toArray()).toEqual(Array.from({ length: 3_000 }, (_, i) => 6_000n + BigInt(i)));
    // a hole in front of the first member goes with it
    s = s.delete(6_001n).delete(6_000n);
    expect(s.slot(s.firstSlot)).toBe(6_002n);
  });

  it('deletes by the hint of where a member was appended, through compactions, stale and wrong hints alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(3), fc.bigInt({ min: 0n, max: 60n }), fc.integer({ min: -2, max: 200 })), {
          maxLength: 600,
        }),
        (ops) => {
          let s = OrderedIds.empty();
          let m: bigint[] = [];
          // where each member was appended (what a service keeps as its slot)
          const slots = new Map<bigint, number>();
          for (const [op, id, junk] of ops) {
            if (op === 0 || !m.includes(id)) {
              if (m.includes(id)) continue;
              slots.set(id, s.next);
              s = s.append(id);
              m = [...m, id];
            } else {
              // the kept hint (valid, or stale after a compaction), a wrong one, or none
              const hint = op === 1 ? slots.get(id) : op === 2 ? junk : undefined;
              const before = s;
              s = s.delete(id, hint);
              expect(s).not.toBe(before);
              m = modelDelete(m, id);
            }
            expect(s.size).toBe(m.length);
          }
          expect([...s]).toEqual(m);
          expect(walk(s, s.firstSlot)).toEqual(m);
          for (const id of m) expect(s.has(id)).toBe(true);
          // a non-member is not found, whatever the hint
          expect(s.delete(61n, 0)).toBe(s);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adding a member or deleting a non-member gives the same version', () => {
    const s = OrderedIds.of([1n, 2n]);
    expect(s.add(1n)).toBe(s);
    expect(s.delete(3n)).toBe(s);
  });
});

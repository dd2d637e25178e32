/**
 * The persistent min-heap behind the deadline queues (lib/util/heap.ts, shared by the server's and the client's pure
 * cores): entries pop by `at`, then by `seq`, a full tie keeping the older entry first; every version stays valid
 * after a push or a pop; popping the empty heap is the empty heap.
 */
import fc from 'fast-check';

import type { Heap } from '../../lib/util/heap';
import { heapEmpty, heapPeek, heapPop, heapPush } from '../../lib/util/heap';

const drainAll = <T>(h0: Heap<T>): Array<{ at: number; value: T }> => {
  const out: Array<{ at: number; value: T }> = [];
  let h = h0;
  for (let e = heapPeek(h); e !== undefined; e = heapPeek(h)) {
    out.push({ at: e.at, value: e.value });
    h = heapPop(h);
  }
  return out;
};

describe('persistent heap', () => {
  it('the empty heap has no entry, and popping it leaves it empty', () => {
    const h = heapEmpty<string>();
    expect(heapPeek(h)).toBeUndefined();
    expect(heapPeek(heapPop(h))).toBeUndefined();
    const one = heapPush(h, 5, 0, 'a');
    expect(heapPeek(heapPop(heapPop(one)))).toBeUndefined();
  });

  it('pops in (at, seq) order: equal deadlines in the order they were pushed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (ats) => {
        let h = heapEmpty<number>();
        ats.forEach((at, seq) => (h = heapPush(h, at, seq, seq)));
        const expected = ats.map((at, seq) => ({ at, value: seq })).sort((a, b) => a.at - b.at || a.value - b.value);
        expect(drainAll(h)).toEqual(expected);
      }),
    );
  });

  it('with one `seq` for all (as the client pushes) entries still pop in `at` order, none lost', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 100 }), (ats) => {
        let h = heapEmpty<number>();
        ats.forEach((at, i) => (h = heapPush(h, at, 0, i)));
        const popped = drainAll(h);
        expect(popped.map((e) => e.at)).toEqual([...ats].sort((a, b) => a - b));
        expect(popped.map((e) => e.value).sort((a, b) => a - b)).toEqual(ats.map((_, i) => i));
      }),
    );
  });

  it('every version stays valid: pushing onto or popping an older heap leaves the other versions as they were', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 50 }),
        (ats, extra) => {
          let h = heapEmpty<number>();
          ats.forEach((at, seq) => (h = heapPush(h, at, seq, seq)));
          const before = drainAll(h);
          const pushed = heapPush(h, extra, ats.length, -1);
          const popped = heapPop(h);
          expect(drainAll(h)).toEqual(before);
          expect(drainAll(popped)).toEqual(before.slice(1));
          expect(drainAll(pushed)).toHaveLength(before.length + 1);
          expect(drainAll(pushed).filter((e) => e.value !== -1)).toEqual(before);
        },
      ),
    );
  });
});

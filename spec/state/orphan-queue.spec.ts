/**
 * The orphan expiry queue (lib/state/orphan-queue.ts): it pops exactly as the persistent heap of lib/util/heap.ts
 * does (by `at`, then `seq`) whatever the order of the pushes (sorted runs, more runs than it keeps, the overflow
 * heap), and every version stays valid while others are pushed onto and popped, from any earlier version (runs share
 * their arrays between versions: an append in place must never show in another version).
 */
import fc from 'fast-check';

import {
  type OrphanQueue,
  orphanQueueEmpty,
  orphanQueueEntries,
  orphanQueueOf,
  orphanQueuePeek,
  orphanQueuePop,
  orphanQueuePush,
} from '../../lib/state/orphan-queue';
import { heapEmpty, heapPeek, heapPop, heapPush, type Heap } from '../../lib/util/heap';

type Entry = readonly [number, number, bigint];

const heapDrain = (h0: Heap<bigint>): Entry[] => {
  const out: Entry[] = [];
  for (let h = h0; heapPeek(h) !== undefined; h = heapPop(h)) out.push([h!.at, h!.seq, h!.value]);
  return out;
};

const sorted = (es: readonly Entry[]): Entry[] => [...es].sort((a, b) => a[0] - b[0] || a[1] - b[1]);

/** A version's entries by peek and pop, checking `size` on the way. */
const drain = (q0: OrphanQueue): Entry[] => {
  const out: Entry[] = [];
  let q = q0;
  for (let e = orphanQueuePeek(q); e !== undefined; e = orphanQueuePeek(q)) {
    expect(q.size).toBe(q0.size - out.length);
    out.push([e.at, e.seq, e.value]);
    q = orphanQueuePop(q);
  }
  expect(q.size).toBe(0);
  return out;
};

/** Deadlines as orphans make them: waves of equal orphan-since with a few TTLs, sometimes any value. */
const ats = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(10, 11, 13), fc.double({ min: 0, max: 40, noNaN: true })),
  { maxLength: 300 },
);

describe('orphan queue', () => {
  it('is empty when empty; popping the empty queue keeps it empty', () => {
    const q = orphanQueueEmpty();
    expect(orphanQueuePeek(q)).toBeUndefined();
    expect(orphanQueuePop(q)).toBe(q);
    expect(orphanQueuePeek(orphanQueuePop(orphanQueuePush(q, 5, 0, 1n)))).toBeUndefined();
  });

  it('pops as the heap does, for any order of pushes (sorted, waves, reversed: more runs than kept)', () => {
    fc.assert(
      fc.property(ats, fc.boolean(), (xs, reversed) => {
        const at = reversed ? [...xs].sort((a, b) => b - a) : xs;
        let q = orphanQueueEmpty();
        let h = heapEmpty<bigint>();
        at.forEach((t, seq) => {
          q = orphanQueuePush(q, t, seq, BigInt(seq));
          h = heapPush(h, t, seq, BigInt(seq));
        });
        expect(drain(q)).toEqual(heapDrain(h));
        expect(orphanQueueEntries(q)).toEqual(heapDrain(h));
        expect(drain(orphanQueueOf(orphanQueueEntries(q)))).toEqual(heapDrain(h));
      }),
    );
  });

  it('pushes and pops interleaved pop as the heap does (a long run compacts its popped prefix)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(-1)), { maxLength: 400 }), (ops) => {
        let q = orphanQueueEmpty();
        let h = heapEmpty<bigint>();
        let t = 0;
        ops.forEach((op, seq) => {
          if (op < 0) {
            expect(orphanQueuePeek(q)?.value).toBe(heapPeek(h)?.value);
            q = orphanQueuePop(q);
            h = heapPop(h);
          } else {
            t += op === 0 ? 0 : op === 5 ? -3 : 0.25; // mostly in order, sometimes back
            q = orphanQueuePush(q, t, seq, BigInt(seq));
            h = heapPush(h, t, seq, BigInt(seq));
          }
        });
        expect(drain(q)).toEqual(heapDrain(h));
      }),
    );
  });

  it('every version stays valid: pushes and pops from any earlier version leave the others as they were', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            from: fc.nat(),
            pop: fc.boolean(),
            at: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(20)),
          }),
          { maxLength: 150 },
        ),
        (ops) => {
          const versions: OrphanQueue[] = [orphanQueueEmpty()];
          const models: Entry[][] = [[]];
          ops.forEach((op, seq) => {
            const i = op.from % versions.length;
            const q = versions[i]!;
            const m = models[i]!;
            if (op.pop) {
              versions.push(orphanQueuePop(q));
              models.push(sorted(m).slice(1));
            } else {
              versions.push(orphanQueuePush(q, op.at, seq, BigInt(seq)));
              models.push(sorted([...m, [op.at, seq, BigInt(seq)]]));
            }
          });
          versions.forEach((q, i) => expect(drain(q)).toEqual(sorted(models[i]!)));
        },
      ),
    );
  });

  it('a wave of 100,000 orphans in order is one run: pushes and pops keep their order', () => {
    let q = orphanQueueEmpty();
    for (let i = 0; i < 100_000; i++) q = orphanQueuePush(q, 1000 + (i >> 10), i, BigInt(i));
    let ok = true;
    for (let i = 0; i < 100_000; i++) {
      ok &&= orphanQueuePeek(q)!.value === BigInt(i);
      q = orphanQueuePop(q);
    }
    expect(ok).toBe(true);
    expect(orphanQueuePeek(q)).toBeUndefined();
  });
});

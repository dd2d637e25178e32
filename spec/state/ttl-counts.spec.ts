/**
 * The TTL multiset of a record (lib/state/ttl-counts.ts): the same answers as a plain map of counts, whatever the
 * order of the updates, on both sides of the size where it changes representation, and one representation for one
 * content (a state restored from a snapshot equals the live one).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isImmutable } from 'immutable';

import {
  SMALL_UP_TO,
  ttlCountOf,
  ttlCountsAdd,
  ttlCountsEmpty,
  ttlCountsEntries,
  ttlCountsLowest,
  ttlCountsOf,
  type TtlCounts,
} from '../../lib/state/ttl-counts';

const sorted = (m: Map<bigint, number>): Array<[bigint, number]> =>
  [...m].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));

describe('TTL counts', () => {
  it('agree with a map of counts through any adds and removes, and do not change what they were built from', () => {
    fc.assert(
      fc.property(
        // TTLs from a range around the representation's limit: runs cross it both ways
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 * SMALL_UP_TO + 2 }), fc.boolean()), { maxLength: 200 }),
        (ops) => {
          let t: TtlCounts = ttlCountsEmpty;
          const m = new Map<bigint, number>();
          for (const [k, up] of ops) {
            const ttl = BigInt(k * 7);
            const had = m.get(ttl) ?? 0;
            if (!up && had === 0) continue; // (a record removes only what it holds)
            const before = t;
            const beforeEntries = ttlCountsEntries(before);
            t = ttlCountsAdd(t, ttl, up ? 1 : -1);
            if (had + (up ? 1 : -1) === 0) m.delete(ttl);
            else m.set(ttl, had + (up ? 1 : -1));
            expect(ttlCountsEntries(before)).toEqual(beforeEntries);
            expect(ttlCountsEntries(t)).toEqual(sorted(m));
            expect(ttlCountOf(t, ttl)).toBe(m.get(ttl) ?? 0);
            expect(ttlCountsLowest(t)).toBe(m.size === 0 ? Infinity : Math.min(...[...m.keys()].map(Number)));
            // one representation for one content
            expect(isImmutable(t)).toBe(m.size > SMALL_UP_TO);
            expect(ttlCountsEntries(ttlCountsOf(ttlCountsEntries(t)))).toEqual(sorted(m));
            expect(isImmutable(ttlCountsOf(ttlCountsEntries(t)))).toBe(isImmutable(t));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('change representation at the limit, both ways', () => {
    let t = ttlCountsEmpty;
    for (let i = 1; i <= SMALL_UP_TO; i++) t = ttlCountsAdd(t, BigInt(i), 1);
    expect(isImmutable(t)).toBe(false);
    const big = ttlCountsAdd(t, 100n, 1);
    expect(isImmutable(big)).toBe(true);
    expect(ttlCountsLowest(big)).toBe(1);
    const back = ttlCountsAdd(big, 1n, -1);
    expect(isImmutable(back)).toBe(false);
    expect(ttlCountsEntries(back)).toEqual([2n, 3n, 4n, 5n, 6n, 7n, 8n, 100n].map((x) => [x, 1]));
    expect(ttlCountsLowest(back)).toBe(2);
    expect(ttlCountOf(big, 100n)).toBe(1);
    expect(ttlCountOf(big, 99n)).toBe(0);
    expect(ttlCountOf(back, 99n)).toBe(0);
    // removing a TTL it does not hold changes nothing (a record never does)
    expect(ttlCountsAdd(back, 99n, -1)).toBe(back);
    expect(ttlCountsEntries(ttlCountsAdd(big, 99n, -1))).toEqual(ttlCountsEntries(big));
    // a count lowered in the map keeps it a map while its TTLs are more than the limit
    expect(isImmutable(ttlCountsAdd(ttlCountsAdd(big, 3n, 1), 3n, -1))).toBe(true);
  });

  it('keep a record of one TTL as one pair', () => {
    let t = ttlCountsEmpty;
    for (let i = 0; i < 1000; i++) t = ttlCountsAdd(t, 60n, 1);
    expect(t).toEqual([60n, 1000]);
    expect(ttlCountsLowest(ttlCountsAdd(t, 5n, 2))).toBe(5);
  });
});

/**
 * The multiset of the TTLs of a record's services (§8.2: a connection's idle limit follows the lowest of them): each
 * distinct TTL and how many of the record's services have it. Persistent: every update returns a new value.
 *
 * A record's services nearly always have one TTL, or a few: then the multiset is one small array of pairs
 * `[ttl, n, ttl, n, …]` sorted by TTL, so a publish or unpublish copies a few slots (an immutable.js map made a map,
 * a node and an entry array per update: 8 % of what a replay of issue 15's log allocated) and the lowest TTL, read at
 * every inbound message, is the first slot. Past {@link SMALL_UP_TO} distinct TTLs (a client giving each service its
 * own) it is a map, whose updates cost O(log n) and whose lowest TTL is found by a walk, as before.
 *
 * @example
 * let t = ttlCountsEmpty;
 * t = ttlCountsAdd(t, 60n, 1);
 * t = ttlCountsAdd(t, 5n, 1);
 * ttlCountsLowest(t); // 5
 * ttlCountsEntries(ttlCountsAdd(t, 5n, -1)); // [[60n, 1]]
 */
import { Map as IMap } from 'immutable';

/**
 * Sorted `[ttl, n, …]` pairs (n ≥ 1) up to {@link SMALL_UP_TO} distinct TTLs, a map past it (never otherwise: equal
 * multisets have the same representation). Treat as opaque.
 */
export type TtlCounts = ReadonlyArray<bigint | number> | IMap<bigint, number>;

/** The most distinct TTLs kept as pairs in an array. */
export const SMALL_UP_TO = 8;

/** The empty multiset. */
export const ttlCountsEmpty: TtlCounts = [];

/** How many services have `ttl`. */
export const ttlCountOf = (t: TtlCounts, ttl: bigint): number => {
  if (!Array.isArray(t)) return (t as IMap<bigint, number>).get(ttl) ?? 0;
  for (let i = 0; i < t.length; i += 2) if (t[i] === ttl) return t[i + 1] as number;
  return 0;
};

/** `t` with `delta` more services (or fewer, if negative) of TTL `ttl`; a count that falls to 0 removes the TTL. */
export const ttlCountsAdd = (t: TtlCounts, ttl: bigint, delta: number): TtlCounts => {
  if (!Array.isArray(t)) {
    const m = t as IMap<bigint, number>;
    const n = (m.get(ttl) ?? 0) + delta;
    if (n > 0) return m.set(ttl, n);
    const rest = m.delete(ttl);
    // back to pairs at the limit: the representation depends on the content only (a restored snapshot's is the same)
    return rest.size <= SMALL_UP_TO ? ttlCountsOf(ttlCountsEntries(rest)) : rest;
  }
  const a = t as ReadonlyArray<bigint | number>;
  let i = 0;
  while (i < a.length && (a[i] as bigint) < ttl) i += 2;
  if (i < a.length && a[i] === ttl) {
    const n = (a[i + 1] as number) + delta;
    if (n > 0) {
      const out = a.slice();
      out[i + 1] = n;
      return out;
    }
    const out = new Array<bigint | number>(a.length - 2);
    for (let j = 0; j < i; j++) out[j] = a[j]!;
    for (let j = i + 2; j < a.length; j++) out[j - 2] = a[j]!;
    return out;
  }
  if (delta <= 0) return a;
  if (a.length >= 2 * SMALL_UP_TO) return ttlCountsOf([...ttlCountsEntries(a), [ttl, delta]]);
  const out = new Array<bigint | number>(a.length + 2);
  for (let j = 0; j < i; j++) out[j] = a[j]!;
  out[i] = ttl;
  out[i + 1] = delta;
  for (let j = i; j < a.length; j++) out[j + 2] = a[j]!;
  return out;
};

/** The lowest TTL (as a number), `Infinity` when there is none. */
export const ttlCountsLowest = (t: TtlCounts): number => {
  if (Array.isArray(t)) return t.length === 0 ? Infinity : Number(t[0] as bigint);
  lowest = Infinity;
  (t as IMap<bigint, number>).forEach(lowerTtl); // (no iterator and no step objects)
  return lowest;
};

/** The lowest TTL {@link lowerTtl} has seen (one {@link ttlCountsLowest} call's scratch). */
let lowest = Infinity;
const lowerTtl = (_n: number, ttl: bigint): void => {
  const n = Number(ttl);
  if (n < lowest) lowest = n;
};

/** Pairs by TTL (each TTL is in one pair only). */
const byTtl = (x: readonly [bigint, number], y: readonly [bigint, number]): number => (x[0] < y[0] ? -1 : 1);

/** The (TTL, count) pairs, by TTL. */
export const ttlCountsEntries = (t: TtlCounts): Array<[bigint, number]> => {
  const out: Array<[bigint, number]> = [];
  if (Array.isArray(t)) for (let i = 0; i < t.length; i += 2) out.push([t[i] as bigint, t[i + 1] as number]);
  else (t as IMap<bigint, number>).forEach((n, ttl) => void out.push([ttl, n]));
  return out.sort(byTtl);
};

/** The multiset of `entries` (TTL, count ≥ 1; each TTL once), in the representation its size calls for. */
export const ttlCountsOf = (entries: Iterable<readonly [bigint, number]>): TtlCounts => {
  const pairs = [...entries].sort(byTtl);
  if (pairs.length > SMALL_UP_TO) return IMap<bigint, number>(pairs);
  const out: Array<bigint | number> = [];
  for (const [ttl, n] of pairs) out.push(ttl, n);
  return out;
};

/**
 * The plain values of §3.2 that the daemon's hot paths need without io-ts (the codec's fast path, the reducer's props
 * comparison): the largest integer on the wire, the `Int>=0` test, and props built and compared. `primitives.ts`
 * builds the io-ts codecs on them and re-exports them, so an idle daemon loads neither io-ts nor fp-ts (issue 12,
 * bench/README.md "lean17").
 */
import type { PropValue, Props } from '../filter/props';

/** 2^63 − 1, the largest id, generation, TTL or ta-id on the wire. */
export const INT63_MAX = 9223372036854775807n;

/** `Int>=0`: an integer in 0 … 2^63−1, as a bigint (what `parseJson` gives for an integer literal). */
export const isUInt63 = (u: unknown): u is bigint => typeof u === 'bigint' && u >= 0n && u <= INT63_MAX;

/**
 * Build a {@link Props} map from key/value-list pairs: duplicates collapse, empty lists vanish (§3.2), key order is
 * the order of first appearance.
 */
export const makeProps = (entries: Iterable<readonly [string, Iterable<PropValue>]>): Props => {
  const m = new Map<string, PropValue[]>();
  for (const [k, vs] of entries) {
    let list = m.get(k);
    for (const v of vs) {
      if (list === undefined) {
        list = [];
        m.set(k, list);
      }
      if (!list.includes(v)) list.push(v);
    }
  }
  return m;
};

/**
 * Props equality of §7.3: same keys, and for each key the same *set* of values (inclusion is checked both ways, so
 * the result is right even for hand-built lists that repeat a value).
 */
export const propsEqual = (a: Props, b: Props): boolean => {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (vb === undefined) return false;
    for (const v of va) if (!vb.includes(v)) return false;
    for (const v of vb) if (!va.includes(v)) return false;
  }
  return true;
};

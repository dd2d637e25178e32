/**
 * Sharing the strings and small integers a service record keeps (issue 12, memory per service).
 *
 * A string sliced out of a message's text is, in V8, a view that keeps the whole message alive (a 200-byte publish
 * stays in memory for as long as its `addr` value does), and every occurrence of `"green"` is its own string.
 * {@link intern} gives back the engine's internalized copy instead: flat (it holds only its own characters) and
 * shared by every equal string; the engine's string table holds these weakly, so a value no service uses any more
 * is collected (no table of ours grows with the names clients send).
 *
 * {@link smallInt} shares the bigints of small integers (generations, TTLs): one object per value instead of one per
 * message.
 *
 * @example
 * intern(text.slice(10, 30)) === intern(other.slice(4, 24)); // the same string object when the characters are equal
 * smallInt(3600) === smallInt(3600); // true
 */

/** A dictionary-mode object used only for the duration of one {@link intern} call: a property key is internalized. */
const box: Record<string, 0> = Object.create(null) as Record<string, 0>;

/** `s`, flat and shared: the engine's internalized string with the same characters. */
export const intern = (s: string): string => {
  box[s] = 0;
  let k = s;
  for (const key in box) k = key;
  delete box[s];
  return k;
};

/** Slots of the cache of {@link internAt} (a power of two). */
const RECENT = 2048;
const recent: Array<string | undefined> = new Array<string | undefined>(RECENT).fill(undefined);

/**
 * `intern(text.slice(start, end))`, without the slice or the engine's table when a string with these characters was
 * among the last ones seen (a direct-mapped cache of {@link RECENT} strings by a hash of their characters): property
 * names and common values (`"name"`, `"color"`, `"green"`) are decoded without allocating. Holds at most RECENT
 * strings, each already shared.
 */
export const internAt = (text: string, start: number, end: number): string => {
  const n = end - start;
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  const slot = (h ^ (h >>> 11)) & (RECENT - 1);
  const c = recent[slot];
  if (c !== undefined && c.length === n) {
    let j = 0;
    while (j < n && c.charCodeAt(j) === text.charCodeAt(start + j)) j++;
    if (j === n) return c;
  }
  const s = intern(text.slice(start, end));
  recent[slot] = s;
  return s;
};

/** Integers below this are shared. */
const SMALL = 4096;
const smallInts: Array<bigint | undefined> = new Array<bigint | undefined>(SMALL).fill(undefined);

/** `BigInt(n)` for a non-negative safe integer `n`, shared when small. */
export const smallInt = (n: number): bigint => {
  if (n >= SMALL) return BigInt(n);
  let b = smallInts[n];
  if (b === undefined) smallInts[n] = b = BigInt(n);
  return b;
};

/** Single-value lists recently decoded, by value; cleared when full, so it never holds more than {@link LISTS}. */
const lists = new Map<string | bigint, ReadonlyArray<string | bigint>>();
const LISTS = 1024;

/**
 * The list `[v]`, frozen and shared with the other recent decodes of the same single value: 100,000 services with
 * `"color": ["green"]` hold a few such arrays, not 100,000 (a value list is never modified once decoded).
 */
export const oneValue = (v: string | bigint): ReadonlyArray<string | bigint> => {
  let l = lists.get(v);
  if (l === undefined) {
    if (lists.size >= LISTS) lists.clear();
    l = Object.freeze([v]);
    lists.set(v, l);
  }
  return l;
};

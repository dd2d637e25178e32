/**
 * Sharing the strings and small integers a service record keeps (issue 12, memory per service).
 *
 * A string sliced out of a message's text is, in V8, a view that keeps the whole message alive (a 200-byte publish
 * stays in memory for as long as its `addr` value does), and every occurrence of `"green"` is its own string.
 * {@link intern} gives back the engine's internalized copy instead: flat (it holds only its own characters) and
 * shared by every equal string; the engine's string table holds these weakly, so a value no service uses any more
 * is collected (no table of ours grows with the names clients send). The decoder's {@link internAt} shares through a
 * small cache of recent strings and copies the others, which for names unique to their service is much cheaper than
 * the engine's table.
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

/** Slots of the cache of {@link internAt} (a power of two; sets of two ways). */
const RECENT = 2048;
const recent: Array<string | undefined> = new Array<string | undefined>(RECENT).fill(undefined);

/** Strings longer than this are copied through {@link intern} (the copy buffer's size). */
const COPY_MAX = 256;
const codes = new Uint16Array(COPY_MAX);
/** `codes.subarray(0, n)` by `n`, made once. */
const views: Array<Uint16Array | undefined> = [];

/** The bytes of an ASCII string being copied by {@link flatSlice}, and `bytes.subarray(0, n)` by `n`, made once. */
const bytes = new Uint8Array(COPY_MAX);
const byteViews: Array<Uint8Array | undefined> = [];
const utf8 = new TextDecoder();

/**
 * `text.slice(start, end)` as a flat string of its own, which keeps nothing of `text` alive, shared with nothing. V8
 * copies a slice shorter than 13 characters anyway; a longer one would be a view into `text`, so its characters are
 * copied (past 256, through {@link intern}): an ASCII one (nearly every name, address and props text) as bytes that a
 * `TextDecoder` turns into the string, another through `String.fromCharCode` (which spreads its characters as
 * arguments: 2-3x the time for 13-200 characters). Cheaper than {@link intern} for a string the engine has not seen
 * (a name unique to its service, a service's props text): no insertion into the engine's string table, which every
 * full GC then sweeps.
 */
export const flatSlice = (text: string, start: number, end: number): string => {
  const n = end - start;
  if (n < 13) return text.slice(start, end);
  if (n > COPY_MAX) return intern(text.slice(start, end));
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(start + i);
    if (c > 0x7f) break;
    bytes[i] = c;
  }
  if (i === n) return utf8.decode((byteViews[n] ??= bytes.subarray(0, n)));
  for (let j = 0; j < n; j++) codes[j] = text.charCodeAt(start + j);
  const v = (views[n] ??= codes.subarray(0, n));
  return String.fromCharCode.apply(null, v as unknown as number[]);
};

/**
 * `text.slice(start, end)`, flat (it keeps nothing of `text` alive) and shared with the equal strings decoded
 * recently: a cache of {@link RECENT} strings by a hash of their characters (two-way sets) gives back the one seen
 * before, so property names and common values (`"name"`, `"color"`, `"green"`) are decoded without allocating; a
 * string not in the cache is copied ({@link flatSlice}) and takes its slot. Equal strings that are not decoded close
 * together (further apart than the cache holds) are separate copies. Holds at most RECENT strings.
 */
export const internAt = (text: string, start: number, end: number): string => {
  const n = end - start;
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  // two ways per set, the one used last first: two strings that hash to one set (`name` and the benchmark's `addr`
  // value do) both stay, where a direct-mapped slot made them evict each other on every publish
  const slot = ((h ^ (h >>> 12)) & (RECENT / 2 - 1)) << 1;
  const c = recent[slot];
  if (c !== undefined && sameChars(c, text, start, n)) return c;
  const d = recent[slot + 1];
  if (d !== undefined && sameChars(d, text, start, n)) {
    recent[slot + 1] = c;
    recent[slot] = d;
    return d;
  }
  const s = flatSlice(text, start, end);
  recent[slot + 1] = c;
  recent[slot] = s;
  return s;
};

/** Whether `c` has the `n` characters of `text` from `start`. */
const sameChars = (c: string, text: string, start: number, n: number): boolean => {
  if (c.length !== n) return false;
  for (let j = 0; j < n; j++) if (c.charCodeAt(j) !== text.charCodeAt(start + j)) return false;
  return true;
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

/**
 * A lean persistent hash map (hash array mapped trie) for primitive keys (bigint, string, number; compared with
 * `===`), for the structures that hold one entry per service (issue 12, memory per service).
 *
 * immutable.js's `Map` spends about 110 bytes on an entry (a leaf object and a `[key, value]` array of its own, on
 * top of the trie's nodes); here an entry is two slots of its node's array (16 bytes), plus its share of the nodes:
 * a node is one plain array `[bitmap, k0, v0, k1, v1, ...]` where a slot pair is an entry or `SUB` and a child node.
 * Updates copy the path (O(log32 n)) and leave the old version valid, as immutable.js does; inside a transient edit
 * (a reducer call folding a batch, {@link hamtBeginEdit}) the nodes the edit created are changed in place instead of
 * copied again. Iteration order is the hash order: use it where order does not matter.
 *
 * @example
 * let m = hamtEmpty<bigint, string>();
 * m = hamtSet(m, 7n, 'seven');
 * hamtGet(m, 7n); // 'seven'
 * hamtDelete(m, 7n).size; // 0
 */

/** The keys the map takes. */
export type HamtKey = bigint | string | number;

/** A map version. Treat as opaque (`size` is public). */
export interface Hamt<K extends HamtKey, V> {
  readonly size: number;
  /** @internal */
  readonly root: Node;
  /** @internal phantom */
  readonly _types?: (k: K) => V;
}

/**
 * `[bitmap, k0, v0, ...]`: one pair per set bit of the 32-bit bitmap, in bit order; a pair is a key and its value,
 * or {@link SUB} and a child node. A collision node (hashes equal in all their bits) has {@link COLLISION} in place of
 * its bitmap, and entries only.
 *
 * Bitmaps and hashes are signed 32-bit integers (`| 0`, not `>>> 0`): V8 keeps those as small integers in the node's
 * array and in arguments, where an unsigned one of 2^31 or more (any node with its last bit set: every full node) is
 * a heap number: an allocation per copied node and one more dependent load per level of every walk.
 */
type Node = unknown[];

/** Marks a child node in a slot pair (no key is this object). */
const SUB = { sub: true };
const BITS = 5;
const MASK = 31;
/** Below this many bits of hash left, keys with equal hashes go to a collision node. */
const MAX_SHIFT = 30;
/** Marks a collision node in place of a bitmap (no bitmap is this object). */
const COLLISION = { collision: true };

const EMPTY_NODE: Node = [0];
const EMPTY: Hamt<never, never> = { size: 0, root: EMPTY_NODE };

/** The empty map. */
export const hamtEmpty = <K extends HamtKey, V>(): Hamt<K, V> => EMPTY as unknown as Hamt<K, V>;

const mix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};
const TWO32 = 4294967296;
const intHash = (n: number): number => mix((n >>> 0) ^ Math.imul(Math.floor(n / TWO32) >>> 0, 0x9e3779b1));
const numberHash = (n: number): number => (Number.isInteger(n) ? intHash(n) : mix(stringHash(String(n))));
const stringHash = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h;
};
/**
 * A bigint's hash from its conversion to a number, no bigint arithmetic and no text: exact up to 53 bits (ids are
 * usually small), above that the number's (rounded) high bits mixed with the low 32 bits, so that ids differing only
 * in their low bits still spread (comparing with bigint constants and `toString()` cost 2-3x as much per lookup).
 */
const bigintHash = (k: bigint): number => {
  const n = Number(k);
  if (n <= Number.MAX_SAFE_INTEGER && n >= -Number.MAX_SAFE_INTEGER) return intHash(n);
  return mix(Math.imul(Math.floor(n / TWO32) >>> 0, 0x9e3779b1) ^ Number(BigInt.asUintN(32, k)));
};
/** @internal The 32-bit hash of a key (exported for tests that need keys of equal hash). */
export const hamtHash = (k: HamtKey): number => hashOf(k);
const hashOf = (k: HamtKey): number => {
  if (typeof k === 'bigint') return bigintHash(k);
  if (typeof k === 'string') return mix(stringHash(k));
  return numberHash(k);
};

const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
};
/** The array index of the key slot of the pair for `bit` in a node with `bitmap`. */
const slotOf = (bitmap: number, bit: number): number => 1 + 2 * popcount(bitmap & (bit - 1));

const getIn = (node: Node, k: HamtKey, h: number, shift: number): unknown => {
  for (;;) {
    const bitmap = node[0] as number;
    if ((bitmap as unknown) === COLLISION) {
      for (let i = 1; i < node.length; i += 2) if (node[i] === k) return node[i + 1];
      return undefined;
    }
    const bit = 1 << ((h >>> shift) & MASK);
    if ((bitmap & bit) === 0) return undefined;
    const i = slotOf(bitmap, bit);
    const key = node[i];
    if (key === SUB) {
      node = node[i + 1] as Node;
      shift += BITS;
      continue;
    }
    return key === k ? node[i + 1] : undefined;
  }
};

/** The value of `k`, or `undefined`. */
export const hamtGet = <K extends HamtKey, V>(m: Hamt<K, V>, k: NoInfer<K>): V | undefined =>
  m.size === 0 ? undefined : (getIn(m.root, k, hashOf(k), 0) as V | undefined);

/** Whether `k` has a value. */
export const hamtHas = <K extends HamtKey, V>(m: Hamt<K, V>, k: NoInfer<K>): boolean => hamtGet(m, k) !== undefined;

// ---------------------------------------------------------------------------------------------------------------
// transient edits

/**
 * The nodes created by the edit in progress ({@link hamtBeginEdit}), which it may change in place; `undefined`
 * outside an edit. A node of this set is reachable only from versions built during the edit, and its parent in such
 * a version is in the set too (every update copies the whole path from the root, or changes it in place).
 */
let owned: Set<object> | undefined;

/**
 * Only the nodes of the first two levels (shifts 0 and 5) are the edit's: a batch's updates share those (the root, the
 * 32 nodes below it); deeper ones (1,024 at the third level) are rarely touched twice by one batch of a big map, and
 * tracking them cost as much as it saved.
 */
const OWNED_BELOW = 10;

/** Whether the edit in progress may change `node` (at `shift`) in place. */
const mine = (node: Node, shift: number): boolean => shift < OWNED_BELOW && owned !== undefined && owned.has(node);

/** `node` (at `shift`), just created: the edit in progress (if any) may change it in place from now on. */
const own = (node: Node, shift: number): Node => {
  if (shift < OWNED_BELOW && owned !== undefined) owned.add(node);
  return node;
};

/**
 * Open a transient edit (issues 12 and 15: the garbage of path copies). Until {@link hamtEndEdit}, a node that an
 * update creates belongs to the edit, and a later update that would copy it changes it in place instead, so a batch
 * of updates copies each node it touches once instead of once per update. A node from before the edit is never
 * changed: the maps the edit started from stay valid, and once the edit ends, so do the maps it returned, forever.
 * Inside an edit, a map built by it is valid until the next update: one that must stay as it is while the edit goes
 * on (a listing's snapshot) is sealed with {@link hamtSeal} first.
 *
 * Returns the token for {@link hamtEndEdit}. An edit opened inside another one seals the outer edit.
 *
 * @example
 * const token = hamtBeginEdit();
 * try {
 *   for (const [k, v] of batch) m = hamtSet(m, k, v); // the path nodes are copied once, then changed in place
 * } finally {
 *   hamtEndEdit(token);
 * }
 */
export const hamtBeginEdit = (): boolean => {
  const outer = owned !== undefined;
  owned = new Set();
  return outer;
};

/** Close the edit that {@link hamtBeginEdit} returned `token` for: its maps are immutable from now on. */
export const hamtEndEdit = (token: boolean): void => {
  owned = token ? new Set() : undefined;
};

/** Whether an edit is open (a reducer call of one event inside one must open its own, see reducer.ts). */
export const hamtEditing = (): boolean => owned !== undefined;

/**
 * Whether the edit in progress created `o` (registered with {@link editOwn}) and so may change it in place: for the
 * other persistent structures of a batch (./slot-list.ts) and the connection records (./context.ts `draftConn`),
 * under the same rules as the trie's nodes.
 */
export const editOwns = (o: object): boolean => owned !== undefined && owned.has(o);

/** `o`, just created: the edit in progress (if any) may change it in place from now on. */
export const editOwn = <T extends object>(o: T): T => {
  if (owned !== undefined) owned.add(o);
  return o;
};

/** The edit in progress gives up the nodes it has: every map built so far stays as it is from now on. */
export const hamtSeal = (): void => {
  if (owned !== undefined && owned.size > 0) owned = new Set();
};

/** A node holding two entries whose hashes first differ at or after `shift`. */
const pair = (k1: HamtKey, h1: number, v1: unknown, k2: HamtKey, h2: number, v2: unknown, shift: number): Node => {
  if (shift > MAX_SHIFT) return own([COLLISION, k1, v1, k2, v2], shift);
  const b1 = (h1 >>> shift) & MASK;
  const b2 = (h2 >>> shift) & MASK;
  if (b1 === b2) return own([1 << b1, SUB, pair(k1, h1, v1, k2, h2, v2, shift + BITS)], shift);
  const bitmap = (1 << b1) | (1 << b2);
  return own(b1 < b2 ? [bitmap, k1, v1, k2, v2] : [bitmap, k2, v2, k1, v1], shift);
};

/**
 * The change of size of the last `setIn`/`updateIn` (set at the leaf, after any call of the caller's function, so a
 * nested update inside that function cannot clobber it): no object per update.
 */
let sizeDelta = 0;
/**
 * Whether the last update changed the map (set at the leaf, as `sizeDelta`): an update inside an edit may return
 * the root it was given, changed in place.
 */
let changed = false;

/** Bitmap node `node` with the entry (`k`, `v`) inserted at slot `i` and bitmap `bitmap` (a copy, or in place). */
const withEntry = (node: Node, bitmap: number, i: number, k: unknown, v: unknown, shift: number): Node => {
  if (mine(node, shift)) {
    node.push(k, v);
    for (let j = node.length - 1; j > i + 1; j--) node[j] = node[j - 2];
    node[0] = bitmap;
    node[i] = k;
    node[i + 1] = v;
    return node;
  }
  const copy = new Array<unknown>(node.length + 2);
  copy[0] = bitmap;
  for (let j = 1; j < i; j++) copy[j] = node[j];
  copy[i] = k;
  copy[i + 1] = v;
  for (let j = i; j < node.length; j++) copy[j + 2] = node[j];
  return own(copy, shift);
};

/** `node` with slot `i` set to `v` (a copy, or in place). */
const replaced = (node: Node, i: number, v: unknown, shift: number): Node => {
  if (mine(node, shift)) {
    node[i] = v;
    return node;
  }
  const copy = node.slice();
  copy[i] = v;
  return own(copy, shift);
};

/** `node` with slots `i` and `i + 1` set to `a` and `b` (a copy, or in place). */
const replaced2 = (node: Node, i: number, a: unknown, b: unknown, shift: number): Node => {
  if (mine(node, shift)) {
    node[i] = a;
    node[i + 1] = b;
    return node;
  }
  const copy = node.slice();
  copy[i] = a;
  copy[i + 1] = b;
  return own(copy, shift);
};

/** `node` without its pair at key slot `i` (a bitmap node; `bit` is the pair's bit), a copy or in place. */
const without = (node: Node, i: number, bit: number, shift: number): Node => {
  const bitmap = (node[0] as number) & ~bit;
  if (mine(node, shift)) {
    for (let j = i + 2; j < node.length; j++) node[j - 2] = node[j];
    node.length -= 2;
    node[0] = bitmap;
    return node;
  }
  const copy = new Array<unknown>(node.length - 2);
  copy[0] = bitmap;
  for (let j = 1; j < i; j++) copy[j] = node[j];
  for (let j = i + 2; j < node.length; j++) copy[j - 2] = node[j];
  return own(copy, shift);
};

/**
 * Collision node `node` with the entry (`k`, `v`) added: a copy. (A collision node lies below {@link MAX_SHIFT}, deeper
 * than an edit tracks its nodes, `OWNED_BELOW`: it is never the edit's own, and never changed in place.)
 */
const appended = (node: Node, k: unknown, v: unknown, shift: number): Node => own([...node, k, v], shift);

/**
 * Collision node `node` without its entry at key slot `i`: when one entry is left, a bitmap node of that entry alone,
 * which its parent (a bitmap node) takes in place of this node (see `single`).
 */
const collisionWithout = (node: Node, i: number, shift: number): Node => {
  if (node.length === 5) return own([0, node[4 - i], node[5 - i]], shift);
  // (a copy: a collision node is never the edit's own, see `appended`)
  const copy = node.slice();
  copy.splice(i, 2);
  return own(copy, shift);
};

const setIn = (node: Node, k: HamtKey, h: number, v: unknown, shift: number): Node => {
  const bitmap = node[0] as number;
  if ((bitmap as unknown) === COLLISION) {
    for (let i = 1; i < node.length; i += 2)
      if (node[i] === k) {
        if (node[i + 1] === v) return node;
        changed = true;
        return replaced(node, i + 1, v, shift);
      }
    sizeDelta = 1;
    changed = true;
    return appended(node, k, v, shift);
  }
  const bit = 1 << ((h >>> shift) & MASK);
  const i = slotOf(bitmap, bit);
  if ((bitmap & bit) === 0) {
    sizeDelta = 1;
    changed = true;
    return withEntry(node, bitmap | bit, i, k, v, shift);
  }
  const key = node[i];
  if (key === SUB) {
    const old = node[i + 1] as Node;
    const child = setIn(old, k, h, v, shift + BITS);
    // the same node: unchanged, or changed in place (then so is this node, its parent in the same edit)
    return child === old ? node : replaced(node, i + 1, child, shift);
  }
  if (key === k) {
    if (node[i + 1] === v) return node;
    changed = true;
    return replaced(node, i + 1, v, shift);
  }
  sizeDelta = 1;
  changed = true;
  return replaced2(
    node,
    i,
    SUB,
    pair(key as HamtKey, hashOf(key as HamtKey), node[i + 1], k, h, v, shift + BITS),
    shift,
  );
};

/** The map with `k` set to `v` (the same map if it already was). `v` must not be `undefined`. */
export const hamtSet = <K extends HamtKey, V>(m: Hamt<K, V>, k: NoInfer<K>, v: NoInfer<V>): Hamt<K, V> => {
  sizeDelta = 0;
  changed = false;
  const root = setIn(m.root, k, hashOf(k), v, 0);
  return changed ? { size: m.size + sizeDelta, root } : m;
};

/** A node left with a single entry and no child can be inlined into its parent. */
const single = (node: Node): boolean => node.length === 3 && node[1] !== SUB;

const deleteIn = (node: Node, k: HamtKey, h: number, shift: number): Node | undefined => {
  const bitmap = node[0] as number;
  if ((bitmap as unknown) === COLLISION) {
    for (let i = 1; i < node.length; i += 2) if (node[i] === k) return collisionWithout(node, i, shift);
    return undefined;
  }
  const bit = 1 << ((h >>> shift) & MASK);
  if ((bitmap & bit) === 0) return undefined;
  const i = slotOf(bitmap, bit);
  const key = node[i];
  if (key === SUB) {
    const old = node[i + 1] as Node;
    const child = deleteIn(old, k, h, shift + BITS);
    if (child === undefined) return undefined;
    // pull a lone entry up
    if (single(child)) return replaced2(node, i, child[1], child[2], shift);
    return child === old ? node : replaced(node, i + 1, child, shift);
  }
  if (key !== k) return undefined;
  return without(node, i, bit, shift);
};

/** The map without `k` (the same map if it had no `k`). */
export const hamtDelete = <K extends HamtKey, V>(m: Hamt<K, V>, k: NoInfer<K>): Hamt<K, V> => {
  if (m.size === 0) return m;
  const root = deleteIn(m.root, k, hashOf(k), 0);
  if (root === undefined) return m;
  return m.size === 1 ? hamtEmpty() : { size: m.size - 1, root };
};

const updateIn = (node: Node, k: HamtKey, h: number, shift: number, f: (old: unknown) => unknown): Node => {
  const bitmap = node[0] as number;
  if ((bitmap as unknown) === COLLISION) {
    for (let i = 1; i < node.length; i += 2)
      if (node[i] === k) {
        const old = node[i + 1];
        const v = f(old);
        if (v === old) {
          changed = false;
          return node;
        }
        changed = true;
        if (v !== undefined) {
          sizeDelta = 0;
          return replaced(node, i + 1, v, shift);
        }
        sizeDelta = -1;
        return collisionWithout(node, i, shift);
      }
    const v = f(undefined);
    if (v === undefined) {
      changed = false;
      return node;
    }
    sizeDelta = 1;
    changed = true;
    return appended(node, k, v, shift);
  }
  const bit = 1 << ((h >>> shift) & MASK);
  const i = slotOf(bitmap, bit);
  if ((bitmap & bit) === 0) {
    const v = f(undefined);
    if (v === undefined) {
      changed = false;
      return node;
    }
    sizeDelta = 1;
    changed = true;
    return withEntry(node, bitmap | bit, i, k, v, shift);
  }
  const key = node[i];
  if (key === SUB) {
    const old = node[i + 1] as Node;
    const child = updateIn(old, k, h, shift + BITS, f);
    // a deletion left one entry (in a copy, or in place): pull it up
    if (single(child)) return replaced2(node, i, child[1], child[2], shift);
    return child === old ? node : replaced(node, i + 1, child, shift);
  }
  if (key === k) {
    const old = node[i + 1];
    const v = f(old);
    if (v === old) {
      changed = false;
      return node;
    }
    changed = true;
    if (v !== undefined) {
      sizeDelta = 0;
      return replaced(node, i + 1, v, shift);
    }
    sizeDelta = -1;
    return without(node, i, bit, shift);
  }
  const v = f(undefined);
  if (v === undefined) {
    changed = false;
    return node;
  }
  sizeDelta = 1;
  changed = true;
  return replaced2(
    node,
    i,
    SUB,
    pair(key as HamtKey, hashOf(key as HamtKey), node[i + 1], k, h, v, shift + BITS),
    shift,
  );
};

/**
 * The map with `k`'s value replaced by `f(old)` (`old`: `undefined` if absent; a result `undefined` deletes `k`),
 * in one walk of the trie and one hash of `k`, where a get then a set or delete take two (the same map if `f`
 * returns the old value). `f` is called exactly once.
 */
export const hamtUpdate = <K extends HamtKey, V>(
  m: Hamt<K, V>,
  k: NoInfer<K>,
  f: (old: V | undefined) => V | undefined,
): Hamt<K, V> => {
  const root = updateIn(m.root, k, hashOf(k), 0, f as (old: unknown) => unknown);
  if (!changed) return m;
  const size = m.size + sizeDelta;
  return size === 0 ? hamtEmpty() : { size, root };
};

const forEachIn = (node: Node, f: (v: unknown, k: HamtKey) => void): void => {
  for (let i = 1; i < node.length; i += 2) {
    if (node[i] === SUB) forEachIn(node[i + 1] as Node, f);
    else f(node[i + 1], node[i] as HamtKey);
  }
};

/** Call `f` for every entry, in hash order. */
export const hamtForEach = <K extends HamtKey, V>(m: Hamt<K, V>, f: (v: V, k: K) => void): void =>
  forEachIn(m.root, f as (v: unknown, k: HamtKey) => void);

/** The entries as `[key, value]` pairs, in hash order (for tests and snapshots; a walk allocates nothing else). */
export const hamtEntries = <K extends HamtKey, V>(m: Hamt<K, V>): Array<[K, V]> => {
  const out: Array<[K, V]> = [];
  hamtForEach(m, (v, k) => out.push([k, v]));
  return out;
};

/** Some entry's key (the first in hash order), or `undefined` when empty. */
export const hamtFirstKey = <K extends HamtKey, V>(m: Hamt<K, V>): K | undefined => {
  let node = m.root;
  for (;;) {
    if (node.length === 1) return undefined;
    if (node[1] !== SUB) return node[1] as K;
    node = node[2] as Node;
  }
};

/** The node at `shift` holding the entries `idx` (indices into `keys`/`hashes`/`values`). */
const build = (
  keys: readonly HamtKey[],
  hashes: readonly number[],
  values: readonly unknown[],
  idx: readonly number[],
  shift: number,
): Node => {
  if (shift > MAX_SHIFT) {
    const node: Node = [COLLISION];
    for (const i of idx) node.push(keys[i], values[i]);
    return node;
  }
  const groups: number[][] = [];
  for (const i of idx) (groups[(hashes[i]! >>> shift) & MASK] ??= []).push(i);
  const node: Node = [0];
  let bitmap = 0;
  for (let b = 0; b < 32; b++) {
    const g = groups[b];
    if (g === undefined) continue;
    bitmap |= 1 << b;
    if (g.length === 1) node.push(keys[g[0]!], values[g[0]!]);
    else node.push(SUB, build(keys, hashes, values, g, shift + BITS));
  }
  node[0] = bitmap;
  return node;
};

/**
 * The map of `keys[i] -> values[i]` built in one pass (linear, no path copies: for rebuilding a large map at once).
 * The keys must be distinct and no value `undefined`.
 */
export const hamtOf = <K extends HamtKey, V>(keys: readonly K[], values: readonly V[]): Hamt<K, V> => {
  if (keys.length === 0) return hamtEmpty();
  const hashes = keys.map(hashOf);
  const idx = keys.map((_, i) => i);
  return { size: keys.length, root: build(keys, hashes, values, idx, 0) };
};

/**
 * A persistent list of slots at absolute positions, for the orders the directory keeps (the services in publication
 * order, ./ordered-by-id.ts; a record's services in attachment order, ./ordered-ids.ts): what those did with an
 * immutable.js `List` and a base position, cheaper for the way they are used (issues 12 and 13). Positions
 * `[start, end)` may hold values; a hole is `undefined`.
 *
 * - Deleting the first value (a client unpublishing what it published first, a wave of orphans expiring in order)
 *   moves `start` past it and the holes after it: no copy at all, where `List.shift` rebuilt the list's bounds; the
 *   leaves wholly before `start` are dropped from the tree when `start` leaves them (so a list used as a queue keeps
 *   at most one leaf of stale slots).
 * - Appending goes to a tail array of at most 32 slots: copied, except inside a reducer call's edit (../util/hamt.ts
 *   `hamtBeginEdit`) for a tail the edit created, which is appended to in place when its length is this version's
 *   end (past the end of every other version of the edit, which never reads there); a full tail becomes a leaf of the
 *   tree (a path copy every 32 appends). No array from before the edit is ever changed.
 * - Deleting the last value moves `end` back past the holes before it; any other position becomes a hole (a copy of
 *   the path to it). Replacing a value copies the path to it too.
 * - Inside an edit, replacing a value by another changes in place the nodes (and the tail) the same edit created,
 *   under the trie's rules: a version built during the edit is valid until the next update (a snapshot that must
 *   outlive it is sealed, `hamtSeal`), every version from before the edit or returned by a finished one stays valid
 *   forever. A batch of republishes copies each path once instead of once per republish (issue 15: these copies were
 *   ~19 % of what a replay of the benchmark's log allocated). Appends and holes keep every version of the edit valid.
 *
 * The tree is 32-way: leaves of 32 slots, `(pos >>> shift) & 31` picks the child at each level. Positions stay below
 * {@link SLOT_LIMIT}: an owner whose `end` reaches it rebuilds from position 0 (as it does to compact).
 *
 * @example
 * let l = SlotList.of(['a', 'b', 'c']);
 * l = l.push('d').without(0).without(2);
 * [l.start, l.end, l.get(1), l.get(2)]; // [1, 4, 'b', undefined]
 */

import { editOwn, editOwns } from '../util/hamt';

type Node = unknown[];

const BITS = 5;
const WIDTH = 32;
const MASK = 31;

/** Positions stay below this (2^30: a `>>>` of any level stays exact): the owner rebuilds from 0 on reaching it. */
export const SLOT_LIMIT = 2 ** 30;

/**
 * The tree's node on the path to `pos` at `shift`, copied (or created), with the entry for `pos` at level `stop` set to
 * `v`: a value at level 0, a leaf at level 5 (`BITS`).
 */
const setIn = (node: Node | undefined, shift: number, pos: number, v: unknown, stop: number, inPlace = false): Node => {
  // (`inPlace`: a node the edit in progress created is changed, not copied: a batch of replacements copies each path
  // once)
  const copy = node === undefined ? editOwn([]) : inPlace && editOwns(node) ? node : editOwn(node.slice());
  const i = (pos >>> shift) & MASK;
  copy[i] = shift === stop ? v : setIn(copy[i] as Node | undefined, shift - BITS, pos, v, stop, inPlace);
  return copy;
};

/** The node at `shift` without the children wholly before position `from` (copied along the path to `from`). */
const dropBefore = (node: Node | undefined, shift: number, from: number): Node | undefined => {
  if (node === undefined || shift === 0) return node;
  const i = (from >>> shift) & MASK;
  let nonEmpty = false;
  const copy = new Array<unknown>(node.length);
  for (let j = i + 1; j < node.length; j++) if ((copy[j] = node[j]) !== undefined) nonEmpty = true;
  const child = dropBefore(node[i] as Node | undefined, shift - BITS, from);
  copy[i] = child;
  return nonEmpty || child !== undefined ? copy : undefined;
};

/** Where a list's values are: its bounds and the position of each value, in order (what a snapshot keeps). */
export interface SlotLayout {
  readonly start: number;
  readonly end: number;
  readonly positions: readonly number[];
}

/**
 * Why `layout` cannot place `n` values (positions not increasing, outside `[start, end)`, or not one per value), or
 * `undefined` if it can.
 */
export const layoutError = (n: number, layout: SlotLayout): string | undefined => {
  const { start, end, positions } = layout;
  if (positions.length !== n) return `${positions.length} positions for ${n} entries`;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > SLOT_LIMIT)
    return `bounds [${start}, ${end})`;
  let prev = start - 1;
  for (const p of positions) {
    if (!Number.isSafeInteger(p) || p <= prev || p >= end) return `position ${p} in [${start}, ${end})`;
    prev = p;
  }
  return undefined;
};

export class SlotList<T> {
  private constructor(
    /** The first position that may hold a value (those before are holes, or stale). */
    readonly start: number,
    /** One past the last value. */
    readonly end: number,
    /** Positions `[0, tailStart)`, those before `start` possibly dropped; `undefined` when none. */
    private readonly root: Node | undefined,
    /** The root's level: 0 when the root is a leaf. */
    private readonly shift: number,
    /** Positions `[tailStart, end)`: `tail[pos - tailStart]` (entries past `end` are another version's). */
    private readonly tail: Array<T | undefined>,
    /** A multiple of 32 with `end - 32 <= tailStart < end` (0 when the list is empty). */
    private readonly tailStart: number,
  ) {}

  private static readonly EMPTY = new SlotList<never>(0, 0, undefined, 0, [], 0);

  static empty<T>(): SlotList<T> {
    return SlotList.EMPTY;
  }

  /** The list of `values` at positions `0 .. values.length - 1` (built in one pass). */
  static of<T>(values: readonly T[]): SlotList<T> {
    const n = values.length;
    if (n === 0) return SlotList.EMPTY;
    const tailStart = Math.floor((n - 1) / WIDTH) * WIDTH;
    let level: Node[] = [];
    for (let p = 0; p < tailStart; p += WIDTH) level.push(values.slice(p, p + WIDTH));
    let shift = 0;
    let root: Node | undefined;
    if (level.length > 0) {
      while (level.length > 1 || shift === 0) {
        const up: Node[] = [];
        for (let j = 0; j < level.length; j += WIDTH) up.push(level.slice(j, j + WIDTH));
        level = up;
        shift += BITS;
        if (level.length === 1) break;
      }
      // `level[0]` holds the children of the root at `shift`; the leaves are at level 0
      root = level[0];
    }
    return new SlotList(0, n, root, shift, values.slice(tailStart), tailStart);
  }

  /**
   * The list of `values` at the positions of `layout` (see {@link layoutError}; holes elsewhere): a list as a
   * snapshot recorded it (../replay/state-codec.ts), its positions and holes those of the list that was written.
   * Built leaf by leaf: the work is that of the values, whatever the positions.
   */
  static placed<T>(values: readonly T[], layout: SlotLayout): SlotList<T> {
    const { start, end, positions } = layout;
    const e = layoutError(values.length, layout);
    if (e !== undefined) throw new RangeError(`SlotList.placed: ${e}`);
    // (a list emptied from its start keeps its end: a compaction's copy whose entries were all deleted)
    if (end === 0) return SlotList.EMPTY;
    const tailStart = Math.floor((end - 1) / WIDTH) * WIDTH;
    const tail = new Array<T | undefined>(end - tailStart).fill(undefined);
    let root: Node | undefined;
    let shift = 0;
    // the root covers positions [0, tailStart): deep enough for its last leaf (as `push` makes it)
    if (tailStart > 0) while ((tailStart - WIDTH) >>> shift >= WIDTH) shift += BITS;
    let leaf: Node | undefined;
    let leafAt = -1;
    const flush = (): void => {
      if (leaf !== undefined) root = shift === 0 ? leaf : setIn(root, shift, leafAt, leaf, BITS);
      leaf = undefined;
    };
    for (let i = 0; i < values.length; i++) {
      const p = positions[i]!;
      if (p >= tailStart) tail[p - tailStart] = values[i];
      else {
        const at = p - (p & MASK);
        if (at !== leafAt) {
          flush();
          leaf = new Array<unknown>(WIDTH).fill(undefined);
          leafAt = at;
        }
        leaf![p & MASK] = values[i];
      }
    }
    flush();
    return new SlotList(start, end, root, shift, tail, tailStart);
  }

  /** Where the values are (for {@link placed}). */
  layout(): SlotLayout {
    const positions: number[] = [];
    this.forEachFrom(0, (_, p) => void positions.push(p));
    return { start: this.start, end: this.end, positions };
  }

  /** Positions from `start` to `end`, holes included. */
  get size(): number {
    return this.end - this.start;
  }

  /** The leaf holding tree position `pos` (below `tailStart`), or `undefined` if dropped. */
  private leafOf(pos: number): Node | undefined {
    let node = this.root;
    for (let s = this.shift; s > 0 && node !== undefined; s -= BITS) node = node[(pos >>> s) & MASK] as Node;
    return node;
  }

  /** The value at `pos`, or `undefined` (a hole, or outside `[start, end)`). */
  get(pos: number): T | undefined {
    if (pos < this.start || pos >= this.end) return undefined;
    if (pos >= this.tailStart) return this.tail[pos - this.tailStart];
    return this.leafOf(pos)?.[pos & MASK] as T | undefined;
  }

  /** The list with `v` at position `end`. */
  push(v: T): SlotList<T> {
    const n = this.end - this.tailStart;
    if (n < WIDTH) {
      let tail = this.tail;
      if (n === 0) tail = editOwn([v]);
      else if (tail.length === n && editOwns(tail))
        tail.push(v); // the edit's own array, past every other version's end
      else {
        tail = editOwn(tail.slice(0, n));
        tail.push(v);
      }
      return new SlotList(this.start, this.end + 1, this.root, this.shift, tail, this.tailStart);
    }
    // the full tail becomes a leaf (a new level above the root when the tree is full)
    let root = this.root;
    let shift = this.shift;
    const at = this.tailStart;
    if (root === undefined) {
      // the tree is empty (or was dropped): a tree just deep enough for position `at`
      shift = 0;
      while (at >>> shift >= WIDTH) shift += BITS;
    } else if (at >>> shift >= WIDTH) {
      root = [root];
      shift += BITS;
    }
    // a full tail is never written again (an append in place needs a shorter one): it becomes the leaf as it is
    root = shift === 0 ? this.tail : setIn(root, shift, at, this.tail, BITS);
    return new SlotList(this.start, this.end + 1, root, shift, [v], at + WIDTH);
  }

  /**
   * The list with the value at `pos` (in `[start, end)`) replaced by `v` (`undefined`: a hole). Inside an edit, a
   * value replaced by a value changes the nodes the edit created in place (this version, and the versions of the edit
   * sharing them, then read `v`: valid until the next update, as the trie's are); a hole is always a copy.
   */
  set(pos: number, v: T | undefined): SlotList<T> {
    const inPlace = v !== undefined;
    if (pos >= this.tailStart) {
      const n = this.end - this.tailStart;
      const mine = inPlace && this.tail.length === n && editOwns(this.tail);
      const tail = mine ? this.tail : editOwn(this.tail.slice(0, n));
      tail[pos - this.tailStart] = v;
      return new SlotList(this.start, this.end, this.root, this.shift, tail, this.tailStart);
    }
    const root = setIn(this.root, this.shift, pos, v, 0, inPlace);
    return new SlotList(this.start, this.end, root, this.shift, this.tail, this.tailStart);
  }

  /**
   * The list without the value at `pos` (in `[start, end)`; the list holds another value too): the first moves
   * `start` past it and the holes after it, the last moves `end` back likewise, any other leaves a hole.
   */
  without(pos: number): SlotList<T> {
    if (pos === this.start) {
      let s = pos + 1;
      while (s < this.end && this.get(s) === undefined) s++;
      let root = this.root;
      // `start` left its leaf: drop the leaves wholly before it
      if (root !== undefined && s >>> BITS !== pos >>> BITS)
        root = s >= this.tailStart ? undefined : this.shift === 0 ? root : dropBefore(root, this.shift, s);
      return new SlotList(s, this.end, root, this.shift, this.tail, this.tailStart);
    }
    if (pos === this.end - 1) {
      let e = pos;
      while (e > this.start && this.get(e - 1) === undefined) e--;
      return this.endAt(e);
    }
    return this.set(pos, undefined);
  }

  /**
   * The list without its last position, exactly one (a hole before it becomes the last position; the list may end
   * in holes, as immutable.js's `List.pop` leaves an `OrderedMap`'s entry list: ./ordered-slots.ts).
   */
  pop(): SlotList<T> {
    return this.end - 1 <= this.start ? SlotList.empty() : this.endAt(this.end - 1);
  }

  /** The list cut at `e` (`start < e < end`). */
  private endAt(e: number): SlotList<T> {
    if (e > this.tailStart) return new SlotList(this.start, e, this.root, this.shift, this.tail, this.tailStart);
    // the tail is left empty: the leaf holding `e - 1` becomes the tail (and leaves the tree)
    const tailStart = Math.floor((e - 1) / WIDTH) * WIDTH;
    const leaf = this.leafOf(tailStart)!;
    const root =
      tailStart <= this.start || this.shift === 0
        ? undefined
        : setIn(this.root, this.shift, tailStart, undefined, BITS);
    return new SlotList(this.start, e, root, this.shift, editOwn(leaf.slice(0, e - tailStart) as T[]), tailStart);
  }

  /** Call `f` for every value from position `pos` on, in order (holes skipped). */
  forEachFrom(pos: number, f: (v: T, pos: number) => void): void {
    let p = Math.max(pos, this.start);
    while (p < this.end) {
      if (p >= this.tailStart) {
        for (; p < this.end; p++) {
          const v = this.tail[p - this.tailStart];
          if (v !== undefined) f(v, p);
        }
        return;
      }
      const leaf = this.leafOf(p);
      const stop = Math.min((p | MASK) + 1, this.tailStart);
      if (leaf !== undefined)
        for (; p < stop; p++) {
          const v = leaf[p & MASK] as T | undefined;
          if (v !== undefined) f(v, p);
        }
      else p = stop;
    }
  }

  /** The values from position `pos` on, in order (holes skipped), one leaf walk per 32 positions. */
  *valuesFrom(pos: number): IterableIterator<T> {
    let p = Math.max(pos, this.start);
    while (p < this.end) {
      const inTail = p >= this.tailStart;
      const leaf = inTail ? (this.tail as Node) : this.leafOf(p);
      const base = inTail ? this.tailStart : p & ~MASK;
      const stop = inTail ? this.end : Math.min(base + WIDTH, this.tailStart);
      if (leaf !== undefined)
        for (; p < stop; p++) {
          const v = leaf[p - base] as T | undefined;
          if (v !== undefined) yield v;
        }
      else p = stop;
    }
  }

  /** The values from position `pos` on, in order. */
  from(pos: number): T[] {
    const out: T[] = [];
    this.forEachFrom(pos, (v) => void out.push(v));
    return out;
  }
}

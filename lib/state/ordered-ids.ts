/**
 * A persistent ordered set of ids, for the services attached to an sd record (§7.1) in attachment order: about 40
 * bytes a member where an immutable.js `OrderedSet` takes about 200 (issue 12, memory per service).
 *
 * The members are a list in insertion order (a deleted member leaves a hole, `undefined`, so positions stay stable
 * for a job walking a version) and a trie from member to position (./hamt.ts). Positions are absolute (the list
 * starts at position `base`): deleting the first member (or the last) shortens the list instead of leaving a hole, so
 * members deleted in attachment order never need a compaction. Like immutable.js's OrderedSet, the list is compacted
 * when it is at least twice the size of the set; every version stays valid.
 *
 * @example
 * let s = OrderedIds.empty().add(5n).add(3n).add(5n);
 * [...s]; // [5n, 3n]
 * s = s.delete(5n).add(5n);
 * [...s]; // [3n, 5n]
 */
import { List, type List as IList } from 'immutable';

import { type Hamt, hamtEmpty, hamtGet, hamtOf, hamtUpdate } from './hamt';

/** The list is compacted from this many positions on when at least half of them are holes. */
const COMPACT_FROM = 32;

/**
 * A slot list without the entry at absolute position `pos` (list, base): deleting the first entry drops it and the
 * holes after it, the last likewise, any other leaves a hole; so entries deleted in insertion order leave no hole.
 * Shared by {@link OrderedIds} and ./ordered-by-id.ts. The list holds more than that one entry.
 */
export const withoutSlot = <T>(
  list: IList<T | undefined>,
  base: number,
  pos: number,
): readonly [IList<T | undefined>, number] => {
  const i = pos - base;
  if (i === 0) {
    do {
      list = list.shift();
      base++;
    } while (list.first() === undefined);
  } else if (i === list.size - 1) {
    do list = list.pop();
    while (list.last() === undefined);
  } else list = list.set(i, undefined);
  return [list, base];
};

export class OrderedIds {
  private constructor(
    /** Members. */
    readonly size: number,
    private readonly at: Hamt<bigint, number>,
    /** The members from position `base` on (the first and the last are never holes). */
    private readonly list: IList<bigint | undefined>,
    private readonly base: number,
  ) {}

  private static readonly EMPTY = new OrderedIds(0, hamtEmpty(), List(), 0);

  /** The empty set. */
  static empty(): OrderedIds {
    return OrderedIds.EMPTY;
  }

  /** The set of `ids` in their order (a repeated id keeps its first place). */
  static of(ids: Iterable<bigint>): OrderedIds {
    const at = new Map<bigint, number>();
    for (const id of ids) if (!at.has(id)) at.set(id, at.size);
    if (at.size === 0) return OrderedIds.EMPTY;
    // built in one linear pass (a compaction of a big record rebuilds it in one event)
    const list = [...at.keys()];
    return new OrderedIds(list.length, hamtOf(list, [...at.values()]), List(list), 0);
  }

  has(id: bigint): boolean {
    return hamtGet(this.at, id) !== undefined;
  }

  /** The set with `id` last, or this set if `id` is already a member (it keeps its place). */
  add(id: bigint): OrderedIds {
    const next = this.base + this.list.size;
    const at = hamtUpdate(this.at, id, (p) => p ?? next); // one walk: a member leaves the trie unchanged
    return at === this.at ? this : new OrderedIds(this.size + 1, at, this.list.push(id), this.base);
  }

  /** The set without `id` (this set if it is not a member). */
  delete(id: bigint): OrderedIds {
    let pos: number | undefined;
    const at = hamtUpdate(this.at, id, (p) => void (pos = p)); // one walk: find and remove
    if (pos === undefined) return this;
    if (this.size === 1) return OrderedIds.EMPTY;
    const [list, base] = withoutSlot(this.list, this.base, pos);
    if (list.size >= COMPACT_FROM && list.size >= (this.size - 1) * 2)
      return OrderedIds.of(list.filter((x): x is bigint => x !== undefined));
    return new OrderedIds(this.size - 1, at, list, base);
  }

  /**
   * Positions of this version, holes included: a walk over `slot(firstSlot .. slots - 1)` sees every member in order
   * (positions below `firstSlot` are holes).
   */
  get slots(): number {
    return this.base + this.list.size;
  }

  /** The first position of this version that may hold a member (where a walk can start). */
  get firstSlot(): number {
    return this.base;
  }

  /** The member at a position of this version, or `undefined` for a hole. */
  slot(pos: number): bigint | undefined {
    return pos < this.base ? undefined : this.list.get(pos - this.base);
  }

  /** The members from position `pos` of this version on, in order. */
  from(pos: number): bigint[] {
    const out: bigint[] = [];
    this.list.skip(Math.max(0, pos - this.base)).forEach((id) => {
      if (id !== undefined) out.push(id);
    });
    return out;
  }

  toArray(): bigint[] {
    return this.from(0);
  }

  [Symbol.iterator](): Iterator<bigint> {
    return this.toArray()[Symbol.iterator]();
  }
}

/**
 * A persistent insertion-ordered map of records keyed by their own `id`: the directory's services (§7.1) in
 * publication order. About 40 bytes an entry where an immutable.js `OrderedMap` takes about 200 (a leaf object, a
 * `[key, position]` array and a `[key, value]` array per entry; issue 12, memory per service).
 *
 * The records are a list of slots in insertion order (./slot-list.ts: a deleted record leaves a hole, `undefined`, so
 * a listing walking a version by position stays valid) and a trie from id to position (../util/hamt.ts). Positions are
 * absolute: deleting the first record (or the last) moves the list's start (or end) instead of leaving a hole, so a
 * map whose records are deleted in publication order (a client unpublishing what it published) never needs a
 * compaction. Setting an existing id replaces its record in place (it keeps its position), as immutable.js's
 * OrderedMap does; the list is compacted when it is at least twice the size of the map. Every version stays valid
 * (listings walk the version of their request).
 *
 * @example
 * let m = OrderedById.empty<{ id: bigint; name: string }>();
 * m = m.set(7n, { id: 7n, name: 'a' }).set(3n, { id: 3n, name: 'b' }).set(7n, { id: 7n, name: 'c' });
 * [...m.values()].map((r) => r.name); // ['c', 'b']
 */
import { type Hamt, hamtEmpty, hamtGet, hamtOf, hamtUpdate } from '../util/hamt';
import { AT_ONCE_UP_TO, compaction, copyStep } from './compaction';
import { type Placement, placedParts, placementOf } from './placement';
import { SLOT_LIMIT, SlotList } from './slot-list';

/** The list is compacted from this many positions on when at least half of them are holes. */
const COMPACT_FROM = 32;

/** The position found by the last `hamtUpdate` of {@link OrderedById} (no closure per update). */
let found: number | undefined;
let nextPos = 0;
const keepOrNext = (p: number | undefined): number => (found = p) ?? nextPos;
const takeOut = (p: number | undefined): undefined => void (found = p);

/**
 * The last {@link OrderedById.get} that found its id: `lastId` is at `lastPos` in the trie `lastAt`. A trie never
 * changes, so this stays true; a `set` of that id in a version with that trie (a get then a replace: orphaning, a
 * republish) takes the position from here instead of walking the trie again. Holds one trie version at most.
 */
let lastAt: unknown;
let lastId = 0n;
let lastPos = 0;

/**
 * `records` at positions from 0, in order (a repeated id keeps its first place and its last record): their number, the
 * trie from id to position and the list, built in one linear pass (a compaction of a big map rebuilds it in one event).
 * What {@link OrderedById.of} and ./ordered-slots.ts build from.
 */
export const placed = <V extends { readonly id: bigint }>(
  records: Iterable<V>,
): [number, Hamt<bigint, number>, SlotList<V>] => {
  const list: V[] = [];
  const at = new Map<bigint, number>();
  for (const r of records) {
    const pos = at.get(r.id);
    if (pos !== undefined) list[pos] = r;
    else {
      at.set(r.id, list.length);
      list.push(r);
    }
  }
  return [list.length, hamtOf([...at.keys()], [...at.values()]), SlotList.of(list)];
};

/**
 * A gradual compaction in progress (./compaction.ts): `next` is the compacted copy of the records at the positions
 * below `cursor`, kept up to date with their changes since.
 */
interface Moving<V extends { readonly id: bigint }> {
  readonly cursor: number;
  readonly next: OrderedById<V>;
}

export class OrderedById<V extends { readonly id: bigint }> {
  private constructor(
    /** Entries. */
    readonly size: number,
    private readonly at: Hamt<bigint, number>,
    /** The records at their positions (the first and the last are never holes). */
    private readonly list: SlotList<V>,
    /** A gradual compaction in progress, if any (every read is of this version's own positions). */
    private readonly moving?: Moving<V>,
  ) {}

  private static readonly EMPTY = new OrderedById<never>(0, hamtEmpty(), SlotList.empty());

  /** The empty map. */
  static empty<V extends { readonly id: bigint }>(): OrderedById<V> {
    return OrderedById.EMPTY;
  }

  /** The map of `records` in their order (a repeated id keeps its first place and its last record). */
  static of<V extends { readonly id: bigint }>(records: Iterable<V>): OrderedById<V> {
    const [size, at, list] = placed(records);
    return size === 0 ? OrderedById.empty() : new OrderedById(size, at, list);
  }

  /**
   * The map of `records` (in order, distinct ids) at the positions of `p`, with the compaction in progress it
   * describes: the map a snapshot recorded as {@link placement} gave it (../replay/state-codec.ts). Throws a
   * `RangeError` if `p` does not fit the records.
   */
  static placed<V extends { readonly id: bigint }>(records: readonly V[], p: Placement): OrderedById<V> {
    if (records.length === 0 && p.list.end === 0) return OrderedById.empty();
    const { main, copy } = placedParts(
      records,
      records.map((r) => r.id),
      p,
    );
    const moving = copy && { cursor: copy.cursor, next: new OrderedById(copy.size, copy.at, copy.list) };
    return new OrderedById(main.size, main.at, main.list, moving);
  }

  /** Where the records are, and the compaction in progress (what {@link placed} takes). */
  placement(): Placement {
    const m = this.moving;
    return placementOf(this.list, m && { cursor: m.cursor, copy: m.next.list });
  }

  get(id: bigint): V | undefined {
    const pos = hamtGet(this.at, id);
    if (pos === undefined) return undefined;
    lastAt = this.at;
    lastId = id;
    lastPos = pos;
    return this.list.get(pos);
  }

  has(id: bigint): boolean {
    return hamtGet(this.at, id) !== undefined;
  }

  /** The map with `record` under `id` (its place kept if `id` is present, else last). `id` must be `record.id`. */
  set(id: bigint, record: V): OrderedById<V> {
    if (lastAt === this.at && lastId === id) {
      // just read: the same place, the trie unchanged
      const at = lastPos;
      return this.list.get(at) === record ? this : this.replaced(at, id, record);
    }
    const next = this.list.end;
    // positions stay below the list's limit: past it, renumber from 0 (once in 2^30 insertions)
    if (next >= SLOT_LIMIT && !this.has(id)) return OrderedById.of([...this.values(), record]);
    // one walk of the trie: an existing id keeps its position (the trie is then unchanged)
    nextPos = next;
    const at = hamtUpdate(this.at, id, keepOrNext);
    const pos = found;
    if (pos === undefined) return new OrderedById(this.size + 1, at, this.list.push(record), this.moving).step();
    return this.list.get(pos) === record ? this : this.replaced(pos, id, record);
  }

  /** The map with `record` in place of the record at `pos` (its id `id`), in the compacted copy too if it is there. */
  private replaced(pos: number, id: bigint, record: V): OrderedById<V> {
    const m = this.moving;
    const moving = m !== undefined && pos < m.cursor ? { cursor: m.cursor, next: m.next.set(id, record) } : m;
    return new OrderedById(this.size, this.at, this.list.set(pos, record), moving).step();
  }

  /** The map without `id` (this map if it has no `id`). */
  delete(id: bigint): OrderedById<V> {
    found = undefined;
    const at = hamtUpdate(this.at, id, takeOut); // one walk: find and remove
    const pos = found;
    if (pos === undefined) return this;
    if (this.size === 1) return OrderedById.empty();
    const list = this.list.without(pos);
    let moving = this.moving;
    if (moving !== undefined && pos < moving.cursor) moving = { cursor: moving.cursor, next: moving.next.removed(id) };
    else if (moving === undefined && list.size >= COMPACT_FROM && list.size >= (this.size - 1) * 2) {
      if (compaction() === 'at-once' || list.size <= AT_ONCE_UP_TO) return OrderedById.of(list.valuesFrom(0));
      moving = { cursor: list.start, next: OrderedById.EMPTY };
    }
    return new OrderedById(this.size - 1, at, list, moving).step();
  }

  /** This map without `id`, which it holds: a hole, no compaction (the compacted copy of a gradual compaction). */
  private removed(id: bigint): OrderedById<V> {
    found = undefined;
    const at = hamtUpdate(this.at, id, takeOut);
    return new OrderedById(this.size - 1, at, this.list.without(found!));
  }

  /** `next` with `r` appended (a gradual compaction's copy: `r.id` is not in it yet). */
  private static readonly appended = <V extends { readonly id: bigint }>(
    next: OrderedById<V>,
    r: V,
  ): OrderedById<V> => {
    nextPos = next.list.end;
    return new OrderedById(next.size + 1, hamtUpdate(next.at, r.id, keepOrNext), next.list.push(r));
  };

  /**
   * A gradual compaction's next step: at most `MIGRATE_STEP` (./compaction.ts) more positions copied; once the last one is, the
   * copy is the map (its positions from 0, no holes but those of deletions since they were copied).
   */
  private step(): OrderedById<V> {
    const m = this.moving;
    if (m === undefined) return this;
    const list = this.list;
    const [pos, next] = copyStep(list, m.cursor, m.next, OrderedById.appended);
    return pos >= list.end ? next : new OrderedById(this.size, this.at, list, { cursor: pos, next });
  }

  /**
   * Positions of this version, holes included: a walk over `slot(firstSlot .. slots - 1)` sees every record in order
   * (positions below `firstSlot` are holes).
   */
  get slots(): number {
    return this.list.end;
  }

  /** The first position of this version that may hold a record (where a walk can start). */
  get firstSlot(): number {
    return this.list.start;
  }

  /** The record at a position of this version, or `undefined` for a hole. */
  slot(pos: number): V | undefined {
    return this.list.get(pos);
  }

  /** The position of `id` in this version, or `undefined`. */
  position(id: bigint): number | undefined {
    return hamtGet(this.at, id);
  }

  /** The records from position `pos` of this version on, in order. */
  from(pos: number): V[] {
    return this.list.from(pos);
  }

  values(): IterableIterator<V> {
    return this.list.valuesFrom(0);
  }

  *keys(): IterableIterator<bigint> {
    for (const r of this.list.valuesFrom(0)) yield r.id;
  }

  *entries(): IterableIterator<[bigint, V]> {
    for (const r of this.list.valuesFrom(0)) yield [r.id, r];
  }

  [Symbol.iterator](): IterableIterator<[bigint, V]> {
    return this.entries();
  }

  forEach(f: (record: V, id: bigint) => void): void {
    this.list.forEachFrom(0, (r) => f(r, r.id));
  }

  reduce<A>(f: (acc: A, record: V, id: bigint) => A, init: A): A {
    let acc = init;
    this.forEach((r, id) => (acc = f(acc, r, id)));
    return acc;
  }
}

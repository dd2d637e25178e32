/**
 * A persistent creation-ordered map of records keyed by their own `id` whose positions, holes included, are exactly
 * those of an immutable.js `OrderedMap`'s entry list: the domain's subscriptions (§7.1), which an `unsubscribe` job
 * and a `subscriptions` listing walk by position, a hole or another's entry costing budget (lib/state/work.ts). The
 * event log's `work` events fall where those walks' budgets end, so a recorded log replays only if every position is
 * where immutable.js put it (the map was an `OrderedMap` up to this version of the code).
 *
 * The rules of that entry list (immutable.js 5, `updateOrderedMap`): a new id goes at the list's end (its size, holes
 * included); setting an existing id replaces its record in place; a deletion, when the list has at least 32
 * positions and at least twice as many as the map had entries before it, rebuilds the list without its holes (every
 * position renumbered), else deleting the last position pops exactly that one (holes before it stay, and are then the
 * last positions) and any other leaves a hole. The list never moves its start. Under the server's compaction rule
 * since event-log schema version 9 (./compaction.ts 'gradual') that deletion starts a compacted copy instead, which
 * the following changes complete (100,000 subscriptions deleted out of order held one event 115 ms otherwise).
 *
 * Here the records are a list of slots (./slot-list.ts) and a trie from id to position (../util/hamt.ts), edited in
 * place inside a reducer call's transient edit, as ./ordered-by-id.ts (the services, whose positions may differ from
 * immutable.js's): about 40 bytes an entry where an `OrderedMap` takes about 200, and no bigint hashed through its
 * text (issue 12, subscribe and memory per subscription).
 *
 * @example
 * let m = OrderedSlots.empty<{ id: bigint; name: string }>();
 * m = m.set(7n, { id: 7n, name: 'a' }).set(3n, { id: 3n, name: 'b' }).delete(7n);
 * [m.slots, m.slot(0), m.slot(1)?.name]; // [2, undefined, 'b']
 */
import { type Hamt, hamtEmpty, hamtGet, hamtUpdate } from '../util/hamt';
import { AT_ONCE_UP_TO, compaction, copyStep } from './compaction';
import { placed } from './ordered-by-id';
import { type Placement, placedParts, placementOf } from './placement';
import { SLOT_LIMIT, SlotList } from './slot-list';

/**
 * A gradual compaction in progress (./compaction.ts; event-log schema version 9 on): `next` is the compacted copy of
 * the records at the positions below `cursor`, kept up to date with their changes since.
 */
interface Moving<V extends { readonly id: bigint }> {
  readonly cursor: number;
  readonly next: OrderedSlots<V>;
}

/** immutable.js's `SIZE`: a deletion compacts a list of at least this many positions (and twice the map's size). */
const COMPACT_FROM = 32;

/** The position found by the last `hamtUpdate` of {@link OrderedSlots} (no closure per update). */
let found: number | undefined;
let nextPos = 0;
const keepOrNext = (p: number | undefined): number => (found = p) ?? nextPos;
const takeOut = (p: number | undefined): undefined => void (found = p);

export class OrderedSlots<V extends { readonly id: bigint }> {
  private constructor(
    /** Entries. */
    readonly size: number,
    private readonly at: Hamt<bigint, number>,
    /** The records at their positions, from 0 (holes `undefined`, possibly at the end). */
    private readonly list: SlotList<V>,
    /** A gradual compaction in progress, if any (every read is of this version's own positions). */
    private readonly moving?: Moving<V>,
  ) {}

  private static readonly EMPTY = new OrderedSlots<never>(0, hamtEmpty(), SlotList.empty());

  /** The empty map. */
  static empty<V extends { readonly id: bigint }>(): OrderedSlots<V> {
    return OrderedSlots.EMPTY;
  }

  /** The map of `records` at positions from 0, in order (a repeated id keeps its first place and its last record). */
  static of<V extends { readonly id: bigint }>(records: Iterable<V>): OrderedSlots<V> {
    const [size, at, list] = placed(records);
    return size === 0 ? OrderedSlots.empty() : new OrderedSlots(size, at, list);
  }

  /**
   * The map of `records` (in order, distinct ids) at the positions of `p`, with the compaction in progress it
   * describes: the map a snapshot recorded as {@link placement} gave it (../replay/state-codec.ts). Throws a
   * `RangeError` if `p` does not fit the records.
   */
  static placed<V extends { readonly id: bigint }>(records: readonly V[], p: Placement): OrderedSlots<V> {
    if (records.length === 0 && p.list.end === 0) return OrderedSlots.empty();
    const { main, copy } = placedParts(
      records,
      records.map((r) => r.id),
      p,
    );
    const moving = copy && { cursor: copy.cursor, next: new OrderedSlots(copy.size, copy.at, copy.list) };
    return new OrderedSlots(main.size, main.at, main.list, moving);
  }

  /** Where the records are (holes included, at the end too), and the compaction in progress ({@link placed}). */
  placement(): Placement {
    const m = this.moving;
    return placementOf(this.list, m && { cursor: m.cursor, copy: m.next.list });
  }

  get(id: bigint): V | undefined {
    const pos = hamtGet(this.at, id);
    return pos === undefined ? undefined : this.list.get(pos);
  }

  has(id: bigint): boolean {
    return hamtGet(this.at, id) !== undefined;
  }

  /** The map with `record` under `id` (its place kept if `id` is present, else at the end). `id` is `record.id`. */
  set(id: bigint, record: V): OrderedSlots<V> {
    const next = this.list.end;
    // (immutable.js has no limit; 2^30 positions would take 2^29 live subscriptions: out of reach)
    if (next >= SLOT_LIMIT) throw new RangeError('OrderedSlots: 2^30 positions');
    nextPos = next;
    const at = hamtUpdate(this.at, id, keepOrNext); // one walk: an existing id keeps its position
    const pos = found;
    if (pos === undefined) return new OrderedSlots(this.size + 1, at, this.list.push(record), this.moving).step();
    if (this.list.get(pos) === record) return this;
    const m = this.moving;
    const moving = m !== undefined && pos < m.cursor ? { cursor: m.cursor, next: m.next.set(id, record) } : m;
    return new OrderedSlots(this.size, this.at, this.list.set(pos, record), moving).step();
  }

  /** The map without `id` (this map if it has no `id`). */
  delete(id: bigint): OrderedSlots<V> {
    found = undefined;
    const at = hamtUpdate(this.at, id, takeOut); // one walk: find and remove
    const pos = found;
    if (pos === undefined) return this;
    const end = this.list.end;
    let moving = this.moving;
    if (moving !== undefined && pos < moving.cursor) moving = { cursor: moving.cursor, next: moving.next.removed(id) };
    else if (moving === undefined && end >= COMPACT_FROM && end >= this.size * 2) {
      if (compaction() === 'at-once' || end <= AT_ONCE_UP_TO) {
        const kept: V[] = [];
        this.list.forEachFrom(0, (r, p) => void (p !== pos && kept.push(r)));
        return OrderedSlots.of(kept);
      }
      moving = { cursor: 0, next: OrderedSlots.EMPTY };
    }
    const list = pos === end - 1 ? this.list.pop() : this.list.set(pos, undefined);
    return new OrderedSlots(this.size - 1, at, list, moving).step();
  }

  /** This map without `id`, which it holds, by the list's rules but with no compaction (a gradual compaction's copy). */
  private removed(id: bigint): OrderedSlots<V> {
    found = undefined;
    const at = hamtUpdate(this.at, id, takeOut);
    const pos = found!;
    const list = pos === this.list.end - 1 ? this.list.pop() : this.list.set(pos, undefined);
    return new OrderedSlots(this.size - 1, at, list);
  }

  /** `next` with `r` appended (a gradual compaction's copy: `r.id` is not in it yet). */
  private static readonly appended = <V extends { readonly id: bigint }>(
    next: OrderedSlots<V>,
    r: V,
  ): OrderedSlots<V> => {
    nextPos = next.list.end;
    return new OrderedSlots(next.size + 1, hamtUpdate(next.at, r.id, keepOrNext), next.list.push(r));
  };

  /**
   * A gradual compaction's next step: at most `MIGRATE_STEP` (./compaction.ts) more positions copied; once the last one is, the
   * copy is the map (its positions from 0, no holes but those of deletions since they were copied).
   */
  private step(): OrderedSlots<V> {
    const m = this.moving;
    if (m === undefined) return this;
    const list = this.list;
    const [pos, next] = copyStep(list, m.cursor, m.next, OrderedSlots.appended);
    return pos >= list.end ? next : new OrderedSlots(this.size, this.at, list, { cursor: pos, next });
  }

  /** The positions of this version, holes included: `slot(0 .. slots - 1)` sees every record in order. */
  get slots(): number {
    return this.list.end;
  }

  /** The positions of this version as a list (what an `unsubscribe` job walks; it stays valid, as every version). */
  get positions(): SlotList<V> {
    return this.list;
  }

  /** The record at a position of this version, or `undefined` for a hole. */
  slot(pos: number): V | undefined {
    return this.list.get(pos);
  }

  /** The records from position `pos` on, in order. */
  from(pos: number): V[] {
    return this.list.from(pos);
  }

  values(): IterableIterator<V> {
    return this.list.valuesFrom(0);
  }

  *keys(): IterableIterator<bigint> {
    for (const r of this.list.valuesFrom(0)) yield r.id;
  }

  forEach(f: (record: V, id: bigint) => void): void {
    this.list.forEachFrom(0, (r) => f(r, r.id));
  }
}

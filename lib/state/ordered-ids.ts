/**
 * A persistent ordered set of ids, for the services attached to an sd record (§7.1) in attachment order: about 40
 * bytes a member where an immutable.js `OrderedSet` takes about 200 (issue 12, memory per service).
 *
 * The members are a list in insertion order (a deleted member leaves a hole, `undefined`, so positions stay stable
 * for a job walking a version; ./slot-list.ts). Positions are absolute: deleting the first
 * member (or the last) shortens the list instead of leaving a hole, so members deleted in attachment order never need
 * a compaction. Like immutable.js's OrderedSet, the list is compacted when it is at least twice the size of the set;
 * every version stays valid.
 *
 * There is no map from member to position to keep up to date on every add (issue 12: at 100,000 services that was a
 * second random walk of a 100,000-entry trie per publish, beside the directory's own): the caller keeps the position
 * a member was appended at ({@link OrderedIds.next}, `Service.slot`) and gives it back as a hint to
 * {@link OrderedIds.delete}; a compaction renumbers, so it records the survivors' new positions in a trie built in one
 * pass (as the compaction already did), where a stale hint finds them.
 *
 * @example
 * let s = OrderedIds.empty().add(5n).add(3n).add(5n);
 * [...s]; // [5n, 3n]
 * const at = s.next;
 * s = s.append(9n);
 * s = s.delete(9n, at).delete(5n);
 * [...s]; // [3n]
 */
import { type Hamt, hamtEmpty, hamtGet, hamtOf, hamtSet } from '../util/hamt';
import { AT_ONCE_UP_TO, compaction, copyStep } from './compaction';
import { type Placement, placedParts, placementOf } from './placement';
import { SLOT_LIMIT, SlotList } from './slot-list';

/**
 * A gradual compaction in progress (./compaction.ts): `next` is the compacted copy of the members at the positions
 * below `cursor` (their new positions in its survivors' trie), kept up to date with their deletions since.
 */
interface Moving {
  readonly cursor: number;
  readonly next: OrderedIds;
}

/** The list is compacted from this many positions on when at least half of them are holes. */
const COMPACT_FROM = 32;

export class OrderedIds {
  private constructor(
    /** Members. */
    readonly size: number,
    /**
     * The members' positions as of the last compaction (or of {@link OrderedIds.of}): where a member's position is
     * found when its caller's hint is stale. Not updated by later adds and deletes (a later member is found by its
     * hint; a deleted one is no longer in the list, which every look-up checks), rebuilt by the next compaction.
     */
    private readonly survivors: Hamt<bigint, number> | undefined,
    /** The members at their positions (the first and the last are never holes). */
    private readonly list: SlotList<bigint>,
    /** A gradual compaction in progress, if any (every read is of this version's own positions). */
    private readonly moving?: Moving,
  ) {}

  private static readonly EMPTY = new OrderedIds(0, undefined, SlotList.empty());

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
    return new OrderedIds(list.length, hamtOf(list, [...at.values()]), SlotList.of(list));
  }

  /**
   * The set of `ids` (in order, distinct) at the positions of `p`, with the compaction in progress it describes: the
   * set a snapshot recorded as {@link placement} gave it (../replay/state-codec.ts). Its survivors' trie holds every
   * member's position (a restored service has no hint). Throws a `RangeError` if `p` does not fit the ids.
   */
  static placed(ids: readonly bigint[], p: Placement): OrderedIds {
    if (ids.length === 0 && p.list.end === 0) return OrderedIds.EMPTY;
    const { main, copy } = placedParts(ids, ids, p);
    const moving = copy && { cursor: copy.cursor, next: new OrderedIds(copy.size, copy.at, copy.list) };
    return new OrderedIds(main.size, main.at, main.list, moving);
  }

  /** Where the members are, and the compaction in progress (what {@link placed} takes). */
  placement(): Placement {
    const m = this.moving;
    return placementOf(this.list, m && { cursor: m.cursor, copy: m.next.list });
  }

  /**
   * The position of member `id`, or `undefined` if it is not one. `hint` (the position {@link append} gave it) is
   * taken when the list still holds `id` there, else the positions of the last compaction; failing both (no hint, as
   * from a check, or a wrong one), a scan of the list. The reducer's hints are right or stale by a compaction.
   */
  private positionOf(id: bigint, hint: number | undefined): number | undefined {
    const list = this.list;
    if (hint !== undefined && list.get(hint) === id) return hint;
    if (this.survivors !== undefined) {
      const p = hamtGet(this.survivors, id);
      if (p !== undefined && list.get(p) === id) return p;
    }
    let at: number | undefined;
    list.forEachFrom(0, (v, p) => {
      if (at === undefined && v === id) at = p;
    });
    return at;
  }

  has(id: bigint): boolean {
    return this.positionOf(id, undefined) !== undefined;
  }

  /**
   * The position the next {@link append} takes (and a hint for {@link delete} of the member appended there): a
   * caller keeps it with the member, so that deleting it needs no map from members to positions.
   */
  get next(): number {
    return this.list.end;
  }

  /** The set with `id` last, which must not be a member: at position {@link next} of this set. */
  append(id: bigint): OrderedIds {
    // positions stay below the list's limit: past it, renumber from 0 (the members' hints then go stale, and the
    // survivors' trie finds them)
    if (this.list.end >= SLOT_LIMIT) return OrderedIds.of([...this.toArray(), id]);
    return new OrderedIds(this.size + 1, this.survivors, this.list.push(id), this.moving).step();
  }

  /** The set with `id` last, or this set if `id` is already a member (it keeps its place; scans the list). */
  add(id: bigint): OrderedIds {
    return this.has(id) ? this : this.append(id);
  }

  /**
   * The set without `id` (this set if it is not a member). `hint`: the position `id` was appended at, if known
   * (then a member appended since the last compaction is found without a scan; a stale hint is harmless).
   */
  delete(id: bigint, hint?: number): OrderedIds {
    const pos = this.positionOf(id, hint);
    if (pos === undefined) return this;
    if (this.size === 1) return OrderedIds.EMPTY;
    const list = this.list.without(pos);
    let moving = this.moving;
    if (moving !== undefined && pos < moving.cursor) moving = { cursor: moving.cursor, next: moving.next.removed(id) };
    else if (moving === undefined && list.size >= COMPACT_FROM && list.size >= (this.size - 1) * 2) {
      if (compaction() === 'at-once' || list.size <= AT_ONCE_UP_TO) return OrderedIds.of(list.valuesFrom(0));
      moving = { cursor: list.start, next: OrderedIds.EMPTY };
    }
    return new OrderedIds(this.size - 1, this.survivors, list, moving).step();
  }

  /** This set without `id`, a member: a hole, no compaction (the compacted copy of a gradual compaction). */
  private removed(id: bigint): OrderedIds {
    return new OrderedIds(this.size - 1, this.survivors, this.list.without(this.positionOf(id, undefined)!));
  }

  /** `next` with `id` appended and its position recorded as a survivor's (a gradual compaction's copy). */
  private static readonly appended = (next: OrderedIds, id: bigint): OrderedIds => {
    const survivors = hamtSet(next.survivors ?? hamtEmpty<bigint, number>(), id, next.list.end);
    return new OrderedIds(next.size + 1, survivors, next.list.push(id));
  };

  /**
   * A gradual compaction's next step: at most `MIGRATE_STEP` (./compaction.ts) more positions copied, each member's new position
   * recorded in the copy's survivors' trie (where a caller's stale hint finds it); once the last one is, the copy is
   * the set.
   */
  private step(): OrderedIds {
    const m = this.moving;
    if (m === undefined) return this;
    const list = this.list;
    const [pos, next] = copyStep(list, m.cursor, m.next, OrderedIds.appended);
    return pos >= list.end ? next : new OrderedIds(this.size, this.survivors, list, { cursor: pos, next });
  }

  /**
   * Positions of this version, holes included: a walk over `slot(firstSlot .. slots - 1)` sees every member in order
   * (positions below `firstSlot` are holes).
   */
  get slots(): number {
    return this.list.end;
  }

  /** The first position of this version that may hold a member (where a walk can start). */
  get firstSlot(): number {
    return this.list.start;
  }

  /** The member at a position of this version, or `undefined` for a hole. */
  slot(pos: number): bigint | undefined {
    return this.list.get(pos);
  }

  /** The members from position `pos` of this version on, in order. */
  from(pos: number): bigint[] {
    return this.list.from(pos);
  }

  toArray(): bigint[] {
    return this.from(0);
  }

  [Symbol.iterator](): Iterator<bigint> {
    return this.toArray()[Symbol.iterator]();
  }
}

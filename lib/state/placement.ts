/**
 * Where an ordered collection's entries are (./ordered-by-id.ts, ./ordered-ids.ts, ./ordered-slots.ts): its list's
 * layout and, while a gradual compaction is in progress, its cursor and the layout of the compacted copy (which holds
 * the entries below the cursor, in order). A snapshot keeps it (../replay/state-codec.ts) so that the collection comes
 * back with the same positions and holes: the sliced jobs pay a unit for every position they pass (./work.ts).
 */
import { type Hamt, hamtOf } from '../util/hamt';
import { type SlotLayout, SlotList } from './slot-list';

export interface Placement {
  readonly list: SlotLayout;
  readonly moving?: { readonly cursor: number; readonly next: SlotLayout };
}

/** A collection's {@link Placement}: its list's layout, and the cursor and copy of a compaction in progress. */
export const placementOf = (
  list: SlotList<unknown>,
  moving: { readonly cursor: number; readonly copy: SlotList<unknown> } | undefined,
): Placement => ({
  list: list.layout(),
  ...(moving !== undefined ? { moving: { cursor: moving.cursor, next: moving.copy.layout() } } : {}),
});

/** A collection's parts at a layout: its size, its trie from id to position, its list. */
interface Parts<T> {
  readonly size: number;
  readonly at: Hamt<bigint, number>;
  readonly list: SlotList<T>;
}

/**
 * The parts of the collection of `entries` (keyed by `ids`, in order) at the positions of `p`, and those of its
 * compaction's copy (the entries below the cursor): what each collection's `placed` builds itself from. Throws a
 * `RangeError` for a repeated id or a placement that does not fit.
 */
export const placedParts = <T>(
  entries: readonly T[],
  ids: readonly bigint[],
  p: Placement,
): { readonly main: Parts<T>; readonly copy?: Parts<T> & { readonly cursor: number } } => {
  if (new Set(ids).size !== ids.length) throw new RangeError('placed: repeated ids');
  const parts = (es: readonly T[], ks: readonly bigint[], l: SlotLayout): Parts<T> => ({
    size: es.length,
    at: hamtOf(ks, l.positions),
    list: SlotList.placed(es, l),
  });
  const main = parts(entries, ids, p.list);
  const m = p.moving;
  if (m === undefined) return { main };
  const below = (_: unknown, i: number): boolean => p.list.positions[i]! < m.cursor;
  return { main, copy: { cursor: m.cursor, ...parts(entries.filter(below), ids.filter(below), m.next) } };
};

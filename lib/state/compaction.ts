/**
 * How the directory's ordered collections (the services in publication order, ./ordered-by-id.ts; a record's services
 * in attachment order, ./ordered-ids.ts; the subscriptions in creation order, ./ordered-slots.ts) compact their list of
 * positions once half of it is holes (issue 12: no event may hold the loop for more than a few milliseconds).
 *
 * - `'at-once'` (event-log schema versions 1 to 8): the deletion that reaches the threshold rebuilds the whole
 *   collection in its own event: O(n). A producer of 100,000 services unpublishing them out of publication order held
 *   one event 124 ms (50,000 services renumbered in the directory, then in its record); 100,000 subscriptions deleted
 *   out of order, 115 ms.
 * - `'gradual'` (the server's, version 9): that deletion starts a compacted copy instead, and every later change of
 *   the collection copies at most {@link MIGRATE_STEP} more positions into it (the changes of positions already copied
 *   are made on both); the copy replaces the collection with the change that copies its last position. Until then the
 *   collection keeps its positions, holes included. A small collection (at most {@link AT_ONCE_UP_TO} positions) is
 *   still compacted at once.
 *
 * Positions are what a listing or an orphaning walks, a hole costing a unit of the event's work budget (./work.ts), so
 * where the `work` events of a recorded log fall depends on the rule: a replay folds with the rule of the log's schema
 * version. The rule is set for the duration of a reducer call (lib/protocol/reducer.ts `reduceAll`); between calls it
 * is the server's.
 */
import { hamtBeginEdit, hamtEditing, hamtEndEdit } from '../util/hamt';
import type { SlotList } from './slot-list';

export type Compaction = 'at-once' | 'gradual';

/** The server's rule. */
export const COMPACTION: Compaction = 'gradual';

/** Positions copied into a gradual compaction per change of the collection. */
export const MIGRATE_STEP = 16;

/** A collection of at most this many positions is compacted at once under either rule (well under a millisecond). */
export const AT_ONCE_UP_TO = 1024;

let rule: Compaction = COMPACTION;

/** The rule in force. */
export const compaction = (): Compaction => rule;

/** Put `r` in force; returns the rule it replaces (for the caller to put back). */
export const setCompaction = (r: Compaction): Compaction => {
  const before = rule;
  rule = r;
  return before;
};

/**
 * One step of a gradual compaction, shared by the three collections: the values at positions `cursor` on of `list`
 * (at most {@link MIGRATE_STEP} positions, holes skipped) appended to the copy `next` by `append`; returns the position
 * the next step starts at (`list.end` when the copy is complete) and the copy. One transient edit for the step, unless
 * the reducer call has one: the copy's upper nodes are copied once per step.
 */
export const copyStep = <T, C>(
  list: SlotList<T>,
  cursor: number,
  next: C,
  append: (next: C, v: T) => C,
): readonly [number, C] => {
  let pos = Math.max(cursor, list.start);
  const token = hamtEditing() ? undefined : hamtBeginEdit();
  try {
    for (const stop = Math.min(list.end, pos + MIGRATE_STEP); pos < stop; pos++) {
      const v = list.get(pos);
      if (v !== undefined) next = append(next, v);
    }
  } finally {
    if (token !== undefined) hamtEndEdit(token);
  }
  return [pos, next];
};

/**
 * Subscription notifications as derived diffs (§7.8): a change of one service becomes, for each subscription whose
 * filter matched before or matches after, an `appeared`, `modified` or `disappeared` — in subscription creation
 * order. Candidates come from the filter index, so the cost depends on the matches, not on the number of
 * subscriptions.
 */
import type { MatchType } from '../codec/messages';
import { indexCandidates } from '../filter/filter-index';
import { matchFilter } from '../filter/match';
import type { Filter } from '../filter/ast';
import type { Props } from '../filter/props';
import type { DirectoryChange } from './effects';
import type { DomainState, Subscription } from './model';

const matches = (f: Filter | undefined, p: Props | undefined): boolean =>
  p !== undefined && (f === undefined || matchFilter(f, p));

/** The match type a change means for one subscription, or `undefined` when it does not concern it (§7.8 table). */
export const matchTypeFor = (sub: Subscription, change: DirectoryChange): MatchType | undefined => {
  const before = change.kind === 'added' ? undefined : change.before.props;
  const after = change.kind === 'removed' ? undefined : change.after.props;
  const b = matches(sub.filter, before);
  const a = before === after && change.kind === 'modified' ? b : matches(sub.filter, after);
  if (a) return b ? 'modified' : 'appeared';
  return b ? 'disappeared' : undefined;
};

/**
 * Up to this many subscriptions a change is matched against each of them, in the subscriptions' order (their
 * creation order, as the index's candidates are sorted): cheaper than the index's lookups, set and sort, for the
 * one match-all subscriber of an orphaning or expiry of thousands of services.
 */
const SCAN_UP_TO = 4;

/**
 * The subscriptions of the last map {@link fewSubscriptions} was asked about (at most {@link SCAN_UP_TO}), in its
 * order: an orphaning or expiry of thousands of services asks about the same map each time, and an array is walked
 * without immutable.js's `forEach` and a closure per change (that generic code was a fifth of a cold wave's compiling).
 */
let fewOf: DomainState['subscriptions'] | undefined;
let few: readonly Subscription[] = [];
const fewSubscriptions = (m: DomainState['subscriptions']): readonly Subscription[] => {
  if (m !== fewOf) {
    fewOf = m;
    few = [...m.values()];
  }
  return few;
};

/**
 * The (subscription, match type) pairs the last {@link diffNotifications} call found, `subs[i]` with `types[i]` for
 * `i` below its result: module scratch, no pair and no array allocated per change (a storm's change is told to a
 * few subscribers each time). Read them before the next call; nothing the caller does per pair (building and queueing
 * a message) calls it again.
 */
export const notified: { readonly subs: Subscription[]; readonly types: MatchType[] } = { subs: [], types: [] };

/**
 * Every (subscription, match type) pair a change causes, in subscription creation order, into {@link notified}:
 * returns their number.
 */
export const diffNotifications = (
  state: Pick<DomainState, 'subscriptions' | 'subscriptionIndex' | 'closing' | 'unsubscribing'>,
  change: DirectoryChange,
): number => {
  if (state.subscriptions.size === 0) return 0; // the common case of a publish or unpublish: nobody to tell
  // connections closing (their `closed` events not folded yet, a wave of closes) are told nothing (issue 13)
  const closing = state.closing.size > 0 ? state.closing : undefined;
  // closed connections whose subscriptions are still being removed (work.ts `unsubscribe`): theirs are gone
  const gone = state.unsubscribing.size > 0 ? state.unsubscribing : undefined;
  const { subs: out, types } = notified;
  if (out.length > 64) {
    // (the scratch keeps no large fan-out's subscriptions alive)
    out.length = 0;
    types.length = 0;
  }
  let n = 0;
  if (state.subscriptions.size <= SCAN_UP_TO) {
    const subs = fewSubscriptions(state.subscriptions);
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      if (closing?.has(sub.conn) === true || gone?.has(sub.conn) === true) continue;
      const mt = matchTypeFor(sub, change);
      if (mt !== undefined) {
        out[n] = sub;
        types[n++] = mt;
      }
    }
    return n;
  }
  const before = change.kind === 'added' ? undefined : change.before.props;
  const after = change.kind === 'removed' ? undefined : change.after.props;
  const first = (before ?? after)!;
  const second = before !== undefined && after !== undefined && after !== before ? after : undefined;
  // the index holds the subscriptions of the map (subscribe, unsubscribe and a disconnect update both together; a
  // closed connection's, gone, until its `unsubscribe` job has removed them), the records themselves: no lookup by
  // id (an immutable.js map hashes a bigint key through its text)
  const candidates = indexCandidates(state.subscriptionIndex, first, second);
  for (let i = 0; i < candidates.length; i++) {
    const sub = candidates[i]!;
    if (closing?.has(sub.conn) === true || gone?.has(sub.conn) === true) continue;
    const mt = matchTypeFor(sub, change);
    if (mt !== undefined) {
      out[n] = sub;
      types[n++] = mt;
    }
  }
  return n;
};

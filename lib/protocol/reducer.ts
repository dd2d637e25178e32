/**
 * The domain reducer: `(state, events) → [state, effects]`, pure. Every event first lets time advance (deadlines due
 * by its `now` fire in time order), is then handled, and deadlines that became due at once (a TTL-0 orphan) fire
 * before the step ends; but a `closed` event (close rule 'close-first', lib/state/work.ts `CloseRule`) is handled
 * first and expires no orphan: the orphans due are expired by the next event that is not a close. Several events (one socket read, one event-loop turn) are folded into one new root.
 *
 * @example
 * const s0 = initialDomainState(defaultSettings, 42);
 * const [s1, fx] = reduce(s0, { type: 'accepted', now: 1000, conn: 1, address: 'tcp:127.0.0.1:5000', user: 'ip:127.0.0.1', transport: 'tcp' });
 */
import { List, Map as IMap, Set as ISet } from 'immutable';

import { emptyFilterIndex } from '../filter/filter-index';
import { receive, releaseHeld } from './handlers';
import { acceptConn, admitWaiting, closeConn, dropConn, markClosing } from '../state/connections';
import type { Ctx, RootDraft } from '../state/context';
import type { Effect } from '../state/effects';
import type { Event } from '../state/events';
import { heapEmpty } from '../util/heap';
import { hamtBeginEdit, hamtEditing, hamtEndEdit } from '../util/hamt';
import { emptyServiceIndex } from '../state/service-index';
import { OrderedById } from '../state/ordered-by-id';
import { OrderedSlots } from '../state/ordered-slots';
import { orphanQueueEmpty } from '../state/orphan-queue';
import { outputFlow, processDeadlines } from '../state/idle';
import type { DomainSettings, DomainState } from '../state/model';
import { setCompaction } from '../state/compaction';
import { CLOSE_RULE, type CloseRule, closesFirst, compactsGradually, runJobs, SLICE } from '../state/work';

/** pafd's defaults (§8.1, §4.5, §8.5): versions 2..3, idle 4/30 s, handshake deadline 2.5 s, no limits. */
export const defaultSettings: DomainSettings = {
  protocolMin: 2,
  protocolMax: 3,
  idleMin: 4,
  idleMax: 30,
  handshakeTimeout: 2.5,
  limits: { total: {}, user: {} },
};

/** An empty domain. `seed` seeds the jitter generator (any non-zero 32-bit value). */
export const initialDomainState = (
  settings: DomainSettings = defaultSettings,
  seed = 0x2545f491,
  now = 0,
): DomainState => ({
  settings,
  now,
  rng: seed >>> 0 || 1,
  seq: 0,
  conns: IMap(),
  clients: IMap(),
  records: IMap(),
  services: OrderedById.empty(),
  serviceIndex: emptyServiceIndex(),
  subscriptions: OrderedSlots.empty(),
  subscriptionIndex: emptyFilterIndex(),
  orphanQueue: orphanQueueEmpty(),
  timerQueue: heapEmpty(),
  used: { clients: 0, services: 0, subscriptions: 0 },
  usedByUser: IMap(),
  work: List(),
  held: IMap(),
  waiting: List(),
  closing: ISet(),
  unsubscribing: IMap(),
});

const handle = (ctx: Ctx, e: Event): void => {
  switch (e.type) {
    case 'accepted':
      return acceptConn(ctx, e);
    case 'message':
      return receive(ctx, e.conn, e.msg);
    case 'malformed':
      return closeConn(ctx, e.conn, `protocol error: ${e.reason}`);
    case 'closed':
      return dropConn(ctx, e.conn);
    case 'closing':
      return markClosing(ctx, e.conns);
    case 'output-blocked':
    case 'output-drained':
      return outputFlow(ctx, e.conn, e.type === 'output-blocked');
    case 'tick':
      return;
    case 'work':
      return runJobs(ctx);
  }
};

/** The fields {@link copyRoot} and {@link rootChanged} name. */
type RootField =
  | 'settings'
  | 'now'
  | 'rng'
  | 'seq'
  | 'conns'
  | 'clients'
  | 'records'
  | 'services'
  | 'serviceIndex'
  | 'subscriptions'
  | 'subscriptionIndex'
  | 'orphanQueue'
  | 'timerQueue'
  | 'used'
  | 'usedByUser'
  | 'work'
  | 'held'
  | 'waiting'
  | 'closing'
  | 'unsubscribing';
/** Fails to compile when `DomainState` gains a field that {@link rootChanged} does not compare. */
const rootFieldsKnown: [Exclude<keyof DomainState, RootField>] extends [never] ? true : never = true;
void rootFieldsKnown;

/** Whether the call replaced any field of the root (one comparison each, no loop over the keys). */
const rootChanged = (d: RootDraft, s: DomainState): boolean =>
  d.now !== s.now ||
  d.rng !== s.rng ||
  d.seq !== s.seq ||
  d.conns !== s.conns ||
  d.clients !== s.clients ||
  d.records !== s.records ||
  d.services !== s.services ||
  d.serviceIndex !== s.serviceIndex ||
  d.subscriptions !== s.subscriptions ||
  d.subscriptionIndex !== s.subscriptionIndex ||
  d.orphanQueue !== s.orphanQueue ||
  d.timerQueue !== s.timerQueue ||
  d.used !== s.used ||
  d.usedByUser !== s.usedByUser ||
  d.work !== s.work ||
  d.held !== s.held ||
  d.waiting !== s.waiting ||
  d.closing !== s.closing ||
  d.unsubscribing !== s.unsubscribing ||
  d.settings !== s.settings;

/**
 * A copy of the root to work on: an object literal (one allocation of a known shape; V8 copies a spread property by
 * property, at every reducer call). Every field of `DomainState` is required: one added there and not here does not
 * compile.
 */
const copyRoot = (s: DomainState): RootDraft => ({
  settings: s.settings,
  now: s.now,
  rng: s.rng,
  seq: s.seq,
  conns: s.conns,
  clients: s.clients,
  records: s.records,
  services: s.services,
  serviceIndex: s.serviceIndex,
  subscriptions: s.subscriptions,
  subscriptionIndex: s.subscriptionIndex,
  orphanQueue: s.orphanQueue,
  timerQueue: s.timerQueue,
  used: s.used,
  usedByUser: s.usedByUser,
  work: s.work,
  held: s.held,
  waiting: s.waiting,
  closing: s.closing,
  unsubscribing: s.unsubscribing,
});

/**
 * Watches a batch event by event (a replay that needs every step's outcome, not every step's state): called after
 * event `i` with the state as it is then (read it during the call only: it is the batch's root being built, and the
 * next events change its tries in place) and the effects so far, of which event `i`'s are `fx[from]` onwards.
 */
export type StepObserver = (i: number, state: DomainState, fx: readonly Effect[], from: number) => void;

/**
 * Fold a batch of events in one step; returns the new state (the same reference if nothing changed).
 * `slice` is the budget of directory-proportional work of each event (lib/state/work.ts); the default is what the
 * server uses, and a recording replays with the same; `Infinity` (logs recorded before `work` events existed) does
 * every event's work in that event. `each` sees every event's outcome (a replay's summary folds 256 events a call).
 * `quiet`: no `send` effects (and no message objects for them) for a consumer that reads none (a replay's summary,
 * `--at`): the states, the other effects and the work budgets are those of the same call without it.
 * `closeRule`: how a `closed` event is folded, and how the directory's ordered collections compact (lib/state/work.ts
 * `CloseRule`, lib/state/compaction.ts; the server's; a replay uses the recording's, by its version).
 */
export const reduceAll = (
  state: DomainState,
  events: readonly Event[],
  slice: number = SLICE,
  each?: StepObserver,
  quiet = false,
  closeRule: CloseRule = CLOSE_RULE,
): readonly [DomainState, readonly Effect[]] => {
  const fx: Effect[] = [];
  // The root is copied once per call and its fields replaced by reference: every collection in it is persistent, so
  // no deeper copy (and no proxy) is needed; the old state stays valid.
  const d: RootDraft = copyRoot(state);
  // A batch is one transient edit of the per-service tries (lib/util/hamt.ts): a node copied by one event's update
  // is changed in place by the next ones instead of copied again. `state` was built before the edit, so it is never
  // changed, nor is the state returned once the edit ends; a listing's snapshot seals the edit (work.ts `startJob`).
  // One message copies each node once anyway: no edit, unless inside another one (an observer's nested call). A
  // `work`, `tick` or `closed` event alone may orphan or expire a slice of services (up to SLICE updates of the same
  // tries): an edit, so that the slice copies the tries' upper nodes once, not once per service.
  const edit = events.length > 1 || hamtEditing() || (events.length === 1 && sliceEvent(events[0]!));
  const token = edit && hamtBeginEdit();
  // The connections are one immutable.js transient for the batch (every inbound message re-arms its connection's
  // timer, see idle.ts `markActive`): the nodes the batch copied are changed in place by its later updates. No state
  // keeps the connections map of a step (listings snapshot the services and records only), and it is immutable
  // again before the call returns; `state.conns` is never changed.
  // A call on a batch's draft (an observer's nested call) finds the map mutable already: it works on a copy of it,
  // whose updates neither change the draft nor are changed by the rest of that batch.
  // (A draft's map is mutable only inside a batch's edit, and a call inside an edit is an edit.)
  const probe = edit ? state.conns.asMutable() : state.conns;
  const nested = edit && probe === state.conns;
  const start = nested ? IMap(state.conns.entries()) : state.conns;
  const conns = nested ? start.asMutable() : probe;
  d.conns = conns;
  // how the directory's ordered collections compact, by the rule (lib/state/compaction.ts): the server's, or a log's
  const rule = setCompaction(compactsGradually(closeRule) ? 'gradual' : 'at-once');
  try {
    foldEvents(d, events, fx, slice, each, quiet, closeRule);
  } finally {
    setCompaction(rule);
    if (edit) hamtEndEdit(token);
    if (conns !== start) d.conns = d.conns.wasAltered() ? d.conns.asImmutable() : start;
  }
  const next = rootChanged(d, state) ? (Object.freeze(d) as DomainState) : state;
  return [next, fx];
};

/** An event that may do a slice of directory-proportional work by itself (lib/state/work.ts). */
const sliceEvent = (e: Event): boolean => e.type === 'work' || e.type === 'tick' || e.type === 'closed';

const foldEvents = (
  d: RootDraft,
  events: readonly Event[],
  fx: Effect[],
  slice: number,
  each: StepObserver | undefined,
  quiet: boolean,
  closeRule: CloseRule,
): void => {
  // one context for the call, its time and budget set for each event (no handler keeps it past its event)
  const ctx: { -readonly [K in keyof Ctx]: Ctx[K] } = {
    d,
    fx,
    now: d.now,
    budget: { left: slice },
    release: releaseHeld,
    quiet,
    closeRule,
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const from = fx.length;
    const now = e.now > d.now ? e.now : d.now; // time never runs backwards inside a domain
    if (now !== d.now) d.now = now;
    ctx.now = now;
    // every event has its own budget, so folding a batch in one call is the same as one call per event (replay)
    ctx.budget.left = slice;
    // a close under 'close-first' (work.ts `CloseRule`) is folded before the deadlines due and expires no orphan:
    // the expiries due are the next other event's, so none is told to a subscriber closing in the same wave (nor
    // does a `closing` mark, which comes before the closes it names)
    const orphans = (e.type !== 'closed' && e.type !== 'closing') || !closesFirst(closeRule);
    if (orphans) processDeadlines(ctx);
    handle(ctx, e);
    // an unlimited budget (replaying a log from before sliced work) finishes every job in the event that made it
    if (slice === Infinity) runJobs(ctx);
    processDeadlines(ctx, orphans);
    // connections waiting under the connection cap take the slots this event freed (A4); what they sent while
    // waiting is processed now and may close them (orphans with TTL 0 expire at once, as after any event: the
    // messages of an admission are not closes)
    if (d.waiting.size > 0) {
      admitWaiting(ctx);
      if (slice === Infinity) runJobs(ctx);
      processDeadlines(ctx);
    }
    each?.(i, d, fx, from);
  }
};

/** Fold one event. */
export const reduce = (state: DomainState, event: Event): readonly [DomainState, readonly Effect[]] =>
  reduceAll(state, [event]);

/**
 * Sliced work (issue 12): everything proportional to the directory — orphaning the services of a closed connection,
 * expiring orphans, the `services`/`subscribe`/`subscriptions` listings — is done in slices of at most
 * {@link SLICE} units per event. What is left stays in the state (`work`, and the orphan queue's overdue
 * entries); the shell asks for the next slice with a `work` event, recorded like every other input.
 *
 * The promises of the unsliced server still hold:
 * - an event that touches a service whose orphaning or expiry is pending first does that service's pending work
 *   ({@link touchService}), so a subscriber sees one service's changes in order;
 * - a service whose orphaning is pending is seen as an orphan since its record's `disconnectedAt`, and an orphan
 *   whose expiry is overdue as gone ({@link effectiveService}); subscriptions created meanwhile saw it that way, so
 *   they are not told again (`closeSeq`, `createdAt`);
 * - a listing walks the collection as it was at request time (persistent, kept by reference) with a position;
 *   until it is done its connection's later requests and every other message to it wait (`held`).
 */
import { List } from 'immutable';

import type { Filter } from '../filter/ast';
import { matchFilter } from '../filter/match';
import { SATURATED, serviceCandidates } from './service-index';
import type { Ctx } from './context';
import { complete, matchNotify, serviceNotify } from './replies';
import { expiryOf, putService, applyChange, removeService, serviceWithOrphanSince } from './directory';
import type { DomainState, Job, SdRecord, Service, ServiceId, Subscription } from './model';
import { orphanQueuePeek } from './orphan-queue';
import { hamtSeal } from '../util/hamt';
import { indexRemoveAll } from '../filter/filter-index';
import type { OrderedById } from './ordered-by-id';

/**
 * Units (services visited, messages built) one event may spend on directory-proportional work. 128 (512 until
 * schema version 4 of the event log, see lib/replay/replay-core.ts): a slice then costs a few hundred microseconds,
 * so a turn's time budget is cut finely enough for other connections' messages to be served between slices during
 * a mass disconnect (issue 13).
 */
export const SLICE = 128;
/**
 * The largest orphaning (services x (1 + subscriptions)) a close does itself; a bigger one is left to the `work`
 * events: when many connections close in one event-loop turn, most of its notifications would go to subscribers
 * closing in the same turn, and the `work` events after it find them gone and build nothing for them (issue 13).
 */
export const CLOSE_SLICE = 64;

/**
 * How a `closed` event is folded. When a small close (under {@link CLOSE_SLICE}) is orphaned at once:
 * 'after-queued' and 'close-first': only when no work is queued, else its job goes behind the queued ones; in a wave
 * of closes (a mass kill), the last closes have few subscribers left and are small, and orphaned at once they would
 * build notifications for subscribers closing in the same wave (330 for 1,000 clients x 5 services): queued, they are
 * built once every close of the wave is folded, and nothing is built for the closed. 'at-once' (logs of schema
 * version 4 and before): always at once.
 * 'close-first' (the server's, schema version 6 of the event log): a `closed` event folds its close before the
 * deadlines due, and expires no orphan (connection timers due still fire, after the close): orphan expiries due
 * during a wave of closes are left to the next event that is not a close (a `work` or `tick` event, a message), so
 * none is told to a subscriber whose close is folded in the same batch or event. Before it ('after-queued', version
 * 5), every event processed the deadlines due first, and each close of a wave expired up to a slice of orphans for
 * the subscribers of the wave still to be folded (lib/protocol/reducer.ts `foldEvents`).
 */
export type CloseRule = 'at-once' | 'after-queued' | 'close-first' | 'sliced-unsubscribe' | 'gradual-compaction';
/**
 * The server's rule (schema version 9 of the event log): 'close-first'; a closed connection holding at least
 * {@link UNSUBSCRIBE_SLICED_FROM} subscriptions has them removed by an `unsubscribe` job in slices (before it, in its
 * close's own event: a subscriber of 10,000 filters among others held that event 25-50 ms; 'sliced-unsubscribe',
 * version 8); and the directory's ordered collections compact gradually (./compaction.ts; before it, at once: a
 * producer of 100,000 services unpublishing out of order held one event 124 ms).
 */
export const CLOSE_RULE: CloseRule = 'gradual-compaction';

/** Whether a rule folds a close before the deadlines due ('close-first' and after). */
export const closesFirst = (rule: CloseRule): boolean =>
  rule === 'close-first' || rule === 'sliced-unsubscribe' || rule === 'gradual-compaction';

/** Whether a rule removes a big subscriber's subscriptions in slices ('sliced-unsubscribe' and after). */
export const slicesUnsubscribe = (rule: CloseRule | undefined): boolean =>
  rule === 'sliced-unsubscribe' || rule === 'gradual-compaction';

/** Whether a rule compacts the directory's ordered collections gradually ('gradual-compaction', ./compaction.ts). */
export const compactsGradually = (rule: CloseRule): boolean => rule === 'gradual-compaction';

/**
 * A closed connection holding at least this many subscriptions has them removed in slices (an `unsubscribe` job,
 * {@link SLICE} a `work` event) under the 'sliced-unsubscribe' rule; fewer go in the close's own event, as they
 * always did (a removal costs 2-5 µs: 512 of them fit a turn's budget, lib/server/domain-loop.ts).
 */
export const UNSUBSCRIBE_SLICED_FROM = 512;

/**
 * The subscriptions of the domain that are not gone: the map less those of connections whose removal is pending
 * (`unsubscribing`).
 */
export const liveSubscriptionCount = (d: Pick<DomainState, 'subscriptions' | 'unsubscribing'>): number => {
  let n = d.subscriptions.size;
  if (d.unsubscribing.size > 0) for (const left of d.unsubscribing.values()) n -= left;
  return n;
};

/** The live subscriptions in creation order (those of connections whose removal is pending left out). */
export const liveSubscriptions = (d: Pick<DomainState, 'subscriptions' | 'unsubscribing'>): Iterable<Subscription> => {
  const gone = d.unsubscribing;
  const all = d.subscriptions.values();
  if (gone.size === 0) return all;
  return (function* () {
    for (const sub of all) if (!gone.has(sub.conn)) yield sub;
  })();
};

/** The subscription with this id, unless its removal is pending. */
export const liveSubscription = (
  d: Pick<DomainState, 'subscriptions' | 'unsubscribing'>,
  id: Subscription['id'],
): Subscription | undefined => {
  const sub = d.subscriptions.get(id);
  return sub === undefined || (d.unsubscribing.size > 0 && d.unsubscribing.has(sub.conn)) ? undefined : sub;
};

/** Remove `subs` (one connection's, newest first) from the subscriptions map and the filter index at once. */
export const removeSubscriptions = (ctx: Ctx, subs: readonly Subscription[]): void => {
  if (subs.length === 0) return;
  let map = ctx.d.subscriptions;
  // (a subscription whose removal is pending may have been replaced by a new one with its id: that one stays)
  for (const sub of subs) if (map.get(sub.id) === sub) map = map.delete(sub.id);
  ctx.d.subscriptions = map;
  ctx.d.subscriptionIndex = indexRemoveAll(
    ctx.d.subscriptionIndex,
    subs.map((sub) => ({ id: sub, seq: sub.seq, filter: sub.filter })),
  );
};

/**
 * What passing over another connection's subscription costs an `unsubscribe` job's walk, in budget units (a removal
 * costs 1): reading an entry is some 20 ns, a removal from the map and the index 2-5 µs.
 */
const PASS_COST = 1 / 16;

/**
 * The subscriptions an `unsubscribe` job has still to meet (the map may hold others under their ids by now), newest
 * first, each with how many positions its walk passes before reaching it (so a decoded job walks the same slices).
 */
export const unsubscribeRest = (job: Extract<Job, { kind: 'unsubscribe' }>): Array<[Subscription, number]> => {
  const out: Array<[Subscription, number]> = [];
  let passed = 0;
  for (let pos = job.pos; pos > 0 && out.length < job.left;) {
    const e = job.entries.get(--pos);
    if (e !== undefined && e.conn === job.conn) {
      out.push([e, passed]);
      passed = 0;
    } else passed++;
  }
  return out;
};

/** The services a listing job has left to look at (candidates or snapshot entries), in listing order. */
export const listingRest = (job: Extract<Job, { kind: 'services' | 'subscribe' }>): Service[] => {
  const ids = job.ids;
  if (ids === undefined) return job.snap.from(job.pos);
  const out: Service[] = [];
  for (let i = job.pos; i < ids.length; i++) {
    const s = job.snap.get(ids[i]!);
    if (s !== undefined) out.push(s);
  }
  return out;
};

/**
 * The most candidates a `subscribe` takes from the service index; more (a filter matching a large part of the
 * directory) are walked as the whole snapshot instead, since ordering them would cost more than one slice.
 */
export const INDEX_LIMIT = SATURATED;

/**
 * The candidate ids of a listing with `filter` over `snap`, found through the service index and put in the
 * snapshot's order (its insertion order, §5.4), or `undefined` if the index does not help (then walk everything).
 */
export const indexedCandidates = (
  d: Pick<DomainState, 'serviceIndex'>,
  snap: OrderedById<Service>,
  filter: Filter | undefined,
): readonly ServiceId[] | undefined => {
  const cands = serviceCandidates(d.serviceIndex, filter, INDEX_LIMIT);
  if (cands === undefined) return undefined;
  // the index holds exactly the directory's services (publish, unpublish and expiry update both): one candidate is
  // in `snap` and in order (the common subscribe to one name)
  if (cands.size <= 1) return [...cands];
  const pos: Array<[number, ServiceId]> = [];
  for (const id of cands) {
    const p = snap.position(id);
    if (p !== undefined) pos.push([p, id]);
  }
  pos.sort((a, b) => a[0] - b[0]);
  return pos.map((e) => e[1]);
};

// ---------------------------------------------------------------------------------------------------------------
// the effective view of a service

/** The orphan-since a service has once pending orphaning is done (`recs`: the records to judge by). */
export const effectiveOrphanSince = (recs: DomainState['records'], s: Service): number | undefined => {
  if (s.orphanSince !== undefined) return s.orphanSince;
  const r = recs.get(s.record);
  return r !== undefined && !r.active ? r.disconnectedAt : undefined;
};

/** The service as a listing at time `at` shows it, or `undefined` if its expiry is overdue. */
export const effectiveService = (recs: DomainState['records'], s: Service, at: number): Service | undefined => {
  const since = effectiveOrphanSince(recs, s);
  if (since === undefined) return s;
  if (since + Number(s.ttl) <= at) return undefined;
  return since === s.orphanSince ? s : serviceWithOrphanSince(s, since);
};

/** The subscriptions that knew the services of a record closed at `closeSeq`: those created before the close. */
const toldBefore =
  (closeSeq: number) =>
  (sub: Subscription): boolean =>
    sub.seq < closeSeq;

/** Orphan `s` of closed record `r`; `told`: {@link toldBefore} of `r`'s close (a slice makes it once). */
const orphanOne = (ctx: Ctx, s: Service, r: SdRecord, told = toldBefore(r.closeSeq!)): Service => {
  // (an inactive record has a closeSeq; a snapshot from before closeSeq has 0, state-codec.ts)
  const after = putService(ctx, s, serviceWithOrphanSince(s, r.disconnectedAt));
  applyChange(ctx, { kind: 'modified', before: s, after }, told);
  return after;
};

/**
 * Expire an orphan (§7.6). Subscriptions created after its record closed and at or after its expiry never saw it.
 */
export const expireOne = (ctx: Ctx, s: Service): void => {
  // an orphan's record is inactive (a record holding services is kept), so it has a closeSeq
  const closeSeq = ctx.d.records.get(s.record)!.closeSeq!;
  const at = expiryOf(s);
  removeService(ctx, s, (sub: Subscription) => sub.seq < closeSeq || sub.createdAt < at);
};

/** A service as an event at `ctx.now` must find it: its pending orphaning and overdue expiry done first. */
export const touchService = (ctx: Ctx, id: ServiceId): Service | undefined => {
  let s = ctx.d.services.get(id);
  if (s === undefined) return undefined;
  if (s.orphanSince === undefined) {
    const r = ctx.d.records.get(s.record);
    if (r !== undefined && !r.active) s = orphanOne(ctx, s, r);
  }
  if (s.orphanSince !== undefined && expiryOf(s) <= ctx.now) {
    expireOne(ctx, s);
    return undefined;
  }
  return s;
};

// ---------------------------------------------------------------------------------------------------------------
// jobs

/** Whether the state has work left that a `work` event would do (pending jobs or overdue orphan expiries). */
export const hasWork = (s: Pick<DomainState, 'work' | 'orphanQueue' | 'now'>): boolean => {
  if (s.work.size > 0) return true;
  const o = orphanQueuePeek(s.orphanQueue);
  return o !== undefined && o.at <= s.now;
};

/** The units a job has left at least: every position it has still to visit costs one (a hole too). */
const unitsLeft = (conns: DomainState['conns'], job: Job): number => {
  switch (job.kind) {
    case 'orphan':
      return job.ids.slots - Math.max(job.pos, job.ids.firstSlot);
    case 'services':
    case 'subscribe':
      // (a listing whose connection is gone ends at once)
      if (!conns.has(job.conn)) return 0;
      return job.ids !== undefined ? job.ids.length - job.pos : job.snap.slots - Math.max(job.pos, job.snap.firstSlot);
    case 'subscriptions':
      return conns.has(job.conn) ? job.snap.slots - job.pos : 0;
    case 'unsubscribe':
      return job.left;
  }
};

/**
 * How many `work` events the state's work needs at least (0: none; see {@link hasWork}): the positions its jobs
 * have still to visit, a unit each, in slices of `slice` units, or 1 for overdue expiries alone (their number is not
 * known without a walk). The shell folds up to this many `work` events in one batch (lib/server/domain-loop.ts): none
 * of them finds nothing to do.
 */
export const workSlicesAtLeast = (
  s: Pick<DomainState, 'work' | 'orphanQueue' | 'now' | 'conns'>,
  slice: number = SLICE,
): number => {
  if (s.work.size === 0) return hasWork(s) ? 1 : 0;
  let units = 0;
  for (const job of s.work) units += unitsLeft(s.conns, job);
  return Math.max(1, Math.ceil(units / slice));
};

/** One slice of a job; returns the job to continue with, or `undefined` when it is done. */
const step = (ctx: Ctx, job: Job): Job | undefined => {
  switch (job.kind) {
    case 'orphan': {
      const ids = job.ids;
      // the record as the slice finds it: orphaning its own services changes neither it nor its list
      const r = ctx.d.records.get(job.record);
      const told = r === undefined || r.active ? undefined : toldBefore(r.closeSeq!);
      let pos = Math.max(job.pos, ids.firstSlot); // the positions before firstSlot are holes
      while (pos < ids.slots && ctx.budget.left > 0) {
        const id = ids.slot(pos++);
        ctx.budget.left--;
        if (id === undefined) continue;
        const s = ctx.d.services.get(id);
        if (s === undefined || s.record !== job.record || s.orphanSince !== undefined) continue;
        if (told === undefined) break;
        orphanOne(ctx, s, r!, told);
      }
      return pos < ids.slots ? { ...job, pos } : undefined;
    }
    case 'services':
    case 'subscribe': {
      if (!ctx.d.conns.has(job.conn)) return undefined;
      // the candidates the index found (in directory order), or every entry of the snapshot
      const ids = job.ids;
      const snap = job.snap;
      const size = ids !== undefined ? ids.length : snap.slots;
      let pos = ids !== undefined ? job.pos : Math.max(job.pos, snap.firstSlot);
      while (pos < size && ctx.budget.left > 0) {
        const v = ids !== undefined ? snap.get(ids[pos++]!) : snap.slot(pos++);
        ctx.budget.left--;
        if (v === undefined) continue;
        if (job.filter !== undefined && !matchFilter(job.filter, v.props)) continue;
        const s = effectiveService(job.recs, v, job.at);
        if (s === undefined) continue;
        ctx.budget.left--;
        if (ctx.quiet !== true)
          ctx.fx.push({
            type: 'send',
            conn: job.conn,
            msg: job.kind === 'services' ? serviceNotify(job.taId, s) : matchNotify(job.taId, 'appeared', s),
          });
      }
      if (pos < size) return { ...job, pos };
      if (job.kind === 'services' && ctx.quiet !== true)
        ctx.fx.push({ type: 'send', conn: job.conn, msg: complete('services', job.taId) });
      ctx.release(ctx, job.conn);
      return undefined;
    }
    case 'subscriptions': {
      if (!ctx.d.conns.has(job.conn)) return undefined;
      const snap = job.snap;
      const size = snap.slots;
      let pos = job.pos;
      while (pos < size && ctx.budget.left > 0) {
        const sub = snap.slot(pos++);
        ctx.budget.left--;
        if (sub === undefined) continue;
        if (job.gone.size > 0 && job.gone.has(sub.conn)) continue;
        if (ctx.quiet !== true)
          ctx.fx.push({
            type: 'send',
            conn: job.conn,
            msg: {
              'ta-cmd': 'subscriptions',
              'ta-id': job.taId,
              'msg-type': 'notify',
              'subscription-id': sub.id,
              'client-id': sub.clientId,
              ...(sub.filterText !== undefined ? { filter: sub.filterText } : {}),
            },
          });
      }
      if (pos < size) return { ...job, pos };
      if (ctx.quiet !== true) ctx.fx.push({ type: 'send', conn: job.conn, msg: complete('subscriptions', job.taId) });
      ctx.release(ctx, job.conn);
      return undefined;
    }
    case 'unsubscribe': {
      // walk the close's snapshot from its end: the connection's subscriptions are met newest first, so the removals
      // leave the map's positions without holes when they are the newest (a deletion of the last position pops it)
      const list = job.entries;
      const own: Subscription[] = [];
      let pos = job.pos;
      let left = job.left;
      while (pos > 0 && left > 0 && ctx.budget.left > 0) {
        const e = list.get(--pos);
        if (e === undefined || e.conn !== job.conn) {
          ctx.budget.left -= PASS_COST;
          continue;
        }
        ctx.budget.left--;
        left--;
        own.push(e);
      }
      const before = ctx.d.subscriptions.size;
      removeSubscriptions(ctx, own);
      const gone = ctx.d.unsubscribing;
      if (pos > 0 && left > 0) {
        // (the count is of those the map still holds: a new subscription may have taken an id, subscribe.ts)
        ctx.d.unsubscribing = gone.set(job.conn, gone.get(job.conn)! - (before - ctx.d.subscriptions.size));
        return { ...job, pos, left };
      }
      ctx.d.unsubscribing = gone.delete(job.conn);
      return undefined;
    }
  }
};

/** A listing (`services`, `subscriptions`, a subscribe's initial matches): it only reads what it walks. */
const isListing = (job: Job): job is Extract<Job, { kind: 'services' | 'subscribe' | 'subscriptions' }> =>
  job.kind === 'services' || job.kind === 'subscribe' || job.kind === 'subscriptions';

/**
 * Start a job: its first slice runs at once with what is left of this call's budget (so small listings and small
 * disconnects behave exactly as if unsliced); the rest is queued. A listing not done holds its connection.
 */
export const startJob = (ctx: Ctx, job: Job): void => {
  // A job kept over events keeps a snapshot, which later events of this reducer call must not change in place
  // (../util/hamt.ts `hamtSeal`). A job that changes what it walks (orphaning, removing subscriptions) seals before its
  // first slice; a listing only reads, so it seals only when it is kept: one that ends in its first slice (a subscribe
  // matching a few services, a small listing) leaves the edit its nodes, and the batch's later updates their in-place
  // changes (issue 12: a batch of subscribes sealed at every one of them and copied the tries' top nodes each time).
  const reads = isListing(job);
  if (!reads) hamtSeal();
  const rest = step(ctx, job);
  if (rest === undefined) return;
  if (reads) hamtSeal();
  ctx.d.work = ctx.d.work.push(rest);
  if (isListing(rest) && !ctx.d.held.has(rest.conn))
    ctx.d.held = ctx.d.held.set(rest.conn, { inbox: List(), outbox: List() });
};

/** Run queued jobs, oldest first, while the budget lasts. */
export const runJobs = (ctx: Ctx): void => {
  while (ctx.budget.left > 0 && ctx.d.work.size > 0) {
    const job = ctx.d.work.first()!;
    const rest = step(ctx, job);
    // `step` may have queued new jobs (at the end) but never removed any: the head is still `job`
    ctx.d.work = rest === undefined ? ctx.d.work.shift() : ctx.d.work.set(0, rest);
  }
};

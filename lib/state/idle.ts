/**
 * Liveness (§8): the per-connection idle state machine with the jittered warning, server-sent track queries, the
 * handshake deadline, and orphan expiry — all driven by deadlines kept in state and processed in time order when
 * an event carries a later `now`.
 */
import { track } from './replies';
import type { Ctx } from './context';
import { getConn, patchConn, random, send } from './context';
import { closeConn } from './connections';
import { expiryOf } from './directory';
import { heapPeek, heapPop } from '../util/heap';
import type { Conn } from './model';
import { orphanQueuePeek, orphanQueuePop } from './orphan-queue';
import { armActive, armTimer } from './timer-queue';
import { expireOne } from './work';
import { ttlCountsLowest } from './ttl-counts';

/** §8.1 constants. */
export const WARNING_THRESHOLD = 0.5;
export const WARNING_JITTER = 0.1;

/** §8.2: clamp(lowest TTL of the connection's services, idle min, idle max), or idle max without services. */
export const maxIdleTime = (ctx: Ctx, conn: Conn): number => {
  const { idleMin, idleMax } = ctx.d.settings;
  const r = ctx.d.records.get(conn.id);
  if (r === undefined || r.services.size === 0) return idleMax;
  return Math.min(Math.max(ttlCountsLowest(r.ttls), idleMin), idleMax);
};

/**
 * §8.3 "on every inbound message": back to ACTIVE, warning re-armed with jitter, last seen now. (The "unless
 * TIMED_OUT" of §8.3 needs no test here: a connection that times out is closed in the same step, see
 * {@link fireConnTimer}, so no message, probe or drain ever finds it.)
 */
export const markActive = (ctx: Ctx, conn: Conn): Conn => {
  const u = (random(ctx) * 2 - 1) * WARNING_JITTER;
  const at = ctx.now + WARNING_THRESHOLD * maxIdleTime(ctx, conn) * (1 + u);
  return armActive(ctx, conn, at, 'active', ctx.now);
};

/**
 * The warning of §8.3: TENTATIVE, the server's warning handler (v2: counts as activity; v3 tracked with no query
 * outstanding: send a track query), then the timeout timer at ½·max_idle.
 */
export const idleWarning = (ctx: Ctx, conn: Conn): void => {
  let c = patchConn(ctx, conn, { idle: 'tentative' });
  if (c.version === 2) {
    c = markActive(ctx, c);
  } else if (c.trackTaId !== undefined && c.queryOutstandingSince === undefined) {
    send(ctx, c.id, track(c.trackTaId, 'notify', 'query'));
    c = patchConn(ctx, c, { queryOutstandingSince: ctx.now });
  }
  armTimer(ctx, c, ctx.now + WARNING_THRESHOLD * maxIdleTime(ctx, c));
};

/** The external liveness probe of §4.6: an immediate warning, a no-op unless the connection is ACTIVE. */
export const livenessProbe = (ctx: Ctx, conn: Conn): void => {
  if (conn.handshaked && conn.idle === 'active') idleWarning(ctx, conn);
};

/**
 * Back-pressure (§15.3): while the shell does not read a connection (its output is blocked) the connection cannot
 * be seen active, so its idle timer only postpones; once the output drains it counts as active again.
 */
export const outputFlow = (ctx: Ctx, id: number, blocked: boolean): void => {
  const conn = getConn(ctx, id);
  if (conn === undefined) return;
  if (blocked) {
    if (conn.outputBlocked !== true) patchConn(ctx, conn, { outputBlocked: true });
    return;
  }
  if (conn.outputBlocked !== true) return;
  const c = patchConn(ctx, conn, { outputBlocked: undefined });
  if (c.handshaked) markActive(ctx, c);
};

const fireConnTimer = (ctx: Ctx, conn: Conn): void => {
  if (!conn.handshaked) {
    closeConn(ctx, conn.id, 'handshake timeout'); // §8.5, B8: every non-handshaked connection
    return;
  }
  if (conn.outputBlocked === true) {
    armTimer(ctx, conn, ctx.now + WARNING_THRESHOLD * maxIdleTime(ctx, conn));
    return;
  }
  if (conn.idle === 'active') idleWarning(ctx, conn);
  // TENTATIVE -> TIMED_OUT (§8.3) is final: the connection closes at once, so no later step sees it timed out
  else closeConn(ctx, conn.id, 'idle timeout');
};

/** Pop one connection-timer entry due at `entryAt`. */
const onTimerEntry = (ctx: Ctx, connId: number, entryAt: number): void => {
  const conn = getConn(ctx, connId);
  if (conn === undefined || conn.queuedAt !== entryAt) return; // stale entry
  const c = patchConn(ctx, conn, { queuedAt: undefined });
  // a queued entry implies a timer: `armTimer` sets both, and only a connection's close clears its timer
  const at = c.timerAt!;
  if (at > ctx.now) armTimer(ctx, c, at);
  else fireConnTimer(ctx, c);
};

/** Pop one orphan-queue entry: expire the service if it is still an orphan with that expiry (§7.6). */
const onOrphanEntry = (ctx: Ctx, id: bigint, entryAt: number): void => {
  ctx.budget.left--;
  const s = ctx.d.services.get(id);
  if (s === undefined || s.orphanSince === undefined || expiryOf(s) !== entryAt) return;
  expireOne(ctx, s);
};

/**
 * Process every deadline due by `ctx.now`, in time order across both queues; orphan expiries only while the call's
 * budget lasts (the rest is overdue work, done by later `work` events, see work.ts), and only if `orphans` (a
 * `closed` event under the close rule 'close-first' expires none, work.ts `CloseRule`).
 */
export const processDeadlines = (ctx: Ctx, orphans = true): void => {
  for (;;) {
    const t = heapPeek(ctx.d.timerQueue);
    const o = orphans ? orphanQueuePeek(ctx.d.orphanQueue) : undefined;
    const tDue = t !== undefined && t.at <= ctx.now;
    const oDue = o !== undefined && o.at <= ctx.now && ctx.budget.left > 0;
    if (!tDue && !oDue) return;
    if (oDue && (!tDue || o.at <= t.at)) {
      ctx.d.orphanQueue = orphanQueuePop(ctx.d.orphanQueue);
      onOrphanEntry(ctx, o.value, o.at);
    } else {
      ctx.d.timerQueue = heapPop(ctx.d.timerQueue);
      onTimerEntry(ctx, t!.value, t!.at);
    }
  }
};

/** The earliest time at which something may be due (possibly a stale entry), or `undefined`. */
export const nextDeadline = (s: {
  readonly timerQueue: Ctx['d']['timerQueue'];
  readonly orphanQueue: Ctx['d']['orphanQueue'];
}): number | undefined => {
  const t = heapPeek(s.timerQueue);
  const o = orphanQueuePeek(s.orphanQueue);
  if (t === undefined) return o?.at;
  if (o === undefined) return t.at;
  return Math.min(t.at, o.at);
};

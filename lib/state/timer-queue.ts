/**
 * Each connection has one timer (`timerAt`): the handshake deadline before hello, the idle warning or timeout
 * after it (§8.3, §8.5). The queue holds at most a few entries per connection: a new deadline is pushed only when
 * it is earlier than the connection's earliest queued entry; later ones are found when that entry pops.
 */
import type { Ctx } from './context';
import { draftConn, nextSeq, type ConnDraft } from './context';
import { heapPush } from '../util/heap';
import type { Conn, ConnId } from './model';

/** Set the connection's timer to fire at `at`. */
export const armTimer = (ctx: Ctx, conn: Conn, at: number, patch?: Partial<Conn>): Conn => {
  // one copy of the connection (or the edit's own draft), patched by stores
  const queuedAt = conn.queuedAt;
  const next = draftConn(conn);
  if (patch !== undefined) Object.assign(next, patch);
  return armCopy(ctx, conn.id, queuedAt, next, at);
};

/**
 * {@link armTimer} with `idle` and `lastSeen` set, without a patch object (every inbound message comes here, see
 * idle.ts `markActive`).
 */
export const armActive = (ctx: Ctx, conn: Conn, at: number, idle: Conn['idle'], lastSeen: number): Conn => {
  const queuedAt = conn.queuedAt;
  const next = draftConn(conn);
  next.idle = idle;
  next.lastSeen = lastSeen;
  return armCopy(ctx, conn.id, queuedAt, next, at);
};

/**
 * Arm `next`, the draft of connection `id` being patched (`queuedAt`: the connection's earliest queued entry before
 * the patch), at `at`, and store it.
 */
const armCopy = (ctx: Ctx, id: ConnId, queuedAt: number | undefined, next: ConnDraft, at: number): Conn => {
  next.timerAt = at;
  if (queuedAt === undefined || at < queuedAt) {
    ctx.d.timerQueue = heapPush(ctx.d.timerQueue, at, nextSeq(ctx), id);
    next.queuedAt = at;
  }
  ctx.d.conns = ctx.d.conns.set(id, next);
  return next;
};

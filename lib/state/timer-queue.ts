/**
 * Each connection has one timer (`timerAt`): the handshake deadline before hello, the idle warning or timeout
 * after it (§8.3, §8.5). The queue holds at most a few entries per connection: a new deadline is pushed only when
 * it is earlier than the connection's earliest queued entry; later ones are found when that entry pops.
 */
import type { Ctx } from './context';
import { nextSeq, patchConn } from './context';
import { heapPush } from './heap';
import type { Conn } from './model';

/** Set the connection's timer to fire at `at`. */
export const armTimer = (ctx: Ctx, conn: Conn, at: number, patch?: Partial<Conn>): Conn => {
  if (conn.queuedAt === undefined || at < conn.queuedAt) {
    ctx.d.timerQueue = heapPush(ctx.d.timerQueue, at, nextSeq(ctx), conn.id);
    return patchConn(ctx, conn, { ...patch, timerAt: at, queuedAt: at });
  }
  return patchConn(ctx, conn, { ...patch, timerAt: at });
};

/**
 * The mutable working context of one reducer step: the immer draft of the domain root, the effects produced so
 * far, and the event time. Helpers in lib/state and lib/protocol take it as their first argument.
 */
import type { ServerMessage } from '../codec/messages';
import type { Effect } from './effects';
import type { Conn, ConnId, DomainState } from './model';

/**
 * The immer draft of the root, typed shallowly: collections inside are persistent immutable.js values (opaque to
 * immer) that are replaced by reference, never drafted.
 */
export type RootDraft = { -readonly [K in keyof DomainState]: DomainState[K] };

export interface Ctx {
  readonly d: RootDraft;
  readonly fx: Effect[];
  readonly now: number;
}

/** The connection, if it is (still) open. */
export const getConn = (ctx: Ctx, id: ConnId): Conn | undefined => ctx.d.conns.get(id);

/** Replace a connection record with a patched copy and return the copy. */
export const patchConn = (ctx: Ctx, conn: Conn, patch: Partial<Conn>): Conn => {
  const next: Conn = { ...conn, ...patch };
  ctx.d.conns = ctx.d.conns.set(conn.id, next);
  return next;
};

/** Queue a message for a connection. */
export const send = (ctx: Ctx, conn: ConnId, msg: ServerMessage): void => {
  ctx.fx.push({ type: 'send', conn, msg });
};

/** Next value of the monotonic sequence counter. */
export const nextSeq = (ctx: Ctx): number => {
  const s = ctx.d.seq;
  ctx.d.seq = s + 1;
  return s;
};

/** A uniform random number in [0, 1) from the state's xorshift32 generator (deterministic, replayable). */
export const random = (ctx: Ctx): number => {
  let x = ctx.d.rng | 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  ctx.d.rng = x >>> 0;
  return (x >>> 0) / 4294967296;
};

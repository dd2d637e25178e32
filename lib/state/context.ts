/**
 * The mutable working context of one reducer step: a mutable copy of the domain root, the effects produced so
 * far, and the event time. Helpers in lib/state and lib/protocol take it as their first argument.
 */
import type { ServerMessage } from '../codec/messages';
import type { Effect } from './effects';
import type { Conn, ConnId, DomainState } from './model';

/**
 * The mutable copy of the root made for one reducer call: every field is replaced by reference, never mutated in
 * place (the collections are persistent immutable.js values, the records are replaced by patched copies), so the
 * previous state stays valid.
 */
export type RootDraft = { -readonly [K in keyof DomainState]: DomainState[K] };

export interface Ctx {
  readonly d: RootDraft;
  readonly fx: Effect[];
  readonly now: number;
  /** Units of directory-proportional work this event may still do. */
  readonly budget: { left: number };
  /** A listing to `conn` is done: send what waited for it and handle the requests that waited (lib/protocol). */
  readonly release: (ctx: Ctx, conn: ConnId) => void;
}

/** The connection, if it is (still) open. */
export const getConn = (ctx: Ctx, id: ConnId): Conn | undefined => ctx.d.conns.get(id);

/** Replace a connection record with a patched copy and return the copy. */
export const patchConn = (ctx: Ctx, conn: Conn, patch: Partial<Conn>): Conn => {
  // a clone of one object, then stores: V8 copies the shape at once, where `{ ...conn, ...patch }` takes its generic
  // path (3-4x the time; this runs for every inbound message)
  const next: Conn = Object.assign({ ...conn }, patch);
  ctx.d.conns = ctx.d.conns.set(conn.id, next);
  return next;
};

/** Queue a message for a connection. */
export const send = (ctx: Ctx, conn: ConnId, msg: ServerMessage): void => {
  const held = ctx.d.held.get(conn);
  if (held !== undefined) {
    // a listing to this connection is in progress: the message goes out after it (per-connection reply order)
    ctx.d.held = ctx.d.held.set(conn, { ...held, outbox: held.outbox.push(msg) });
    return;
  }
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

/**
 * The mutable working context of one reducer step: a mutable copy of the domain root, the effects produced so
 * far, and the event time. Helpers in lib/state and lib/protocol take it as their first argument.
 */
import type { ServerMessage } from '../codec/messages';
import type { Effect } from './effects';
import { editOwn, editOwns } from '../util/hamt';
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
  /**
   * True when nobody reads the messages of this step (a replay that only needs states and directory changes): a
   * message that is not held goes nowhere and need not be built (lib/protocol/reducer.ts `reduceAll`, `quiet`).
   */
  readonly quiet?: boolean;
  /** How a `closed` event is folded (lib/state/work.ts `CloseRule`; the reducer always sets it). */
  readonly closeRule?: 'at-once' | 'after-queued' | 'close-first' | 'sliced-unsubscribe' | 'gradual-compaction';
}

/** The connection, if it is (still) open. */
export const getConn = (ctx: Ctx, id: ConnId): Conn | undefined => ctx.d.conns.get(id);

/** Replace a connection record with a patched copy (or the edit's own draft, patched) and return it. */
export const patchConn = (ctx: Ctx, conn: Conn, patch: Partial<Conn>): Conn => {
  const next: Conn = Object.assign(draftConn(conn), patch);
  ctx.d.conns = ctx.d.conns.set(conn.id, next);
  return next;
};

/**
 * A connection record to patch and store: `c` itself if the reducer call's edit made it (../util/hamt.ts `hamtBeginEdit`:
 * a batch of many messages of one connection copies its record once, not once per message; issue 15: these copies
 * were ~15 % of what a replay allocated), else a copy the edit owns from now on. The rules are the trie's: a record
 * from before the edit is never changed, one built during it is valid until the next update of its connection (a
 * caller keeps the record returned, not the one passed: they may be one object).
 */
export const draftConn = (c: Conn): ConnDraft => (editOwns(c) ? c : editOwn(copyConn(c)));

/** The optional fields of {@link Conn}: present only when set, as the state snapshot codec writes them. */
type OptionalConnField = 'outputBlocked' | 'waiting';
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
/** Fails to compile when Conn gains an optional field that {@link copyConn} does not know. */
const optionalFieldsKnown: [OptionalKeys<Conn>] extends [OptionalConnField] ? true : never = true;
void optionalFieldsKnown;

/** A connection record being patched. */
export type ConnDraft = { -readonly [K in keyof Conn]: Conn[K] };

/**
 * A copy of a connection record, to patch by stores. Every inbound message copies its connection (activity, §4.4):
 * an object literal costs V8 one allocation, where `{ ...conn }` copies property by property (about 12x the time at
 * this size). The literal's type lists every other field of {@link Conn}: a field added there and not here does not
 * compile.
 */
export const copyConn = (c: Conn): ConnDraft => {
  const next: { -readonly [K in Exclude<keyof Conn, OptionalConnField>]: Conn[K] } & ConnDraft = {
    id: c.id,
    address: c.address,
    user: c.user,
    transport: c.transport,
    acceptedAt: c.acceptedAt,
    version: c.version,
    clientId: c.clientId,
    handshaked: c.handshaked,
    handshakeSeq: c.handshakeSeq,
    txs: c.txs,
    trackTaId: c.trackTaId,
    queryOutstandingSince: c.queryOutstandingSince,
    latency: c.latency,
    idle: c.idle,
    lastSeen: c.lastSeen,
    timerAt: c.timerAt,
    queuedAt: c.queuedAt,
  };
  if (c.outputBlocked !== undefined) next.outputBlocked = c.outputBlocked;
  if (c.waiting !== undefined) next.waiting = c.waiting;
  return next;
};

/** Queue a message for a connection. */
export const send = (ctx: Ctx, conn: ConnId, msg: ServerMessage): void => {
  const held = ctx.d.held.size === 0 ? undefined : ctx.d.held.get(conn);
  if (held !== undefined) {
    // a listing to this connection is in progress: the message goes out after it (per-connection reply order)
    ctx.d.held = ctx.d.held.set(conn, { ...held, outbox: held.outbox.push(msg) });
    return;
  }
  if (ctx.quiet !== true) ctx.fx.push({ type: 'send', conn, msg });
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

/**
 * The working context of one reducer step: a shallow copy of the root state whose fields the handlers replace
 * (never mutate), the time, the effects produced so far, and the matches produced per subscription (sent as one
 * batch per subscription at the end of the step).
 *
 * A link's wire changes several times per event on the publish path (queue, transactions, in-flight count), so a
 * step copies a link and its wire once ({@link draftWire}) and changes that copy in place: the copies are made in
 * this step and seen by no one before it returns, so `reduceAll` stays pure (its input state is never changed).
 *
 * @example
 * const ctx = openContext(state, 1000);
 * addDeadline(ctx, 2000, { kind: 'request', req: 1 });
 * const [next, effects] = closeContext(ctx);
 */
import type { Match } from '../../model';
import { heapPush } from '../../util/heap';
import type { Effect } from './effects';
import { effectiveMaxIdle } from './liveness';
import { nextRandom } from './prng';
import type { ClientState, Deadline, Link, Wire } from './state';

export type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface Ctx {
  readonly s: Writable<ClientState>;
  /** The time of this step (ms). */
  readonly now: number;
  readonly fx: Effect[];
  /** Matches of this step per subscription key, in order. */
  readonly changed: Map<string, Match[]>;
  /** How many more services this step may process in sliced work (see `drainLosses`). */
  workLeft: number;
  /** Links and wires copied in this step (changed in place until it ends). */
  readonly drafts: Set<Link | Wire>;
}

/** Services one step may process in sliced work (marking lost, expiring); the rest waits for the next turn. */
export const WORK_PER_STEP = 512;

export const openContext = (state: ClientState, now: number): Ctx => ({
  s: { ...state },
  now,
  fx: [],
  changed: new Map(),
  workLeft: WORK_PER_STEP,
  drafts: new Set(),
});

/** The new state and the effects; every changed subscription gets one `matches` effect with its new view. */
export const closeContext = (ctx: Ctx): readonly [ClientState, readonly Effect[]] => {
  for (const [key, changes] of ctx.changed) {
    const sub = ctx.s.subs.get(key);
    if (sub !== undefined) ctx.fx.push({ type: 'matches', key, view: sub.merge, changes });
  }
  return [ctx.s, ctx.fx];
};

/** A number in [0, 1) from the state's generator. */
export const random = (ctx: Ctx): number => {
  const [r, next] = nextRandom(ctx.s.rng);
  ctx.s.rng = next;
  return r;
};

export const addDeadline = (ctx: Ctx, at: number, d: Deadline): void => {
  ctx.s.deadlines = heapPush(ctx.s.deadlines, at, 0, d);
};

export const linkByKey = (ctx: Ctx, key: string): Link | undefined => ctx.s.links.find((l) => l.key === key);

export const linkByConn = (ctx: Ctx, conn: number): Link | undefined => ctx.s.links.find((l) => l.conn === conn);

/** Replace the link with `link.key`. */
export const setLink = (ctx: Ctx, link: Link): void => {
  ctx.s.links = ctx.s.links.map((l) => (l.key === link.key ? link : l));
};

/** The wire of the link `key` (which must have one) as this step's copy, to change in place. */
export const draftWire = (ctx: Ctx, key: string): Writable<Wire> => {
  let link = linkByKey(ctx, key)!;
  if (!ctx.drafts.has(link)) {
    link = { ...link };
    setLink(ctx, link);
    ctx.drafts.add(link);
  }
  let wire = link.wire!;
  if (!ctx.drafts.has(wire)) {
    wire = { ...wire };
    (link as Writable<Link>).wire = wire;
    ctx.drafts.add(wire);
  }
  return wire;
};

/** Replace fields of the wire of the link `key` (which must have one) with those `f` returns. */
export const updateWire = (ctx: Ctx, key: string, f: (w: Wire) => Partial<Wire>): Wire =>
  Object.assign(draftWire(ctx, key), f(linkByKey(ctx, key)!.wire!));

/** Links whose session is up (hello completed). */
export const upLinks = (ctx: Ctx): readonly Link[] => ctx.s.links.filter((l) => l.phase === 'up');

/** The greeting timeout and minimum idle time of a link (s). */
export const idleMinOf = (s: ClientState, link: Link): number => link.spec.minIdleTime ?? s.options.idleMin;

/** The max idle time of a link (s): the lowest own TTL clamped to the link's idle bounds (§13.4). */
export const maxIdleOf = (s: ClientState, link: Link): number => {
  let lowest: number | undefined;
  for (const t of s.ttls.keys()) if (lowest === undefined || t < lowest) lowest = t;
  return effectiveMaxIdle(lowest, idleMinOf(s, link), link.spec.maxIdleTime ?? s.options.idleMax);
};

/** Add one match of subscription `key` to this step's batch. */
export const changedOf = (ctx: Ctx, key: string): Match[] => {
  let list = ctx.changed.get(key);
  if (list === undefined) {
    list = [];
    ctx.changed.set(key, list);
  }
  return list;
};

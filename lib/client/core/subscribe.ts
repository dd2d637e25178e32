/**
 * The client's subscriptions (one per distinct filter, shared by every consumer): opened with the same
 * subscription id on every connected server, their notifications merged (see `merge.ts`), closed everywhere when
 * the last consumer leaves. A lost link keeps its reports until their TTLs run out (expiry deadlines).
 *
 * @example
 * onSubscribe(ctx, { type: 'subscribe', key: '(name=db)', id: 42n, filter: '(name=db)' });
 */
import { PafRequestError } from '../../errors';
import type { Match } from '../../model';
import { addDeadline, changedOf, linkByKey, updateWire, upLinks, WORK_PER_STEP, type Ctx } from './context';
import type { ClientEvent } from './events';
import { EMPTY_MERGE, expire, gone, loseOne, report, type MergeMap } from './merge';
import { enqueue, enqueueAll } from './queue';
import type { ConnId, Deadline, Owner, Sub } from './state';
import { serviceOf, type ServerMsg } from './wire';

type Of<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>;

/** Store a subscription's new merge and add its matches to this step's batch. */
const update = (ctx: Ctx, sub: Sub, merge: MergeMap, out: readonly Match[]): void => {
  if (merge !== sub.merge) ctx.s.subs = ctx.s.subs.set(sub.key, { ...sub, merge });
  if (out.length === 0) return;
  const list = changedOf(ctx, sub.key);
  for (const m of out) list.push(m);
};

export const onSubscribe = (ctx: Ctx, ev: Of<'subscribe'>): void => {
  if (ctx.s.subs.has(ev.key)) return;
  ctx.s.subs = ctx.s.subs.set(ev.key, { key: ev.key, id: ev.id, filter: ev.filter, merge: EMPTY_MERGE });
  changedOf(ctx, ev.key); // the first view (empty) is reported even without matches
  for (const l of upLinks(ctx)) enqueue(ctx, l.key, { kind: 'subscribe', key: ev.key });
};

/** Close a subscription on every server where it is open. */
const closeEverywhere = (ctx: Ctx, key: string, subId: bigint): void => {
  ctx.s.subs = ctx.s.subs.delete(key);
  ctx.changed.delete(key);
  for (const l of upLinks(ctx)) {
    if (!l.wire!.subs.has(key)) continue;
    updateWire(ctx, l.key, (w) => ({ subs: w.subs.delete(key) }));
    enqueue(ctx, l.key, { kind: 'unsubscribe', subId });
  }
};

export const onUnsubscribe = (ctx: Ctx, ev: Of<'unsubscribe'>): void => {
  const sub = ctx.s.subs.get(ev.key);
  if (sub !== undefined) closeEverywhere(ctx, ev.key, sub.id);
};

/** A message of a subscribe transaction from the server of link `key`. */
export const onSubscribeAnswer = (
  ctx: Ctx,
  key: string,
  owner: Extract<Owner, { kind: 'subscribe' }>,
  ta: number,
  m: ServerMsg,
): void => {
  const sub = ctx.s.subs.get(owner.key);
  const live = sub !== undefined && sub.id === owner.subId;
  switch (m['msg-type']) {
    case 'notify': {
      if (!live) return;
      const out: Match[] = [];
      const merge =
        m['match-type'] === 'disappeared'
          ? gone(sub.merge, key, m['service-id'] as bigint, out)
          : report(sub.merge, key, serviceOf(m), out, linkByKey(ctx, key)!.conn);
      update(ctx, sub, merge, out);
      return;
    }
    case 'complete':
      if (linkByKey(ctx, key)?.wire?.subs.get(owner.key) === ta)
        updateWire(ctx, key, (w) => ({ subs: w.subs.delete(owner.key) }));
      return;
    case 'fail': {
      if (linkByKey(ctx, key)?.wire?.subs.get(owner.key) === ta)
        updateWire(ctx, key, (w) => ({ subs: w.subs.delete(owner.key) }));
      if (!live) return;
      closeEverywhere(ctx, sub.key, sub.id);
      ctx.fx.push({
        type: 'sub-end',
        key: sub.key,
        error: new PafRequestError('subscribe', m['fail-reason'] as string),
      });
      return;
    }
  }
};

/** A link came up: open every subscription on it. */
export const subscribeUp = (ctx: Ctx, key: string): void => {
  enqueueAll(
    ctx,
    key,
    [...ctx.s.subs.keys()].map((k) => ({ kind: 'subscribe', key: k }) as const),
  );
};

/** How many services one step marks lost or expires (the rest waits for the next turn). */
export const LOSS_SLICE = WORK_PER_STEP;

/** Mark lost reports and expire them, a slice per step; asks for a `continue` when work remains. */
export const drainLosses = (ctx: Ctx): void => {
  while (ctx.workLeft > 0 && ctx.s.losses.length > 0) {
    const work = ctx.s.losses[0]!;
    const sub = ctx.s.subs.get(work.key);
    const live = sub !== undefined && sub.id === work.subId;
    const end = Math.min(work.ids.length, work.next + ctx.workLeft);
    if (live) {
      const out: Match[] = [];
      const expiries = new Map<number, bigint[]>();
      const merge = sub.merge.withMutations((w) => {
        for (let i = work.next; i < end; i++) {
          const id = work.ids[i]!;
          if (work.kind === 'expire') {
            expire(w, work.source, id, ctx.now, out);
            continue;
          }
          const at = loseOne(w, work.source, work.conn, id, work.lostAt, out).expiry;
          if (at === undefined) continue;
          const same = expiries.get(at);
          if (same === undefined) expiries.set(at, [id]);
          else same.push(id);
        }
      });
      // one deadline per expiry time: what was lost together usually expires together
      for (const [at, ids] of expiries)
        addDeadline(ctx, at, { kind: 'expire', key: sub.key, subId: sub.id, source: work.source, ids });
      update(ctx, sub, merge, out);
      ctx.workLeft -= end - work.next;
    } else ctx.workLeft -= 1;
    ctx.s.losses =
      !live || end === work.ids.length ? ctx.s.losses.slice(1) : [{ ...work, next: end }, ...ctx.s.losses.slice(1)];
  }
  // work left: the budget of this step is spent; one `continue` asks for the next step
  if (ctx.s.losses.length > 0 && !ctx.fx.some((e) => e.type === 'continue')) ctx.fx.push({ type: 'continue' });
};

/** Connection `conn` of link `key` went down: what it reported counts until the services' TTLs run out. */
export const subscribeDown = (ctx: Ctx, key: string, conn: ConnId): void => {
  const lostAt = ctx.now / 1000;
  for (const sub of ctx.s.subs.values())
    if (sub.merge.size > 0)
      ctx.s.losses = [
        ...ctx.s.losses,
        {
          kind: 'lose',
          key: sub.key,
          subId: sub.id,
          source: key,
          conn,
          lostAt,
          ids: sub.merge.keySeq().toArray(),
          next: 0,
        },
      ];
  drainLosses(ctx);
};

/** Client-side orphan timeouts came due: those reports count no more (a slice at a time). */
export const onExpire = (ctx: Ctx, d: Extract<Deadline, { kind: 'expire' }>): void => {
  ctx.s.losses = [
    ...ctx.s.losses,
    { kind: 'expire', key: d.key, subId: d.subId, source: d.source, ids: d.ids, next: 0 },
  ];
  drainLosses(ctx);
};

/** The client is closing: every subscription ends. */
export const subscribeClose = (ctx: Ctx): void => {
  for (const key of ctx.s.subs.keys()) ctx.fx.push({ type: 'sub-end', key });
  ctx.s.subs = ctx.s.subs.clear();
  ctx.s.losses = [];
  ctx.changed.clear();
};

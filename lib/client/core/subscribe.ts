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
import { addDeadline, changedOf, linkByKey, updateWire, upLinks, type Ctx } from './context';
import type { ClientEvent } from './events';
import { EMPTY_MERGE, expire, gone, lose, report, type MergeMap } from './merge';
import { enqueue, enqueueAll } from './queue';
import type { Deadline, Owner, Sub } from './state';
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
    updateWire(ctx, l.key, (w) => ({ ...w, subs: w.subs.delete(key) }));
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
          : report(sub.merge, key, serviceOf(m), out);
      update(ctx, sub, merge, out);
      return;
    }
    case 'complete':
      if (linkByKey(ctx, key)?.wire?.subs.get(owner.key) === ta)
        updateWire(ctx, key, (w) => ({ ...w, subs: w.subs.delete(owner.key) }));
      return;
    case 'fail': {
      if (linkByKey(ctx, key)?.wire?.subs.get(owner.key) === ta)
        updateWire(ctx, key, (w) => ({ ...w, subs: w.subs.delete(owner.key) }));
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

/** A link went down: what it reported counts until the services' TTLs run out. */
export const subscribeDown = (ctx: Ctx, key: string): void => {
  const nowS = ctx.now / 1000;
  for (const sub of [...ctx.s.subs.values()]) {
    const out: Match[] = [];
    const expiries: Array<readonly [bigint, number]> = [];
    const merge = lose(sub.merge, key, nowS, out, (id, at) => expiries.push([id, at]));
    for (const [id, at] of expiries)
      addDeadline(ctx, at, { kind: 'expire', key: sub.key, subId: sub.id, source: key, id });
    update(ctx, sub, merge, out);
  }
};

/** A client-side orphan timeout came due. */
export const onExpire = (ctx: Ctx, d: Extract<Deadline, { kind: 'expire' }>): void => {
  const sub = ctx.s.subs.get(d.key);
  if (sub === undefined || sub.id !== d.subId) return;
  const out: Match[] = [];
  update(ctx, sub, expire(sub.merge, d.source, d.id, ctx.now, out), out);
};

/** The client is closing: every subscription ends. */
export const subscribeClose = (ctx: Ctx): void => {
  for (const key of ctx.s.subs.keys()) ctx.fx.push({ type: 'sub-end', key });
  ctx.s.subs = ctx.s.subs.clear();
  ctx.changed.clear();
};

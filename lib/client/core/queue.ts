/**
 * Transactions of one connection: ta-id allocation, the request message, and libpaf's bound on publish/unpublish/
 * subscribe/unsubscribe transactions awaiting their first answer (MAX_SYNCING_UNSYNCING_RELAYS); the rest wait in
 * a FIFO queue of work items whose messages are built when a slot frees, from the data of then (so a service
 * modified ten times while queued is sent once, at its latest generation).
 *
 * @example
 * enqueue(ctx, link.key, { kind: 'publish', ref: 1 }); // sent now, or when a slot frees
 * startTx(ctx, link.key, 'ping', { kind: 'request', req: 3 }, {}, false);
 */
import type { Command } from '../../codec/messages';
import { draftWire, linkByKey, updateWire, type Ctx } from './context';
import type { Owner, Work } from './state';

/** Send a request on the link's connection; returns its ta-id. */
export const startTx = (
  ctx: Ctx,
  key: string,
  cmd: Command,
  owner: Owner,
  fields: Readonly<Record<string, unknown>>,
  bounded: boolean,
): number => {
  const wire = draftWire(ctx, key);
  const ta = wire.nextTa;
  wire.nextTa = ta + 1;
  wire.txs = wire.txs.set(ta, { cmd, owner, bounded, accepted: false, answered: false });
  if (bounded) wire.inFlight += 1;
  ctx.fx.push({ type: 'send', conn: wire.conn, msg: { 'ta-cmd': cmd, 'ta-id': ta, 'msg-type': 'request', ...fields } });
  return ta;
};

/** Send an `inform` on an open transaction. */
export const inform = (
  ctx: Ctx,
  key: string,
  ta: number,
  cmd: Command,
  fields: Readonly<Record<string, unknown>>,
): void => {
  const wire = linkByKey(ctx, key)!.wire!;
  ctx.fx.push({ type: 'send', conn: wire.conn, msg: { 'ta-cmd': cmd, 'ta-id': ta, 'msg-type': 'inform', ...fields } });
};

/** Build and send one work item, unless it became pointless while it waited. */
const send = (ctx: Ctx, key: string, work: Work): void => {
  switch (work.kind) {
    case 'publish': {
      const svc = ctx.s.services.get(work.ref);
      // gone meanwhile, or this generation was sent already (the item was queued twice)
      if (svc === undefined || linkByKey(ctx, key)!.wire!.sent.get(svc.ref) === svc.generation) return;
      const wire = draftWire(ctx, key);
      wire.sent = wire.sent.set(svc.ref, svc.generation);
      const fields = {
        'service-id': svc.id,
        generation: svc.generation,
        'service-props': svc.props,
        ttl: BigInt(svc.ttl),
      };
      startTx(ctx, key, 'publish', { kind: 'publish', ref: svc.ref, generation: svc.generation }, fields, true);
      return;
    }
    case 'unpublish':
      updateWire(ctx, key, (w) => ({ sent: w.sent.delete(work.ref) }));
      startTx(ctx, key, 'unpublish', work, { 'service-id': work.id }, true);
      return;
    case 'subscribe': {
      const sub = ctx.s.subs.get(work.key);
      if (sub === undefined || linkByKey(ctx, key)!.wire!.subs.has(work.key)) return;
      const fields =
        sub.filter === undefined ? { 'subscription-id': sub.id } : { 'subscription-id': sub.id, filter: sub.filter };
      const ta = startTx(ctx, key, 'subscribe', { kind: 'subscribe', key: sub.key, subId: sub.id }, fields, true);
      updateWire(ctx, key, (w) => ({ subs: w.subs.set(sub.key, ta) }));
      return;
    }
    case 'unsubscribe':
      startTx(ctx, key, 'unsubscribe', { kind: 'unsubscribe' }, { 'subscription-id': work.subId }, true);
      return;
  }
};

/** Send queued work while slots are free. */
export const pump = (ctx: Ctx, key: string): void => {
  for (;;) {
    const wire = linkByKey(ctx, key)!.wire!;
    if (wire.inFlight >= ctx.s.options.maxInFlight || wire.queue.size === 0) return;
    const work = wire.queue.first()!;
    draftWire(ctx, key).queue = wire.queue.shift();
    send(ctx, key, work);
  }
};

/** Queue work on a connected link and pump. */
export const enqueue = (ctx: Ctx, key: string, work: Work): void => {
  const wire = linkByKey(ctx, key)!.wire!;
  // a free slot and nothing waiting: send it now (what pushing and pumping would do)
  if (wire.queue.size === 0 && wire.inFlight < ctx.s.options.maxInFlight) return send(ctx, key, work);
  draftWire(ctx, key).queue = wire.queue.push(work);
  pump(ctx, key);
};

/** Queue many work items at once (a link came up) and pump. */
export const enqueueAll = (ctx: Ctx, key: string, works: readonly Work[]): void => {
  if (works.length === 0) return;
  updateWire(ctx, key, (w) => ({ queue: w.queue.concat(works) }));
  pump(ctx, key);
};

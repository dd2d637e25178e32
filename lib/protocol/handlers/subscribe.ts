/**
 * `subscribe` (§5.4) and `unsubscribe` (§5.5).
 */
import type { SubscribeRequest, UnsubscribeRequest } from '../../codec/messages';
import { indexAdd, indexRemove } from '../../filter/filter-index';
import { printFilter } from '../../filter/print';
import type { Ctx } from '../../state/context';
import { getConn, nextSeq, patchConn, send } from '../../state/context';
import type { Conn, Subscription } from '../../state/model';
import { allocate, release } from '../../state/resources';
import { optionalFilter } from '../filter-field';
import { hamtDelete, hamtSet } from '../../util/hamt';
import { accept, complete, fail } from '../../state/replies';
import { indexedCandidates, liveSubscription, startJob } from '../../state/work';

export const subscribe = (ctx: Ctx, conn: Conn, msg: SubscribeRequest): void => {
  const taId = msg['ta-id'];
  const id = msg['subscription-id'];
  const parsed = optionalFilter(msg.filter);
  if (parsed === 'invalid') return send(ctx, conn.id, fail('subscribe', taId, 'invalid-filter-syntax'));
  const filter = parsed.filter;
  const existing = ctx.d.subscriptions.get(id);
  if (existing !== undefined) {
    const gone = ctx.d.unsubscribing.get(existing.conn);
    if (gone === undefined) return send(ctx, conn.id, fail('subscribe', taId, 'subscription-id-exists'));
    // a closed connection's, whose removal is pending (work.ts `unsubscribe`): out of the map now, so that the new
    // one takes its place at the end of the creation order; the job takes it out of the filter index later
    ctx.d.subscriptions = ctx.d.subscriptions.delete(id);
    ctx.d.unsubscribing = ctx.d.unsubscribing.set(existing.conn, gone - 1);
  }
  if (!allocate(ctx, 'subscriptions', conn.user))
    return send(ctx, conn.id, fail('subscribe', taId, 'insufficient-resources'));
  const sub: Subscription = {
    id,
    filter,
    filterText: filter === undefined ? undefined : printFilter(filter),
    clientId: conn.clientId!,
    user: conn.user,
    conn: conn.id,
    taId,
    seq: nextSeq(ctx),
    createdAt: ctx.now,
  };
  ctx.d.subscriptions = ctx.d.subscriptions.set(id, sub);
  ctx.d.subscriptionIndex = indexAdd(ctx.d.subscriptionIndex, sub, sub.seq, filter);
  patchConn(ctx, conn, { txs: hamtSet(conn.txs, taId, { cmd: 'subscribe', subscriptionId: id }) });
  send(ctx, conn.id, accept('subscribe', taId));
  // the initial matches, sliced over the services as they are now (lib/state/work.ts): only the candidates the
  // service index finds for the filter when it can, in the directory's order
  const ids = indexedCandidates(ctx.d, ctx.d.services, filter);
  startJob(ctx, {
    kind: 'subscribe',
    conn: conn.id,
    taId,
    filter,
    snap: ctx.d.services,
    recs: ctx.d.records,
    at: ctx.now,
    ...(ids !== undefined ? { ids } : {}),
    pos: 0,
  });
};

export const unsubscribe = (ctx: Ctx, conn: Conn, msg: UnsubscribeRequest): void => {
  const taId = msg['ta-id'];
  const sub = liveSubscription(ctx.d, msg['subscription-id']);
  if (sub === undefined) return send(ctx, conn.id, fail('unsubscribe', taId, 'non-existent-subscription-id'));
  if (sub.clientId !== conn.clientId) return send(ctx, conn.id, fail('unsubscribe', taId, 'permission-denied'));
  send(ctx, sub.conn, complete('subscribe', sub.taId));
  const owner = getConn(ctx, sub.conn);
  if (owner !== undefined) patchConn(ctx, owner, { txs: hamtDelete(owner.txs, sub.taId) });
  ctx.d.subscriptions = ctx.d.subscriptions.delete(sub.id);
  ctx.d.subscriptionIndex = indexRemove(ctx.d.subscriptionIndex, sub, sub.seq, sub.filter);
  release(ctx, 'subscriptions', sub.user);
  send(ctx, conn.id, complete('unsubscribe', taId));
};

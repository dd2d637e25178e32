/**
 * The client core: `reduceAll(state, batch) → [state, effects]`, a pure function folded with `scan` by the shell.
 * One batch is the events of one event-loop turn, stamped with the time; deadlines that came due are handled when
 * a `tick` arrives (the shell derives one from `nextDeadline(state)`).
 *
 * @example
 * const [s1, fx] = reduceAll(s0, { now: 0, events: [{ type: 'servers', servers: [] }] }); // connect effects
 * nextDeadline(s1); // e.g. 4000: the greeting timeout
 */
import { PafClosedError } from '../../errors';
import { closeContext, linkByConn, openContext, type Ctx } from './context';
import type { Effect } from './effects';
import type { Batch, ClientEvent } from './events';
import { heapEmpty, heapPeek, heapPop } from '../../util/heap';
import {
  closeLinks,
  down,
  onConnected,
  onFrame,
  onGreetingDeadline,
  onRetry,
  onTransportDown,
  syncServers,
} from './link';
import { onModify, onPublish, onUnpublish, publishClose } from './publish';
import { onCancel, onRequest, onRequestDeadline, onTrackQuery, requestsClose } from './requests';
import type { ClientState, Deadline } from './state';
import { drainLosses, onExpire, onSubscribe, onUnsubscribe, subscribeClose } from './subscribe';
import { onProbe, onReplyDeadline } from './track';

/** When (ms) the earliest deadline comes, if any. */
export const nextDeadline = (s: ClientState): number | undefined => heapPeek(s.deadlines)?.at;

const onDeadline = (ctx: Ctx, d: Deadline): void => {
  switch (d.kind) {
    case 'greet':
      return onGreetingDeadline(ctx, d.conn);
    case 'retry':
      return onRetry(ctx, d.link, d.conn);
    case 'probe':
    case 'reply': {
      const link = linkByConn(ctx, d.conn);
      if (link?.phase !== 'up') return;
      const error = d.kind === 'probe' ? onProbe(ctx, link.key) : onReplyDeadline(ctx, link.key, d.sentAt);
      if (error !== undefined) down(ctx, link.key, error);
      return;
    }
    case 'request':
      return onRequestDeadline(ctx, d.req);
    case 'expire':
      return onExpire(ctx, d);
  }
};

/** Handle every deadline up to `at` or now (a timer may fire a fraction of a millisecond early by the clock). */
const onTick = (ctx: Ctx, at: number): void => {
  const until = Math.max(ctx.now, at);
  for (;;) {
    const next = heapPeek(ctx.s.deadlines);
    if (next === undefined || next.at > until) return;
    ctx.s.deadlines = heapPop(ctx.s.deadlines);
    onDeadline(ctx, next.value);
  }
};

const onClose = (ctx: Ctx): void => {
  const error = new PafClosedError('client closed');
  requestsClose(ctx, error);
  publishClose(ctx, error);
  subscribeClose(ctx);
  closeLinks(ctx, error);
  ctx.s.deadlines = heapEmpty();
  ctx.s.closed = true;
  ctx.fx.push({ type: 'closed' });
};

/** After `close`, requests are refused and subscriptions end at once. */
const whenClosed = (ctx: Ctx, ev: ClientEvent): void => {
  const error = new PafClosedError('client closed');
  switch (ev.type) {
    case 'publish':
    case 'modify':
    case 'unpublish':
    case 'request':
    case 'track-query':
      ctx.fx.push({ type: 'reject', req: ev.req, error });
      return;
    case 'subscribe':
      ctx.fx.push({ type: 'sub-end', key: ev.key, error });
      return;
    default:
      return;
  }
};

const step = (ctx: Ctx, ev: ClientEvent): void => {
  if (ctx.s.closed) return whenClosed(ctx, ev);
  switch (ev.type) {
    case 'servers':
      return syncServers(ctx, ev.servers);
    case 'connected':
      return onConnected(ctx, ev.conn);
    case 'connect-failed':
    case 'closed':
      return onTransportDown(ctx, ev.conn, ev.reason, ev.cause);
    case 'frame':
      return onFrame(ctx, ev.conn, ev.data);
    case 'tick':
      return onTick(ctx, ev.at);
    case 'publish':
      return onPublish(ctx, ev);
    case 'modify':
      return onModify(ctx, ev);
    case 'unpublish':
      return onUnpublish(ctx, ev);
    case 'subscribe':
      return onSubscribe(ctx, ev);
    case 'unsubscribe':
      return onUnsubscribe(ctx, ev);
    case 'request':
      return onRequest(ctx, ev);
    case 'track-query':
      return onTrackQuery(ctx, ev);
    case 'cancel':
      return onCancel(ctx, ev.req);
    case 'continue':
      return drainLosses(ctx);
    case 'close':
      return onClose(ctx);
  }
};

/** Apply one batch of events; returns the new state and the effects to interpret, in order. */
export const reduceAll = (state: ClientState, batch: Batch): readonly [ClientState, readonly Effect[]] => {
  const ctx = openContext(state, batch.now);
  for (const ev of batch.events) step(ctx, ev);
  return closeContext(ctx);
};

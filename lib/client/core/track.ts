/**
 * Client-side liveness on v3 connections (§13.4): a `track` transaction opened right after hello; a query when the
 * server has been silent for jitter(0.5·max_idle, 10 %) + 0.1 s; the link restarts when the reply does not come
 * within 0.5·max_idle, or when the track was still not accepted when the first query was due. Server queries are
 * answered at once. Any server message counts as activity.
 *
 * @example
 * startTrack(ctx, link.key); // sends the track request and arms the first probe
 */
import { PafConnectionError, PafRequestError, type PafError } from '../../errors';
import { addDeadline, linkByKey, maxIdleOf, random, updateWire, type Ctx } from './context';
import { probeDelay, replyTimeout } from './liveness';
import { inform, startTx } from './queue';
import type { ReqId } from './state';
import type { ServerMsg } from './wire';

const probeDue = (ctx: Ctx, key: string): number => {
  const link = linkByKey(ctx, key)!;
  const wire = link.wire!;
  const since = Math.max(wire.lastActivity, wire.track!.lastProbe);
  return since + Math.round(probeDelay(maxIdleOf(ctx.s, link), random(ctx)) * 1000);
};

/** Open the track transaction and arm the first probe. */
export const startTrack = (ctx: Ctx, key: string): void => {
  const ta = startTx(ctx, key, 'track', { kind: 'track' }, {}, false);
  const wire = updateWire(ctx, key, () => ({
    track: { ta, accepted: false, lastProbe: ctx.now, query: undefined },
  }));
  addDeadline(ctx, probeDue(ctx, key), { kind: 'probe', conn: wire.conn });
};

/** Send a query unless one is outstanding (the reply deadline is armed with it). */
export const sendQuery = (ctx: Ctx, key: string): void => {
  const link = linkByKey(ctx, key)!;
  const track = link.wire!.track!;
  if (track.query !== undefined) return;
  inform(ctx, key, track.ta, 'track', { 'track-type': 'query' });
  updateWire(ctx, key, () => ({ track: { ...track, query: { sentAt: ctx.now, waiters: [] } } }));
  const at = ctx.now + Math.round(replyTimeout(maxIdleOf(ctx.s, link)) * 1000);
  addDeadline(ctx, at, { kind: 'reply', conn: link.conn, sentAt: ctx.now });
};

/** Report the round trip of the outstanding query to `req` too. */
export const addQueryWaiter = (ctx: Ctx, key: string, req: ReqId): void => {
  sendQuery(ctx, key);
  updateWire(ctx, key, (w) => {
    const t = w.track!;
    return { track: { ...t, query: { ...t.query!, waiters: [...t.query!.waiters, req] } } };
  });
};

/** The probe deadline came: re-arm if the server spoke meanwhile, else query (or give up if track was never accepted). */
export const onProbe = (ctx: Ctx, key: string): PafError | undefined => {
  const link = linkByKey(ctx, key)!;
  const track = link.wire!.track;
  if (track === undefined) return undefined;
  const due = probeDue(ctx, key);
  if (ctx.now < due) {
    addDeadline(ctx, due, { kind: 'probe', conn: link.conn });
    return undefined;
  }
  if (!track.accepted) return new PafConnectionError(`${link.spec.address}: track not accepted`);
  sendQuery(ctx, key);
  updateWire(ctx, key, (w) => ({ track: { ...w.track!, lastProbe: ctx.now } }));
  addDeadline(ctx, probeDue(ctx, key), { kind: 'probe', conn: link.conn });
  return undefined;
};

/** The reply deadline of the query sent at `sentAt` came. */
export const onReplyDeadline = (ctx: Ctx, key: string, sentAt: number): PafError | undefined => {
  const link = linkByKey(ctx, key)!;
  return link.wire!.track?.query?.sentAt === sentAt
    ? new PafConnectionError(`${link.spec.address}: no reply to track query`)
    : undefined;
};

/** A message of the track transaction; returns an error if the link must restart. */
export const onTrackAnswer = (ctx: Ctx, key: string, m: ServerMsg): PafError | undefined => {
  const link = linkByKey(ctx, key)!;
  const track = link.wire!.track;
  if (track === undefined) return undefined;
  switch (m['msg-type']) {
    case 'accept':
      updateWire(ctx, key, () => ({ track: { ...track, accepted: true } }));
      return undefined;
    case 'notify': {
      if (m['track-type'] === 'query') {
        inform(ctx, key, track.ta, 'track', { 'track-type': 'reply' });
        ctx.fx.push({ type: 'server-query', address: link.spec.address });
        return undefined;
      }
      const q = track.query;
      if (q === undefined) return undefined;
      updateWire(ctx, key, () => ({ track: { ...track, query: undefined } }));
      for (const req of q.waiters) {
        if (!ctx.s.requests.has(req)) continue;
        ctx.s.requests = ctx.s.requests.delete(req);
        ctx.fx.push({ type: 'resolve', req, rtt: ctx.now - q.sentAt });
      }
      return undefined;
    }
    case 'fail':
      return new PafRequestError('track', m['fail-reason'] as string | undefined);
    default:
      return undefined;
  }
};

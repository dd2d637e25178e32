/**
 * One-shot requests of the program (ping, services, clients, subscriptions, raw transactions of rxpafc, track
 * queries): sent on the chosen server once it is connected; answered with every message of the transaction. A
 * request fails with PafConnectionError when no suitable server connects, or its connection is lost, and with
 * PafTimeoutError when the first answer does not come within the request timeout.
 *
 * @example
 * onRequest(ctx, { type: 'request', req: 1, cmd: 'ping', fields: {}, server: undefined });
 */
import { PafArgumentError, PafConnectionError, PafRequestError, PafTimeoutError, type PafError } from '../../errors';
import { addDeadline, upLinks, type Ctx } from './context';
import type { ClientEvent } from './events';
import { startTx } from './queue';
import type { ConnId, Link, Pending, ReqId } from './state';
import { addQueryWaiter } from './track';
import type { ServerSelector } from './types';
import type { ServerMsg } from './wire';

type Of<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>;

/** The connected link a selector designates: an index into the server list, an address, or the first connected. */
const pick = (ctx: Ctx, server: ServerSelector | undefined): Link | undefined => {
  if (server === undefined) return upLinks(ctx)[0];
  const link = typeof server === 'number' ? ctx.s.links[server] : ctx.s.links.find((l) => l.spec.address === server);
  return link?.phase === 'up' ? link : undefined;
};

const finish = (ctx: Ctx, req: ReqId): void => {
  ctx.s.requests = ctx.s.requests.delete(req);
};

const fail = (ctx: Ctx, req: ReqId, error: PafError): void => {
  finish(ctx, req);
  ctx.fx.push({ type: 'reject', req, error });
};

const trySend = (ctx: Ctx, p: Pending): void => {
  const link = pick(ctx, p.server);
  if (link === undefined) return;
  const sent = { link: link.key, conn: link.conn, at: ctx.now };
  if (p.cmd === 'track-query') {
    if (link.wire!.version !== 3) return fail(ctx, p.req, new PafArgumentError('track requires protocol version 3'));
    addQueryWaiter(ctx, link.key, p.req);
  } else startTx(ctx, link.key, p.cmd, { kind: 'request', req: p.req }, p.fields, false);
  ctx.s.requests = ctx.s.requests.set(p.req, { ...p, sent });
};

const add = (ctx: Ctx, p: Pending): void => {
  ctx.s.requests = ctx.s.requests.set(p.req, p);
  addDeadline(ctx, ctx.now + Math.round(ctx.s.options.requestTimeout * 1000), { kind: 'request', req: p.req });
  trySend(ctx, p);
};

export const onRequest = (ctx: Ctx, ev: Of<'request'>): void =>
  add(ctx, { req: ev.req, cmd: ev.cmd, fields: ev.fields, server: ev.server, sent: undefined, answered: false });

export const onTrackQuery = (ctx: Ctx, ev: Of<'track-query'>): void =>
  add(ctx, { req: ev.req, cmd: 'track-query', fields: {}, server: ev.server, sent: undefined, answered: false });

/** A message of a one-shot request's transaction. */
export const onRequestAnswer = (ctx: Ctx, req: ReqId, m: ServerMsg): void => {
  const p = ctx.s.requests.get(req);
  if (p === undefined) return;
  switch (m['msg-type']) {
    case 'accept':
      ctx.s.requests = ctx.s.requests.set(req, { ...p, answered: true });
      ctx.fx.push({ type: 'response', req, msg: m });
      return;
    case 'notify':
      ctx.fx.push({ type: 'response', req, msg: m });
      return;
    case 'complete':
      finish(ctx, req);
      ctx.fx.push({ type: 'resolve', req, msg: m, rtt: ctx.now - (p.sent?.at ?? ctx.now) });
      return;
    case 'fail':
      return fail(ctx, req, new PafRequestError(p.cmd, m['fail-reason'] as string | undefined));
  }
};

/** The program is no longer interested in `req`. */
export const onCancel = (ctx: Ctx, req: ReqId): void => finish(ctx, req);

/** The request timeout of `req` came. */
export const onRequestDeadline = (ctx: Ctx, req: ReqId): void => {
  const p = ctx.s.requests.get(req);
  if (p === undefined || p.answered) return;
  const seconds = ctx.s.options.requestTimeout;
  fail(
    ctx,
    req,
    p.sent === undefined
      ? new PafConnectionError(`no connected Pathfinder server within ${seconds} s`)
      : new PafTimeoutError(`${p.cmd}: no answer within ${seconds} s`),
  );
};

/** A link came up: send what waits for it. */
export const requestsUp = (ctx: Ctx): void => {
  for (const p of [...ctx.s.requests.values()]) if (p.sent === undefined) trySend(ctx, p);
};

/** Connection `conn` was lost: its requests fail. */
export const requestsDown = (ctx: Ctx, conn: ConnId, error: PafError): void => {
  for (const p of [...ctx.s.requests.values()]) if (p.sent?.conn === conn) fail(ctx, p.req, error);
};

/** The client is closing: every request fails. */
export const requestsClose = (ctx: Ctx, error: PafError): void => {
  for (const req of [...ctx.s.requests.keys()]) fail(ctx, req, error);
};

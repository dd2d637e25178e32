/**
 * The link to one server (§13.2–13.4): connect, hello within the greeting timeout (`idle_min`), then keep the
 * session in sync (own services, subscriptions, waiting requests); on any loss reconnect after libpaf's jittered
 * exponential back-off. Inbound frames are parsed, validated with the negotiated version's codec and routed to the
 * transaction they belong to; a protocol error or any `fail` of a sync transaction restarts the link.
 *
 * @example
 * syncServers(ctx, [{ address: 'tcp:127.0.0.1:4711' }]); // connect effects for new servers
 * onFrame(ctx, conn, bytes);
 */
import { List as IList, Map as IMap } from 'immutable';

import { PafConnectionError, PafRequestError, type PafError } from '../../errors';
import { nextReconnectDelay } from './backoff';
import { addDeadline, idleMinOf, linkByConn, linkByKey, random, setLink, updateWire, type Ctx } from './context';
import { serverKey } from './domain-file';
import { onPublishAnswer, publishDown, publishUp } from './publish';
import { pump, startTx } from './queue';
import { onRequestAnswer, requestsDown, requestsUp } from './requests';
import type { ConnId, Link, Tx, Wire } from './state';
import { onSubscribeAnswer, subscribeDown, subscribeUp } from './subscribe';
import { onTrackAnswer, startTrack } from './track';
import type { ServerSpec } from './types';
import { parseServerMessage, shown, validate, type ServerMsg } from './wire';

/** Transactions answered by accept, notifications and complete. */
const MULTI: ReadonlySet<string> = new Set(['subscribe', 'services', 'subscriptions', 'clients', 'track']);

const newWire = (conn: ConnId, now: number): Wire => ({
  conn,
  version: 3,
  nextTa: 0,
  txs: IMap(),
  inFlight: 0,
  queue: IList(),
  sent: IMap(),
  subs: IMap(),
  track: undefined,
  lastActivity: now,
});

/** Start a connection attempt (the greeting deadline covers connect, TLS and hello). */
const connect = (ctx: Ctx, link: Link): Link => {
  const conn = ctx.s.nextConn;
  ctx.s.nextConn = conn + 1;
  const next: Link = { ...link, phase: 'connecting', conn, wire: undefined };
  const idleMs = Math.round(idleMinOf(ctx.s, next) * 1000);
  ctx.fx.push({ type: 'connect', conn, spec: link.spec, timeoutMs: idleMs });
  ctx.fx.push({ type: 'link', state: { address: link.spec.address, state: 'connecting' } });
  addDeadline(ctx, ctx.now + idleMs, { kind: 'greet', conn });
  return next;
};

/** The link is lost (or given up): its session's state goes, a reconnect is scheduled after the back-off. */
export const down = (ctx: Ctx, key: string, error: PafError): void => {
  const link = linkByKey(ctx, key);
  if (link === undefined || link.phase === 'backoff') return;
  const { reconnectMin, reconnectMax } = ctx.s.options;
  const delay = nextReconnectDelay(link.delay, reconnectMin, reconnectMax, random(ctx));
  setLink(ctx, { ...link, phase: 'backoff', wire: undefined, delay, error });
  ctx.fx.push({ type: 'close', conn: link.conn });
  if (link.phase === 'up') {
    subscribeDown(ctx, key, link.conn);
    publishDown(ctx, key);
  }
  requestsDown(ctx, link.conn, error);
  ctx.fx.push({ type: 'link', state: { address: link.spec.address, state: 'disconnected', error } });
  addDeadline(ctx, ctx.now + Math.round(delay * 1000), { kind: 'retry', link: key, conn: link.conn });
};

/** Remove a link for good (its server left the domain file, or the client closes). */
const remove = (ctx: Ctx, link: Link, error: PafError): void => {
  ctx.s.links = ctx.s.links.filter((l) => l.key !== link.key);
  if (link.phase !== 'backoff') ctx.fx.push({ type: 'close', conn: link.conn });
  if (link.phase === 'up') {
    subscribeDown(ctx, link.key, link.conn);
    publishDown(ctx, link.key);
  }
  requestsDown(ctx, link.conn, error);
  ctx.fx.push({ type: 'link', state: { address: link.spec.address, state: 'disconnected' } });
};

/** The servers are the explicit ones plus `domain`'s: drop links to servers gone, open links to new ones. */
export const syncServers = (ctx: Ctx, domain: readonly ServerSpec[]): void => {
  const wanted = new Map<string, ServerSpec>();
  for (const spec of [...ctx.s.explicit, ...domain]) {
    const key = serverKey(spec);
    if (!wanted.has(key)) wanted.set(key, spec);
  }
  for (const link of ctx.s.links)
    if (!wanted.has(link.key)) remove(ctx, link, new PafConnectionError(`${link.spec.address}: server removed`));
  const links: Link[] = [];
  for (const [key, spec] of wanted) {
    const existing = linkByKey(ctx, key);
    links.push(
      existing ?? connect(ctx, { key, spec, phase: 'backoff', conn: 0, delay: 0, wire: undefined, error: undefined }),
    );
  }
  ctx.s.links = links;
};

/** Close every link (the client closes). */
export const closeLinks = (ctx: Ctx, error: PafError): void => {
  for (const link of ctx.s.links) remove(ctx, link, error);
};

/** The back-off of a link ran out: connect again. */
export const onRetry = (ctx: Ctx, key: string, conn: ConnId): void => {
  const link = linkByKey(ctx, key);
  if (link !== undefined && link.phase === 'backoff' && link.conn === conn) setLink(ctx, connect(ctx, link));
};

/** The greeting deadline of `conn` came. */
export const onGreetingDeadline = (ctx: Ctx, conn: ConnId): void => {
  const link = linkByConn(ctx, conn);
  if (link !== undefined && (link.phase === 'connecting' || link.phase === 'handshaking'))
    down(ctx, link.key, new PafConnectionError(`${link.spec.address}: greeting timeout`));
};

/** The transport connected: say hello. */
export const onConnected = (ctx: Ctx, conn: ConnId): void => {
  const link = linkByConn(ctx, conn);
  if (link === undefined || link.phase !== 'connecting') return;
  setLink(ctx, { ...link, phase: 'handshaking', wire: newWire(conn, ctx.now) });
  startTx(
    ctx,
    link.key,
    'hello',
    { kind: 'hello' },
    {
      'client-id': ctx.s.clientId,
      'protocol-minimum-version': BigInt(link.spec.minProtocolVersion ?? 2),
      'protocol-maximum-version': BigInt(link.spec.maxProtocolVersion ?? 3),
    },
    false,
  );
};

/** The transport failed to connect, or the connection closed. */
export const onTransportDown = (ctx: Ctx, conn: ConnId, reason: string, cause: unknown): void => {
  const link = linkByConn(ctx, conn);
  if (link === undefined || link.phase === 'backoff') return;
  const options = cause === undefined ? undefined : { cause };
  const message = reason.startsWith(`${link.spec.address}:`) ? reason : `${link.spec.address}: ${reason}`;
  down(ctx, link.key, new PafConnectionError(message, options));
};

const helloDone = (ctx: Ctx, key: string, m: ServerMsg): PafError | undefined => {
  const link = linkByKey(ctx, key)!;
  const v = Number(m['protocol-version']);
  const [min, max] = [link.spec.minProtocolVersion ?? 2, link.spec.maxProtocolVersion ?? 3];
  if ((v !== 2 && v !== 3) || v < min || v > max)
    return new PafConnectionError(`${link.spec.address}: protocol error: server chose protocol version ${v}`);
  const version = v;
  setLink(ctx, { ...link, phase: 'up', delay: 0, wire: { ...link.wire!, version } });
  ctx.fx.push({ type: 'keepalive', conn: link.conn, on: version === 2 });
  ctx.fx.push({ type: 'link', state: { address: link.spec.address, state: 'connected', protocolVersion: version } });
  if (version === 3) startTrack(ctx, key);
  publishUp(ctx, key);
  subscribeUp(ctx, key);
  requestsUp(ctx);
  return undefined;
};

/** Route a validated message to its transaction's owner; an error restarts the link. */
const route = (ctx: Ctx, key: string, tx: Tx, ta: number, m: ServerMsg): PafError | undefined => {
  const o = tx.owner;
  switch (o.kind) {
    case 'hello':
      return m['msg-type'] === 'complete'
        ? helloDone(ctx, key, m)
        : new PafRequestError('hello', m['fail-reason'] as string);
    case 'track':
      return onTrackAnswer(ctx, key, m);
    case 'publish':
    case 'unpublish':
      return onPublishAnswer(ctx, key, o, m);
    case 'subscribe':
      onSubscribeAnswer(ctx, key, o, ta, m);
      return undefined;
    case 'unsubscribe':
      return undefined;
    case 'request':
      onRequestAnswer(ctx, o.req, m);
      return undefined;
  }
};

/** Check a message against its transaction and update the transaction; a string is a protocol error. */
const admit = (ctx: Ctx, key: string, data: Uint8Array | string): { tx: Tx; ta: number; m: ServerMsg } | string => {
  const o = parseServerMessage(data);
  if (typeof o === 'string') return o;
  const taId = o['ta-id'];
  if (typeof taId !== 'bigint') return "missing or invalid 'ta-id'";
  const ta = Number(taId);
  const wire = linkByKey(ctx, key)!.wire!;
  const tx = wire.txs.get(ta);
  if (tx === undefined) return `message for unknown transaction ${taId}`;
  if (o['ta-cmd'] !== tx.cmd) return `'ta-cmd' ${shown(o['ta-cmd'])} does not match transaction ${taId} (${tx.cmd})`;
  const msgType = o['msg-type'];
  const multi = MULTI.has(tx.cmd);
  switch (msgType) {
    case 'accept':
      if (!multi || tx.accepted) return `unexpected accept for ${tx.cmd}`;
      break;
    case 'notify':
      if (!tx.accepted) return `notify before accept for ${tx.cmd}`;
      break;
    case 'complete':
      if (multi && !tx.accepted && tx.cmd !== 'track') return `complete before accept for ${tx.cmd}`;
      break;
    case 'fail':
      break;
    default:
      return `unexpected 'msg-type' ${shown(msgType)}`;
  }
  const m = validate(o, tx.cmd, msgType, wire.version);
  if (typeof m === 'string') return m;
  const ends = msgType === 'complete' || msgType === 'fail';
  const answers = !tx.answered && msgType !== 'notify';
  if (ends || answers) {
    updateWire(ctx, key, (w) => ({
      txs: ends ? w.txs.delete(ta) : w.txs.set(ta, { ...tx, accepted: true, answered: true }),
      inFlight: answers && tx.bounded ? w.inFlight - 1 : w.inFlight,
    }));
  }
  return { tx, ta, m };
};

/** A frame from the server of connection `conn`. */
export const onFrame = (ctx: Ctx, conn: ConnId, data: Uint8Array | string): void => {
  const link = linkByConn(ctx, conn);
  if (link === undefined || (link.phase !== 'handshaking' && link.phase !== 'up')) return;
  const { key } = link;
  if (link.wire!.lastActivity !== ctx.now) updateWire(ctx, key, () => ({ lastActivity: ctx.now }));
  const r = admit(ctx, key, data);
  if (typeof r === 'string')
    return down(ctx, key, new PafConnectionError(`${link.spec.address}: protocol error: ${r}`));
  const error = route(ctx, key, r.tx, r.ta, r.m);
  if (error !== undefined) return down(ctx, key, error);
  const after = linkByKey(ctx, key);
  if (r.tx.bounded && after?.phase === 'up' && after.conn === conn) pump(ctx, key);
};

/**
 * Connection lifecycle in the core: accept (with the total-clients connection cap, A4), close for any reason, and
 * the client-disconnect processing of §7.5.
 */
import { List } from 'immutable';
import { hamtEmpty, hamtForEach } from '../util/hamt';

import { indexFrom } from '../filter/filter-index';
import type { Ctx } from './context';
import { getConn, nextSeq } from './context';
import { dropRecord } from './directory';
import type { AcceptedEvent } from './events';
import type { Conn, ConnId, Subscription } from './model';
import { OrderedSlots } from './ordered-slots';
import { release } from './resources';
import { armTimer } from './timer-queue';
import {
  CLOSE_SLICE,
  liveSubscriptionCount,
  removeSubscriptions,
  slicesUnsubscribe,
  startJob,
  UNSUBSCRIBE_SLICED_FROM,
} from './work';

/** Open connections that count against the connection cap: every one but those waiting for a slot. */
const admitted = (ctx: Ctx): number => ctx.d.conns.size - ctx.d.waiting.size;

/**
 * A transport accepted a connection: register it with its handshake deadline (§8.5, B8 fixed). At the connection
 * cap it waits instead, as in pafd, whose accept loop stops (A4, §10.3): unread (its messages are held), no
 * deadline, admitted oldest first when a slot frees ({@link admitWaiting}). A cap of 0 never frees a slot: closed.
 */
export const acceptConn = (ctx: Ctx, e: AcceptedEvent): void => {
  const cap = ctx.d.settings.limits.total.clients;
  if (cap !== undefined && admitted(ctx) >= cap && cap > 0) {
    ctx.d.conns = ctx.d.conns.set(e.conn, { ...newConn(e), waiting: true });
    ctx.d.held = ctx.d.held.set(e.conn, { inbox: List(), outbox: List() });
    ctx.d.waiting = ctx.d.waiting.push(e.conn);
    ctx.fx.push({
      type: 'log',
      level: 'info',
      category: 'core',
      msg: 'connection waiting: client limit reached',
      fields: { conn: e.conn, address: e.address },
    });
    return;
  }
  if (cap !== undefined && admitted(ctx) >= cap) {
    ctx.fx.push({ type: 'close', conn: e.conn, reason: 'connection limit reached' });
    ctx.fx.push({
      type: 'log',
      level: 'warning',
      category: 'core',
      msg: 'connection refused: client limit reached',
      fields: { address: e.address },
    });
    return;
  }
  const conn = newConn(e);
  ctx.d.conns = ctx.d.conns.set(conn.id, conn);
  armTimer(ctx, conn, e.now + ctx.d.settings.handshakeTimeout);
  ctx.fx.push({
    type: 'log',
    level: 'info',
    category: 'core',
    msg: 'accepted connection',
    fields: { conn: e.conn, address: e.address },
  });
};

/** Admit waiting connections, oldest first, while the cap has room: the handshake deadline starts now (A4). */
export const admitWaiting = (ctx: Ctx): void => {
  const cap = ctx.d.settings.limits.total.clients;
  while (ctx.d.waiting.size > 0 && (cap === undefined || admitted(ctx) < cap)) {
    const id = ctx.d.waiting.first()!;
    ctx.d.waiting = ctx.d.waiting.shift();
    const conn = getConn(ctx, id)!; // a waiting connection that closes leaves the list (dropConn)
    const { waiting: _w, ...rest } = conn;
    ctx.d.conns = ctx.d.conns.set(id, rest);
    armTimer(ctx, rest, ctx.now + ctx.d.settings.handshakeTimeout);
    ctx.fx.push({
      type: 'log',
      level: 'info',
      category: 'core',
      msg: 'admitted waiting connection',
      fields: { conn: id },
    });
    // what it sent while waiting is processed now, in order
    ctx.release(ctx, id);
  }
};

const newConn = (e: AcceptedEvent): Conn => ({
  id: e.conn,
  address: e.address,
  user: e.user,
  transport: e.transport,
  acceptedAt: e.now,
  version: undefined,
  clientId: undefined,
  handshaked: false,
  handshakeSeq: 0,
  txs: hamtEmpty(),
  trackTaId: undefined,
  queryOutstandingSince: undefined,
  latency: undefined,
  idle: 'active',
  lastSeen: e.now,
  timerAt: undefined,
  queuedAt: undefined,
});

/** Close a connection from the server side (protocol error, timeouts): disconnect processing, then a close effect. */
export const closeConn = (ctx: Ctx, id: ConnId, reason: string): void => {
  if (getConn(ctx, id) === undefined) return;
  dropConn(ctx, id);
  ctx.fx.push({ type: 'close', conn: id, reason });
  ctx.fx.push({
    type: 'log',
    level: 'info',
    category: 'core',
    msg: 'closing connection',
    fields: { conn: id, reason },
  });
};

/**
 * Connections whose `closed` events the shell has and folds later (a `closing` event): none is told of a directory
 * change until its close is folded (lib/state/notify.ts). Ids of connections already gone are ignored.
 */
export const markClosing = (ctx: Ctx, ids: readonly ConnId[]): void => {
  let closing = ctx.d.closing;
  for (const id of ids) if (ctx.d.conns.has(id)) closing = closing.add(id);
  ctx.d.closing = closing;
};

/** Forget a connection; if it was handshaked, run the client disconnect of §7.5. */
export const dropConn = (ctx: Ctx, id: ConnId): void => {
  const conn = getConn(ctx, id);
  if (conn === undefined) return;
  if (ctx.d.closing.size > 0) ctx.d.closing = ctx.d.closing.delete(id);
  ctx.d.conns = ctx.d.conns.delete(id);
  if (ctx.d.held.has(id)) ctx.d.held = ctx.d.held.delete(id);
  if (conn.waiting === true) ctx.d.waiting = ctx.d.waiting.filter((w) => w !== id);
  if (conn.handshaked) disconnectClient(ctx, conn);
};

/**
 * A closing connection that holds at least this many subscriptions, and at least half of the domain's, has the
 * subscriptions map and the filter index rebuilt from the others' rather than its own removed one by one: a
 * subscriber of 10,000 filters closing costs what the others' cost (issue 12, no single event holding the loop).
 */
const REBUILD_FROM = 32;

/**
 * The connection's `count` subscriptions removed in one transient edit of the subscriptions map and of the filter
 * index, with the same result as removals one by one; newest first: the map keeps its entries in creation order, and
 * removing from its end leaves no holes behind (a connection's subscriptions are usually the newest).
 */
const removeOwn = (ctx: Ctx, conn: Conn, count: number): void => {
  removeSubscriptions(ctx, ownSubscriptions(ctx, conn, count));
};

/** The connection's `count` subscriptions, newest first. */
const ownSubscriptions = (ctx: Ctx, conn: Conn, count: number): Subscription[] => {
  const own: Subscription[] = [];
  hamtForEach(conn.txs, (tx) => {
    if (tx.cmd === 'subscribe') own.push(ctx.d.subscriptions.get(tx.subscriptionId)!);
  });
  if (count > 1) own.sort((a, b) => b.seq - a.seq);
  return own;
};

/**
 * The connection's subscriptions (at least {@link UNSUBSCRIBE_SLICED_FROM}) gone at once for every purpose
 * (`unsubscribing`), and removed from the map and the filter index by an `unsubscribe` job in slices (work.ts).
 */
const removeLater = (ctx: Ctx, conn: Conn, count: number): void => {
  ctx.d.unsubscribing = ctx.d.unsubscribing.set(conn.id, count);
  const entries = ctx.d.subscriptions.positions;
  startJob(ctx, { kind: 'unsubscribe', conn: conn.id, entries, pos: entries.end, left: count });
};

/**
 * The subscriptions map and the filter index rebuilt from the other connections' subscriptions, in creation order
 * (the order both keep): the same entries and buckets, in the same order, as after removing the connection's own.
 */
const keepOthers = (ctx: Ctx, conn: Conn): void => {
  const kept: Subscription[] = [];
  for (const sub of ctx.d.subscriptions.values()) if (sub.conn !== conn.id) kept.push(sub);
  ctx.d.subscriptions = OrderedSlots.of(kept);
  ctx.d.subscriptionIndex = indexFrom(kept);
};

/** §7.5 steps 1–6. */
const disconnectClient = (ctx: Ctx, conn: Conn): void => {
  const now = ctx.now;
  // 2. subscriptions issued on the connection vanish silently (an unsubscribe ends its transaction, subscribe.ts)
  let count = 0;
  hamtForEach(conn.txs, (tx) => {
    if (tx.cmd === 'subscribe') count++;
  });
  if (count > 0) {
    if (count >= UNSUBSCRIBE_SLICED_FROM && slicesUnsubscribe(ctx.closeRule)) removeLater(ctx, conn, count);
    else if (count >= REBUILD_FROM && 2 * count >= ctx.d.subscriptions.size) keepOthers(ctx, conn);
    else removeOwn(ctx, conn, count);
    // (a subscription's user is its connection's)
    release(ctx, 'subscriptions', conn.user, count);
  }
  // 5. the client resource
  release(ctx, 'clients', conn.user);
  const client = ctx.d.clients.get(conn.clientId!);
  if (client !== undefined) ctx.d.clients = ctx.d.clients.set(client.id, { ...client, active: undefined });
  // a handshaked connection has its record: hello registers it, and only an inactive record is ever dropped
  const record = ctx.d.records.get(conn.id)!;
  // 1. the record becomes inactive; 3. an empty one is dropped (with the client if it holds nothing, 6.)
  const inactive = { ...record, active: false, disconnectedAt: now, closeSeq: nextSeq(ctx) };
  if (inactive.services.size === 0) {
    dropRecord(ctx, inactive);
    return;
  }
  ctx.d.records = ctx.d.records.set(record.id, inactive);
  // 4. every attached service becomes an orphan with the same orphan-since, in attachment order: sliced (work.ts);
  // until its turn comes a service is seen as an orphan through its inactive record
  // A small disconnect is orphaned at once if no work is queued; a big one (services x possible subscribers), or one
  // behind queued work, is left to `work` events, so when many connections close in one turn, no notification is
  // built for subscribers closing in the same turn (CloseRule).
  const job = { kind: 'orphan', record: record.id, ids: inactive.services, pos: 0 } as const;
  const small = inactive.services.size * (1 + liveSubscriptionCount(ctx.d)) <= CLOSE_SLICE;
  if (small && (ctx.d.work.size === 0 || ctx.closeRule === 'at-once')) startJob(ctx, job);
  else ctx.d.work = ctx.d.work.push(job);
  ctx.fx.push({
    type: 'log',
    level: 'info',
    category: 'core',
    msg: 'client disconnected',
    fields: { client: conn.clientId, orphans: inactive.services.size },
  });
};

/**
 * The listing commands (§9): `services`, `subscriptions`, `clients`, and `ping` (§5.10). Each is accept, notifies,
 * complete; the notifies of `services` and `subscriptions` are sliced over a snapshot (lib/state/work.ts).
 */
import type { ClientsRequest, PingRequest, ServicesRequest, SubscriptionsRequest } from '../../codec/messages';
import type { Ctx } from '../../state/context';
import { send } from '../../state/context';
import type { Conn } from '../../state/model';
import { optionalFilter } from '../filter-field';
import { accept, complete, fail } from '../../state/replies';
import { startJob } from '../../state/work';

export const services = (ctx: Ctx, conn: Conn, msg: ServicesRequest): void => {
  const taId = msg['ta-id'];
  const parsed = optionalFilter(msg.filter);
  if (parsed === 'invalid') return send(ctx, conn.id, fail('services', taId, 'invalid-filter-syntax'));
  const filter = parsed.filter;
  send(ctx, conn.id, accept('services', taId));
  // sliced over the services as they are now (lib/state/work.ts); `complete` follows the last notify
  startJob(ctx, {
    kind: 'services',
    conn: conn.id,
    taId,
    filter,
    snap: ctx.d.services,
    recs: ctx.d.records,
    at: ctx.now,
    pos: 0,
  });
};

export const subscriptions = (ctx: Ctx, conn: Conn, msg: SubscriptionsRequest): void => {
  const taId = msg['ta-id'];
  send(ctx, conn.id, accept('subscriptions', taId));
  startJob(ctx, {
    kind: 'subscriptions',
    conn: conn.id,
    taId,
    snap: ctx.d.subscriptions,
    gone: ctx.d.unsubscribing,
    pos: 0,
  });
};

export const clients = (ctx: Ctx, conn: Conn, msg: ClientsRequest): void => {
  const taId = msg['ta-id'];
  send(ctx, conn.id, accept('clients', taId));
  const listed = [...ctx.d.conns.values()].filter((c) => c.handshaked).sort((a, b) => a.handshakeSeq - b.handshakeSeq);
  for (const c of listed) {
    const base = {
      'ta-cmd': 'clients',
      'ta-id': taId,
      'msg-type': 'notify',
      'client-id': c.clientId!,
      'client-address': c.address,
      time: BigInt(Math.floor(c.acceptedAt)), // A10: accept time, whole seconds
    } as const;
    if (conn.version === 2) send(ctx, conn.id, base);
    else
      send(ctx, conn.id, {
        ...base,
        // the requester's own request is activity too (§4.4); it is marked after the handler
        idle: c.id === conn.id ? 0 : Math.max(0, ctx.now - c.lastSeen),
        'protocol-version': BigInt(c.version!),
        ...(c.trackTaId !== undefined && c.latency !== undefined ? { latency: c.latency } : {}),
      });
  }
  send(ctx, conn.id, complete('clients', taId));
};

export const ping = (ctx: Ctx, conn: Conn, msg: PingRequest): void => {
  send(ctx, conn.id, complete('ping', msg['ta-id']));
};

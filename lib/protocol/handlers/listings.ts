/**
 * The listing commands (§9): `services`, `subscriptions`, `clients`, and `ping` (§5.10). Each is accept, notifies,
 * complete, within one step.
 */
import type { ClientsRequest, PingRequest, ServicesRequest, SubscriptionsRequest } from '../../codec/messages';
import { matchFilter } from '../../filter/match';
import type { Ctx } from '../../state/context';
import { send } from '../../state/context';
import type { Conn } from '../../state/model';
import { optionalFilter } from '../filter-field';
import { accept, complete, fail, serviceNotify } from '../../state/replies';

export const services = (ctx: Ctx, conn: Conn, msg: ServicesRequest): void => {
  const taId = msg['ta-id'];
  const parsed = optionalFilter(msg.filter);
  if (parsed === 'invalid') return send(ctx, conn.id, fail('services', taId, 'invalid-filter-syntax'));
  const filter = parsed.filter;
  send(ctx, conn.id, accept('services', taId));
  for (const s of ctx.d.services.values())
    if (filter === undefined || matchFilter(filter, s.props)) send(ctx, conn.id, serviceNotify(taId, s));
  send(ctx, conn.id, complete('services', taId));
};

export const subscriptions = (ctx: Ctx, conn: Conn, msg: SubscriptionsRequest): void => {
  const taId = msg['ta-id'];
  send(ctx, conn.id, accept('subscriptions', taId));
  for (const sub of ctx.d.subscriptions.values())
    send(ctx, conn.id, {
      'ta-cmd': 'subscriptions',
      'ta-id': taId,
      'msg-type': 'notify',
      'subscription-id': sub.id,
      'client-id': sub.clientId,
      ...(sub.filterText !== undefined ? { filter: sub.filterText } : {}),
    });
  send(ctx, conn.id, complete('subscriptions', taId));
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

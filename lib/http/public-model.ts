/**
 * The edge between the core's records and the public model (lib/model.ts): what the JSON API, the watch stream and
 * the dashboard show. Only plain objects leave this module.
 */
import type { ClientInfo, Service, ServiceProps, SubscriptionInfo } from '../model';
import type { Conn, Service as CoreService, Subscription } from '../state/model';

const propsOf = (props: CoreService['props']): ServiceProps => Object.fromEntries(props);

/** A service as the public model has it (`orphanSince` only for orphans). */
export const publicService = (s: CoreService): Service => ({
  id: s.id,
  generation: s.generation,
  props: propsOf(s.props),
  ttl: Number(s.ttl),
  clientId: s.clientId,
  ...(s.orphanSince !== undefined ? { orphanSince: s.orphanSince } : {}),
});

/** A handshaked connection as a `clients` listing reports it; `now` in seconds since the epoch. */
export const publicClient = (c: Conn, now: number): ClientInfo => ({
  clientId: c.clientId!,
  address: c.address,
  connectedAt: c.acceptedAt,
  ...(c.version !== undefined ? { protocolVersion: c.version } : {}),
  idle: Math.max(0, now - c.lastSeen),
  ...(c.trackTaId !== undefined && c.latency !== undefined ? { latency: c.latency } : {}),
});

/** A subscription as a `subscriptions` listing reports it. */
export const publicSubscription = (s: Subscription): SubscriptionInfo => ({
  id: s.id,
  clientId: s.clientId,
  ...(s.filterText !== undefined ? { filter: s.filterText } : {}),
});

/**
 * The edge between the core's records and the public model (lib/model.ts): what the JSON API, the watch stream and
 * the dashboard show. Services convert through lib/state/public-model (the library's server API uses the same
 * conversion, cached per record); clients are reported with their idle time by the wall clock. Only plain objects
 * leave this module.
 */
import type { ClientInfo, SubscriptionInfo } from '../model';
import type { Conn, Subscription } from '../state/model';

/**
 * A service in the public model, converted afresh: what the API and watches write is serialised once and dropped, so
 * it does not go through the library's per-record cache (a listing of 100,000 services filled it with 100,000 entries:
 * one event-loop turn of ~15 ms to rehash it at 87,381, and more work in every later GC).
 */
export { toPublicService as publicService } from '../state/public-model';

/** A handshaked connection as a `clients` listing reports it (idle in seconds, to the ms); `now`: seconds since the epoch. */
export const publicClient = (c: Conn, now: number): ClientInfo => ({
  clientId: c.clientId!,
  address: c.address,
  connectedAt: c.acceptedAt,
  ...(c.version !== undefined ? { protocolVersion: c.version } : {}),
  idle: Math.round(Math.max(0, now - c.lastSeen) * 1000) / 1000, // milliseconds are plenty for a listing
  ...(c.trackTaId !== undefined && c.latency !== undefined ? { latency: c.latency } : {}),
});

/** A subscription as a `subscriptions` listing reports it. */
export const publicSubscription = (s: Subscription): SubscriptionInfo => ({
  id: s.id,
  clientId: s.clientId,
  ...(s.filterText !== undefined ? { filter: s.filterText } : {}),
});

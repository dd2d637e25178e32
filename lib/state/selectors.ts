/**
 * Selectors: pure read-only queries over a domain's state, for code outside the core (the HTTP API, metrics, the
 * dashboard). They hide how the state stores its collections, so callers never touch the persistent structures
 * directly; every selector is O(1) or returns a lazy iterable unless its comment says otherwise.
 *
 * @example
 * for (const s of servicesInOrder(state)) if (s.orphanSince !== undefined) console.log('orphan', s.id);
 * const { services, clients } = domainCounts(state);
 */
import type { Conn, DomainState, Service, ServiceId, Subscription } from './model';
import { liveSubscriptionCount, liveSubscriptions } from './work';

/** Every service, in insertion order (the order a `services` listing uses). Lazy: safe to consume across turns. */
export const servicesInOrder = (s: DomainState): Iterable<Service> => s.services.values();

/** One service by id, if present. */
export const serviceById = (s: DomainState, id: ServiceId): Service | undefined => s.services.get(id);

/** Every subscription, in creation order. Lazy. */
export const subscriptionsInOrder = (s: DomainState): Iterable<Subscription> => liveSubscriptions(s);

/** Connections that completed a hello, in handshake order (the order a `clients` listing uses). O(n log n). */
export const handshakedConnections = (s: DomainState): readonly Conn[] =>
  [...s.conns.values()].filter((c) => c.handshaked).sort((a, b) => a.handshakeSeq - b.handshakeSeq);

/** Subscriptions, a closed connection's whose removal is pending not counted (O(connections pending)). */
export const subscriptionCount = (s: DomainState): number => liveSubscriptionCount(s);

/** Sizes of the domain, O(1): open connections, connected clients, services, subscriptions. */
export interface DomainCounts {
  readonly connections: number;
  readonly clients: number;
  readonly services: number;
  readonly subscriptions: number;
}

export const domainCounts = (s: DomainState): DomainCounts => ({
  connections: s.conns.size,
  clients: s.used.clients,
  services: s.services.size,
  subscriptions: subscriptionCount(s),
});

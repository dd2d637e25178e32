/**
 * Public types of the client library: what a Node developer passes to {@link createClient} and what comes back.
 *
 * @example
 * const m: Match = { type: 'appeared', serviceId: 1n, generation: 0n, props: { name: ['foo'] }, ttl: 30 };
 */
import type { TlsFiles } from '../transport/transport';

/** A property value as given by the user: strings, integers (number or bigint). */
export type PropInput = string | number | bigint;

/** Service properties as given to `publish`/`modify`: one value or an array of values per key. */
export type PropsInput = Readonly<Record<string, PropInput | readonly PropInput[]>>;

/** Service properties as received: every key maps to its distinct values (integers as bigint). */
export type ServiceProps = Readonly<Record<string, ReadonlyArray<string | bigint>>>;

/** One server of a domain (from a domain file or the `addresses` option). */
export interface ServerSpec {
  /** XCM address: tcp:, tls:, ux:, uxf:, utls:. */
  readonly address: string;
  readonly tls?: TlsFiles;
  /** Local address to bind before connecting. */
  readonly localAddress?: string;
  readonly minProtocolVersion?: number;
  readonly maxProtocolVersion?: number;
  /** Seconds; overrides the client's idleMin for this server (§13.4). */
  readonly minIdleTime?: number;
  /** Seconds; overrides the client's idleMax for this server (§13.4). */
  readonly maxIdleTime?: number;
}

/** A service as the merged view sees it. */
export interface ServiceRecord {
  readonly serviceId: bigint;
  readonly generation: bigint;
  readonly props: ServiceProps;
  readonly ttl: number;
  /** Owner (current client id of the publisher). */
  readonly clientId: bigint;
  /** Seconds since the epoch at which the service became an orphan; absent while its owner is connected. */
  readonly orphanSince?: number;
}

/** A subscription event, merged across the servers of a domain (§13.2). */
export interface Match {
  readonly type: 'appeared' | 'modified' | 'disappeared';
  readonly serviceId: bigint;
  /** Present for appeared/modified. */
  readonly generation?: bigint;
  readonly props?: ServiceProps;
  readonly ttl?: number;
  readonly clientId?: bigint;
  readonly orphanSince?: number;
}

/** Membership state of a service used as a member record. */
export type Membership = 'online' | 'orphan' | 'gone';

/** Connection state of one server link. */
export interface ConnectionState {
  readonly address: string;
  readonly state: 'connecting' | 'connected' | 'disconnected';
  /** Negotiated protocol version while connected. */
  readonly protocolVersion?: number;
  /** Why the link went down (disconnected only). */
  readonly error?: Error;
}

/** A client entry of the `clients` listing (§9.1). */
export interface ClientInfo {
  readonly clientId: bigint;
  readonly address: string;
  /** Seconds since the epoch when the client connected. */
  readonly time: number;
  readonly idle?: number;
  readonly latency?: number;
  readonly protocolVersion?: number;
}

/** A subscription entry of the `subscriptions` listing. */
export interface SubscriptionInfo {
  readonly subscriptionId: bigint;
  readonly clientId: bigint;
  readonly filter?: string;
}

/** Options of {@link createClient}. Times are in seconds, as in libpaf. */
export interface ClientOptions {
  /** Domain name: servers come from `<domainsDir>/<domain>` (rescanned). */
  readonly domain?: string;
  /** Directory of domain files (default `$PAF_DOMAINS` or `/run/paf/domains.d`). */
  readonly domainsDir?: string;
  /** Explicit servers (instead of or in addition to a domain). */
  readonly addresses?: ReadonlyArray<string | ServerSpec>;
  /** 63-bit client id; random by default. */
  readonly clientId?: bigint;
  readonly reconnectMin?: number;
  readonly reconnectMax?: number;
  readonly idleMin?: number;
  readonly idleMax?: number;
  /** Domain file rescan interval (default 5 s, jittered); 0 disables. */
  readonly rescanInterval?: number;
  /** Maximum publish/unpublish/subscribe/unsubscribe transactions in flight per server (default 32). */
  readonly maxInFlight?: number;
  /** Default TTL of published services (default 30 s). */
  readonly ttl?: number;
  /** How long one-shot requests wait for a connected server (default 10 s). */
  readonly requestTimeout?: number;
}

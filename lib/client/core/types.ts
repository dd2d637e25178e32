/**
 * Public types of the client library: what a program passes to `createClient` and `publish`, and the connection
 * states it observes. Services and matches use the shared public model (`lib/model.ts`).
 *
 * @example
 * const opts: ClientOptions = { addresses: ['tcp:127.0.0.1:4711'], reconnectMax: 1 };
 * const props: PropsInput = { name: 'printer', port: 631, tags: ['color', 'duplex'] };
 */
import type { PafError } from '../../errors';
import type { TlsFiles } from '../../model';

/**
 * A property value as given to `publish`/`modify`: a string, or an integer (a safe-integer `number` or a `bigint`
 * in the int64 range −2^63 … 2^63−1; anything else rejects with `PafArgumentError`).
 */
export type PropInput = string | number | bigint;

/** Service properties as given to `publish`/`modify`: one value or an array of values per key. */
export type PropsInput = Readonly<Record<string, PropInput | readonly PropInput[]>>;

/** One server of a domain (from a domain file or the `addresses` option). */
export interface ServerSpec {
  /** XCM address: `tcp:`, `tls:`, `ux:`, `uxf:`, `utls:`. */
  readonly address: string;
  /** TLS credentials for a `tls:`/`utls:` address (default: `$XCM_TLS_CERT`, else `/etc/xcm/tls`). */
  readonly tls?: TlsFiles;
  /** Local address to bind before connecting. */
  readonly localAddress?: string;
  /** Lowest protocol version to offer this server (2 or 3; default 2). */
  readonly minProtocolVersion?: number;
  /** Highest protocol version to offer this server (2 or 3; default 3). */
  readonly maxProtocolVersion?: number;
  /** Seconds; overrides the client's `idleMin` for this server. */
  readonly minIdleTime?: number;
  /** Seconds; overrides the client's `idleMax` for this server. */
  readonly maxIdleTime?: number;
}

/** Selects a server for one-shot requests: an index into the current server list, or an address. */
export type ServerSelector = number | string;

/** Membership of a service in a `membership$` view. */
export type Membership = 'online' | 'orphan' | 'gone';

/** The state of the link to one server. */
export interface ConnectionState {
  /** The server's address, as configured (domain file or `addresses`). */
  readonly address: string;
  /** `connecting` (connecting or greeting), `connected` (greeted; requests go out) or `disconnected` (waiting to reconnect, or removed). */
  readonly state: 'connecting' | 'connected' | 'disconnected';
  /** The negotiated protocol version, while connected. */
  readonly protocolVersion?: number;
  /** Why the link went down (disconnected only; absent when the client or the domain file removed the server). */
  readonly error?: PafError;
}

/** Options of `createClient`. Times are in seconds, as in libpaf. */
export interface ClientOptions {
  /** Domain name: the servers are read from `<domainsDir>/<domain>` (and re-read periodically). */
  readonly domain?: string;
  /** Directory of domain files (default `$PAF_DOMAINS`, else `/run/paf/domains.d`). */
  readonly domainsDir?: string;
  /** Explicit servers (instead of, or in addition to, a domain). */
  readonly addresses?: ReadonlyArray<string | ServerSpec>;
  /** 63-bit client id; random by default. */
  readonly clientId?: bigint;
  /** Reconnect back-off, lower bound: the first retry's delay (default 0.01 s, or `$PAF_RECONNECT_MIN`). */
  readonly reconnectMin?: number;
  /** Reconnect back-off, upper bound: the delay doubles up to it (default 5 s, or `$PAF_RECONNECT_MAX`). */
  readonly reconnectMax?: number;
  /** Liveness, lower bound (default 4 s, or `$PAF_IDLE_MIN`; floor 1 s); also the greeting timeout. */
  readonly idleMin?: number;
  /** Liveness, upper bound: a silent server is given up after about this long (default 30 s, or `$PAF_IDLE_MAX`). */
  readonly idleMax?: number;
  /** Domain file rescan interval (default 5 s ±20 %, or `$PAF_RESCAN`); 0 reads the file once. */
  readonly rescanInterval?: number;
  /** Maximum publish/unpublish/subscribe/unsubscribe transactions in flight per server (default 32). */
  readonly maxInFlight?: number;
  /** Default TTL of published services (default 30 s, or `$PAF_TTL`). */
  readonly ttl?: number;
  /** How long a one-shot request waits for a connected server and its first answer (default 10 s). */
  readonly requestTimeout?: number;
}

/** Options of `publish`. */
export interface PublishOptions {
  /** Seconds the service survives its owner's lost connection (default: the client's `ttl`). */
  readonly ttl?: number;
  /** The service id (63-bit); random by default. */
  readonly id?: bigint;
  /** The first generation (default 0). */
  readonly generation?: bigint;
}

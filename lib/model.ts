/**
 * The public model: how a service, a change of a service and a subscription match look to every user of the
 * library — the client (`matches$`, `services$`), the in-process server (`changes$`), replay output and
 * `rxpafc --json` all use these types and field names. Plain readonly objects and arrays only; ids, generations
 * and client ids are `bigint` (63-bit values are exact); times are seconds since the epoch as numbers.
 *
 * @example
 * const s: Service = { id: 42n, generation: 0n, props: { name: ['printer'], port: [631n] }, ttl: 30, clientId: 7n };
 * const m: Match = { type: 'appeared', service: s };
 * if (m.type !== 'disappeared') console.log(m.service.props.name?.[0]);
 */

/** A property value: a string or an integer (integers are exact, as `bigint`). `"1"` and `1n` are different. */
export type PropValue = string | bigint;

/** Service properties: every key maps to its distinct values, in order of first appearance; no key is empty. */
export type ServiceProps = Readonly<Record<string, readonly PropValue[]>>;

/** One service and its current generation record. */
export interface Service {
  /** The service id (63-bit). */
  readonly id: bigint;
  /** The generation of this record: 0 at first, raised by every modification (the owner's `modify`/`setTtl`). */
  readonly generation: bigint;
  /** The properties: every key with its values (integers as `bigint`). */
  readonly props: ServiceProps;
  /** Time to live in seconds once the owner's connection is lost. */
  readonly ttl: number;
  /** The owner: the client id of the client that published (or last reclaimed) the service. */
  readonly clientId: bigint;
  /** When the service became an orphan (seconds since the epoch); absent while its owner is connected. */
  readonly orphanSince?: number;
}

/** What a subscription reports: a service that started, kept or stopped matching (`service` is its record, the last known one for `disappeared`). */
export type Match =
  | {
      /** The service started matching (or matched when the subscription started). */
      readonly type: 'appeared';
      /** The service as it is now. */
      readonly service: Service;
    }
  | {
      /** The service still matches and changed (a new generation, an owner, orphaned or back). */
      readonly type: 'modified';
      /** The service as it is now. */
      readonly service: Service;
    }
  | {
      /** The service stopped matching: unpublished, expired, or modified so that it no longer matches. */
      readonly type: 'disappeared';
      /** The last record known of it. */
      readonly service: Service;
    };

/** A change of the directory, as the server sees it: `previous` is the record before a modification. */
export type ServiceChange =
  | {
      /** A service was published. */
      readonly type: 'added';
      /** The new service. */
      readonly service: Service;
    }
  | {
      /** A service changed: a new generation, a new owner, orphaned or reclaimed. */
      readonly type: 'modified';
      /** The service after the change. */
      readonly service: Service;
      /** The service before the change. */
      readonly previous: Service;
    }
  | {
      /** A service was unpublished, or expired as an orphan. */
      readonly type: 'removed';
      /** The last record of the service. */
      readonly service: Service;
    };

/** A connected client, as a `clients` listing reports it. */
export interface ClientInfo {
  /** The client id the client said `hello` with (63-bit). */
  readonly clientId: bigint;
  /** The client's transport address as the server sees it, e.g. `tcp:127.0.0.1:40123` or `ux:0004a`. */
  readonly address: string;
  /** When the connection was accepted (seconds since the epoch). */
  readonly connectedAt: number;
  /** Negotiated protocol version (2 or 3), when known. */
  readonly protocolVersion?: number;
  /** Seconds since the client was last heard from, when known. */
  readonly idle?: number;
  /** Last measured track round trip in seconds, when measured. */
  readonly latency?: number;
}

/** A subscription, as a `subscriptions` listing reports it. */
export interface SubscriptionInfo {
  /** The subscription id (63-bit). */
  readonly id: bigint;
  /** The owner's client id. */
  readonly clientId: bigint;
  /** The filter in canonical form; absent for a subscription that matches everything. */
  readonly filter?: string;
}

/**
 * TLS credential files (PEM) of a `tls:`/`utls:` address, for a server socket (`ServerDomainOptions.sockets`) and a
 * client connection (`ServerSpec.tls`) alike; anything not given is taken from the directory `$XCM_TLS_CERT`, else
 * `/etc/xcm/tls` (XCM's defaults).
 */
export interface TlsFiles {
  /** The certificate (PEM file); default `<dir>/cert.pem`. */
  readonly cert?: string;
  /** The private key of the certificate (PEM file); default `<dir>/key.pem`. */
  readonly key?: string;
  /** Trusted CA certificates the peer's certificate is checked against (PEM file); default `<dir>/tc.pem`. */
  readonly tc?: string;
  /** A certificate revocation list (PEM file); peers' certificates are checked against it only when it is given. */
  readonly crl?: string;
}

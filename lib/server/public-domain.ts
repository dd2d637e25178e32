/**
 * The in-process server as the public API (`rxpaf/server`) shows it: {@link createServer} wraps the internal
 * composition root (./create-server.ts) and turns each internal domain into a {@link ServerDomain} that speaks only
 * the public model (lib/model.ts): plain readonly objects, ids as `bigint`, no immutable.js, immer or reducer state.
 * The server mirrors the client: `matches$(filter)` and `services$(filter)` have the client's types and semantics.
 *
 * The internal state is read only here, in `publicService`/`clientInfos`/`subscriptionInfos`, through iteration
 * (`values()`) and `get`, so a change of the state's representation touches these few lines.
 */
// the public types name rxjs's own Observable; values come from ./rx (rxjs's modules by file name)
import type { Observable } from 'rxjs';

import { defer, map, Observable as RxObservable } from './rx';

import type { PafDomainError } from '../errors';
import type { Filter } from '../filter/ast';
import { matchFilter } from '../filter/match';
import type { ClientInfo, Match, Service, ServiceChange, SubscriptionInfo, TlsFiles } from '../model';
import { parseFilter } from '../filter/public';
import type { DirectoryChange } from '../state/effects';
import { publicChange, publicService } from '../state/public-model';
import type { DomainState, Service as InternalService } from '../state/model';
import { subscriptionsInOrder } from '../state/selectors';
import {
  createServer as createInternalServer,
  type RxpafServer as InternalServer,
  type ServerDomain as InternalDomain,
} from './create-server';
import type { ConnectionNotice } from './domain-runtime';

/** Per-domain resource limits (absent: unlimited). */
export interface ResourceLimits {
  /** Connected clients at most (a `hello` over it fails with `insufficient-resources`). */
  readonly clients?: number;
  /** Published services at most (a `publish` over it fails with `insufficient-resources`). */
  readonly services?: number;
  /** Subscriptions at most (a `subscribe` over it fails with `insufficient-resources`). */
  readonly subscriptions?: number;
}

/** Protocol settings of a domain; every field defaults to pafd's value. */
export interface DomainSettingsOptions {
  /** Lowest protocol version offered (2 or 3; default 2). */
  readonly protocolMin?: number;
  /** Highest protocol version offered (2 or 3; default 3). */
  readonly protocolMax?: number;
  /** Smallest idle limit in seconds a client is given (protocol v3). */
  readonly idleMin?: number;
  /** Largest idle limit in seconds a client is given (protocol v3). */
  readonly idleMax?: number;
  /** Seconds a connection may stay without a successful `hello` (default 2.5). */
  readonly handshakeTimeout?: number;
}

/** One domain: a name, the sockets it listens on, its protocol settings. */
export interface ServerDomainOptions {
  /** Shown in logs and `ServerDomain.name`. */
  readonly name?: string;
  /**
   * Addresses to listen on, XCM style: `tcp:127.0.0.1:4711`, `tls:*:4711` (with `tls`), `ux:name` (abstract unix
   * socket), `uxf:/path` (unix socket file), `utls:...`; port 0 lets the kernel choose (see `ServerDomain.addresses`).
   */
  readonly sockets: ReadonlyArray<{
    /** The address to listen on, e.g. `tcp:127.0.0.1:0`. */
    readonly addr: string;
    /** TLS credentials of a `tls:`/`utls:` socket (default: XCM's). */
    readonly tls?: TlsFiles;
  }>;
  /** Protocol settings (default: pafd's). */
  readonly settings?: DomainSettingsOptions;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The domains to serve, each with its own sockets and directory. */
  readonly domains: readonly ServerDomainOptions[];
  /** Resource limits, the same numbers for every domain, counted per domain: in total and per user. */
  readonly limits?: {
    /** Limits on the whole domain. */
    readonly total?: ResourceLimits;
    /** Limits on each user (the transport's user id: `ip:<addr>`, `ski:<hex>`, `default`). */
    readonly user?: ResourceLimits;
  };
  /** TLS handshake deadline in milliseconds (default 2500). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Bind every socket but serve nothing until `start()` (connections wait in the meantime). Default false. */
  readonly deferStart?: boolean;
  /** Seed of the idle-timer jitter (default: random). */
  readonly seed?: number;
  /**
   * Limits on each connection's queued output (bytes; 0 disables one): over `hardBytes`, or over `softBytes` for
   * `softSeconds`, the connection is cut as a slow consumer. Default 64 MiB, 16 MiB for 60 s.
   */
  readonly outputLimits?: {
    /** Queued bytes that cut a connection at once (default 64 MiB). */
    readonly hardBytes?: number;
    /** Queued bytes that cut a connection when they stay queued for `softSeconds` (default 16 MiB). */
    readonly softBytes?: number;
    /** How long a connection may stay over `softBytes` (default 60 s). */
    readonly softSeconds?: number;
  };
  /**
   * Called once if a domain's pipeline fails (an internal error, not a client's: those close one connection). By
   * then that domain has stopped in order: its clients' connections are closed (they see the close, and
   * `connections$` a `closed` event with reason `shutdown` for each), its observables have errored with the same
   * `PafDomainError` (its `cause` is what failed) and its sockets are closed. The other domains keep serving;
   * `close()` still works.
   */
  readonly onDomainFailure?: (domain: number, error: PafDomainError) => void;
}

/** A connection accepted by, or closed on, a domain's sockets. `connection` numbers are unique per domain. */
export type ConnectionEvent =
  | {
      /** A connection was accepted. */
      readonly type: 'accepted';
      /** The connection's number (unique in the domain; the one its `closed` event carries). */
      readonly connection: number;
      /** The peer's transport address, e.g. `tcp:127.0.0.1:40123`. */
      readonly address: string;
      /** The peer's user id as the transport establishes it (`ip:<addr>` on tcp, `ski:<hex>` on tls, `default` on ux/uxf). */
      readonly user: string;
    }
  | {
      /** A connection was closed. */
      readonly type: 'closed';
      /** The number of the connection, as in its `accepted` event. */
      readonly connection: number;
      /** Who ended the connection: the peer (or its transport), or the server (protocol error, timeout, shutdown). */
      readonly by: 'peer' | 'server';
      /**
       * Why: for the peer `eof` or `transport-error`; for the server the reason it logs (`idle timeout`,
       * `handshake timeout`, `protocol error: ...`, `slow consumer`, a resource limit, ...), and `shutdown` for every
       * connection still open when the domain stops (`close()`, or the domain's failure).
       */
      readonly reason: string;
    };

/** What a domain holds right now, in the public model. */
export interface DomainSnapshot {
  /** Every service, in publication order. */
  readonly services: readonly Service[];
  /** Every connected (handshaked) client, in handshake order. */
  readonly clients: readonly ClientInfo[];
  /** Every subscription, in creation order. */
  readonly subscriptions: readonly SubscriptionInfo[];
}

/**
 * A running domain of an in-process server. Its observables complete when the server is closed; if the domain's
 * pipeline fails they error with the `PafDomainError` that `onDomainFailure` receives (so a subscriber can tell the
 * two apart).
 */
export interface ServerDomain {
  /** Position of the domain in `ServerOptions.domains`. */
  readonly index: number;
  /** The domain's name from `ServerDomainOptions.name`, if it has one. */
  readonly name: string | undefined;
  /** Bound addresses, in configuration order, with kernel-chosen ports resolved. */
  readonly addresses: readonly string[];
  /** Every change of the directory (service added, modified, removed), as it happens (`snapshot()` already shows it). */
  readonly changes$: Observable<ServiceChange>;
  /**
   * Matches of a filter (every service without one): first `appeared` for every service matching at subscription,
   * then live `appeared`/`modified`/`disappeared` (an orphaned service is `modified`, with `orphanSince` set).
   * Cold: each subscription is independent. A bad filter errors with `PafFilterError` on subscribe.
   */
  matches$(filter?: string): Observable<Match>;
  /**
   * The set of services matching a filter, by id: first the set at subscription (built in slices, so a large
   * directory does not hold the event loop), then a new map after each change, coalesced per event-loop turn.
   */
  services$(filter?: string): Observable<ReadonlyMap<bigint, Service>>;
  /**
   * Connections accepted and closed, as they happen (from the subscription on; `snapshot()` has the clients). Every
   * `accepted` connection gets its `closed` event, at the latest when the domain stops (reason `shutdown`).
   */
  readonly connections$: Observable<ConnectionEvent>;
  /** The directory, clients and subscriptions right now. */
  snapshot(): DomainSnapshot;
}

/** An in-process Pathfinder server: every domain's sockets are bound when {@link createServer} resolves. */
export interface RxpafServer {
  /** The running domains, in the order of `ServerOptions.domains`. */
  readonly domains: readonly ServerDomain[];
  /** Start serving (only needed with `deferStart`; idempotent). */
  start(): void;
  /** Orderly shutdown: stop listening, disconnect every client, complete every observable. Idempotent. */
  close(): Promise<void>;
}

const clientInfos = (s: DomainState): ClientInfo[] => {
  const out: Array<{ seq: number; info: ClientInfo }> = [];
  for (const client of s.clients.values()) {
    const conn = client.active === undefined ? undefined : s.conns.get(client.active);
    if (conn === undefined || !conn.handshaked) continue;
    const info: ClientInfo = {
      clientId: client.id,
      address: conn.address,
      connectedAt: conn.acceptedAt,
      ...(conn.version === undefined ? {} : { protocolVersion: conn.version }),
      idle: Math.max(0, s.now - conn.lastSeen),
      ...(conn.latency === undefined ? {} : { latency: conn.latency }),
    };
    out.push({ seq: conn.handshakeSeq, info });
  }
  return out.sort((a, b) => a.seq - b.seq).map((x) => x.info);
};

const subscriptionInfos = (s: DomainState): SubscriptionInfo[] =>
  Array.from(subscriptionsInOrder(s), (sub) => ({
    id: sub.id,
    clientId: sub.clientId,
    ...(sub.filterText === undefined ? {} : { filter: sub.filterText }),
  }));

/** Services converted per slice of the initial listing of `matches$`/`services$` before yielding to the loop. */
const SLICE = 2000;

type Step = { readonly match: Match } | 'synced';

/**
 * The domain's directory changes, each delivered once the state holding it is published, so `snapshot()` called
 * from a subscriber already shows the change (the runtime emits a batch's changes before its new state). Changes
 * are held at most until the end of the current microtask if no new state follows.
 */
const settledChanges$ = (d: InternalDomain): Observable<DirectoryChange> =>
  new RxObservable<DirectoryChange>((out) => {
    let pending: DirectoryChange[] = [];
    const flush = (): void => {
      const batch = pending;
      pending = [];
      for (const c of batch) out.next(c);
    };
    const states = d.state$.subscribe({ next: flush, complete: flush });
    const changes = d.changes$.subscribe({
      next: (c) => {
        if (pending.push(c) === 1) queueMicrotask(flush);
      },
      error: (e: unknown) => out.error(e),
      complete: () => {
        flush();
        out.complete();
      },
    });
    return () => {
      states.unsubscribe();
      changes.unsubscribe();
    };
  });

const matchOf = (test: (s: InternalService) => boolean, c: DirectoryChange): Match | undefined => {
  const before = c.kind === 'added' ? false : test(c.before);
  const after = c.kind === 'removed' ? false : test(c.after);
  if (c.kind !== 'removed' && after) return { type: before ? 'modified' : 'appeared', service: publicService(c.after) };
  if (c.kind !== 'added' && before) return { type: 'disappeared', service: publicService(c.before) };
  return undefined;
};

/**
 * The matches of a filter over one domain, with a marker once the initial listing is complete. The listing is a
 * consistent snapshot (the state is immutable) emitted in slices across turns; changes meanwhile are held and
 * emitted after it, so nothing is lost or reordered.
 */
const matchSteps$ = (d: InternalDomain, filter: string | undefined): Observable<Step> =>
  defer(() => {
    const f: Filter | undefined = filter === undefined ? undefined : parseFilter(filter);
    const test = (s: InternalService): boolean => f === undefined || matchFilter(f, s.props);
    return new RxObservable<Step>((out) => {
      let held: DirectoryChange[] | undefined = [];
      const live = settledChanges$(d).subscribe({
        next: (c) => {
          if (held !== undefined) held.push(c);
          else {
            const m = matchOf(test, c);
            if (m !== undefined) out.next({ match: m });
          }
        },
        error: (e: unknown) => out.error(e),
        complete: () => {
          if (held === undefined) out.complete();
        },
      });
      const it = d.snapshot().services.values();
      let timer: NodeJS.Immediate | undefined;
      const slice = (): void => {
        timer = undefined;
        for (let n = 0; n < SLICE; n++) {
          const r = it.next();
          if (r.done === true) {
            const pending = held ?? [];
            held = undefined;
            out.next('synced');
            for (const c of pending) {
              const m = matchOf(test, c);
              if (m !== undefined) out.next({ match: m });
            }
            if (live.closed) out.complete();
            return;
          }
          if (test(r.value)) out.next({ match: { type: 'appeared', service: publicService(r.value) } });
          if (out.closed) return;
        }
        timer = setImmediate(slice);
      };
      slice();
      return () => {
        if (timer !== undefined) clearImmediate(timer);
        live.unsubscribe();
      };
    });
  });

const servicesOf$ = (d: InternalDomain, filter: string | undefined): Observable<ReadonlyMap<bigint, Service>> =>
  new RxObservable<ReadonlyMap<bigint, Service>>((out) => {
    const current = new Map<bigint, Service>();
    let synced = false;
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      if (!out.closed) out.next(new Map(current));
    };
    return matchSteps$(d, filter).subscribe({
      next: (step) => {
        if (step === 'synced') {
          synced = true;
          flush();
          return;
        }
        const { match } = step;
        if (match.type === 'disappeared') current.delete(match.service.id);
        else current.set(match.service.id, match.service);
        if (synced && !scheduled) {
          // the changes of one reducer batch arrive synchronously: one emission after the whole batch
          scheduled = true;
          queueMicrotask(flush);
        }
      },
      error: (e: unknown) => out.error(e),
      complete: () => {
        if (scheduled) flush();
        out.complete();
      },
    });
  });

const publicNotice = (n: ConnectionNotice): ConnectionEvent =>
  n.type === 'accepted'
    ? { type: 'accepted', connection: n.conn, address: n.address, user: n.user }
    : { type: 'closed', connection: n.conn, by: n.by, reason: n.reason };

/** `source`, ending as the domain ended: completing after `close()`, erroring with its `PafDomainError` after a failure. */
const endingAsDomain = <T>(d: InternalDomain, source: Observable<T>): Observable<T> =>
  new RxObservable<T>((out) =>
    source.subscribe({
      next: (v) => out.next(v),
      error: (e: unknown) => out.error(e),
      complete: () => {
        const failure = d.failure();
        if (failure === undefined) out.complete();
        else out.error(failure);
      },
    }),
  );

/** The public view of an internal domain. */
export const publicDomain = (d: InternalDomain): ServerDomain => ({
  index: d.index,
  name: d.name,
  addresses: d.addresses,
  changes$: endingAsDomain(d, settledChanges$(d).pipe(map(publicChange))),
  matches$: (filter?: string) =>
    endingAsDomain(
      d,
      new RxObservable<Match>((out) =>
        matchSteps$(d, filter).subscribe({
          next: (s) => {
            if (s !== 'synced') out.next(s.match);
          },
          error: (e: unknown) => out.error(e),
          complete: () => out.complete(),
        }),
      ),
    ),
  services$: (filter?: string) => endingAsDomain(d, servicesOf$(d, filter)),
  connections$: endingAsDomain(d, d.connections$.pipe(map(publicNotice))),
  snapshot: () => {
    const s = d.snapshot();
    return {
      services: Array.from(s.services.values(), publicService),
      clients: clientInfos(s),
      subscriptions: subscriptionInfos(s),
    };
  },
});

const publicServer = (server: InternalServer): RxpafServer => ({
  domains: server.domains.map(publicDomain),
  start: () => server.start(),
  close: () => server.close(),
});

/**
 * Start an in-process Pathfinder server: binds every socket of every domain (in order) and serves them. Rejects
 * with `PafTransportError` when a socket cannot be bound (every socket bound so far is closed again) and with
 * `PafConfigError` for unusable settings.
 *
 * @example
 * const server = await createServer({ domains: [{ name: 'example', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
 * const [domain] = server.domains;
 * domain.services$('(name=db)').subscribe((dbs) => console.log(dbs.size, 'databases at', domain.addresses[0]));
 * await server.close();
 */
export const createServer = async (options: ServerOptions): Promise<RxpafServer> =>
  publicServer(await createInternalServer(options));

/**
 * `createClient`: attach to a domain (its domain file, re-read periodically) or to a list of servers, keep the
 * client's services and subscriptions in sync on all of them (§13), and see the domain as observables merged
 * across servers.
 *
 * @example
 * const client = createClient({ addresses: ['tcp:127.0.0.1:4711'] });
 * client.matches$('(name=printer)').subscribe((m) => console.log(m.type, m.service.props));
 * const printer = await client.publish({ name: 'printer', address: 'tcp:10.0.0.1:631' }, { ttl: 10 });
 * await printer.modify({ name: 'printer', address: 'tcp:10.0.0.2:631' });
 * await printer.unpublish();
 * await client.close();
 */
import { concat, defer, from, Observable, Subject } from 'rxjs';

import type { Command } from '../codec/messages';
import { INT63_MAX } from '../codec/primitives';
import { messageOf, PafArgumentError, PafClosedError, PafError, PafRequestError, PafUnpublishedError } from '../errors';
import type { Props } from '../filter/props';
import type { ClientInfo, Match, Service, ServiceProps, SubscriptionInfo } from '../model';
import { defaultEnv, type ClientEnv } from './adapter';
import type { Effect } from './core/effects';
import { resolveOptions } from './core/options';
import { fromWireProps, toWireProps } from './core/props';
import { initialState, type ClientState, type ReqId } from './core/state';
import type {
  ClientOptions,
  ConnectionState,
  Membership,
  PropsInput,
  PublishOptions,
  ServerSelector,
  ServerSpec,
} from './core/types';
import { clientInfoOf, serviceOf, subscriptionInfoOf, type ServerMsg } from './core/wire';
import { domainFilePath, domainsDir, watchDomainFile } from './domain-watcher';
import { ClientRuntime } from './runtime';
import { filterKey, matchesOf, membershipOf, servicesOf, SubscriptionGroups } from './views';

/** A service published by this client; it stays published on every server of the domain until unpublished. */
export interface PublishedService {
  /** The service id (63-bit): the one given in `PublishOptions.id`, else a random one. */
  readonly id: bigint;
  /** The current generation (incremented by `modify` and `setTtl`). */
  readonly generation: bigint;
  /** The current properties, as the servers have them (integers as `bigint`). */
  readonly props: ServiceProps;
  /** The current TTL in seconds. */
  readonly ttl: number;
  /** Replace the properties (a new generation); resolves when a server has it. */
  modify(props: PropsInput): Promise<void>;
  /** Change the TTL (a new generation); resolves when a server has it. */
  setTtl(ttl: number): Promise<void>;
  /** Unpublish everywhere; resolves when every connected server has answered. Later `modify`s reject with PafUnpublishedError. */
  unpublish(): Promise<void>;
}

/** A client attached to the servers of a domain. */
export interface RxpafClient {
  /** The client id used on every server. */
  readonly clientId: bigint;
  /**
   * Matches of `filter` (every service if omitted), merged across servers. Consumers of the same filter share one
   * server subscription; a late consumer first gets `appeared` for every service currently matching. A bad filter
   * errors with PafFilterError.
   */
  matches$(filter?: string): Observable<Match>;
  /**
   * The services currently matching `filter`, as a `ReadonlyMap` snapshot by id: the set known now first, then a
   * new map after every batch of changes (a map once emitted never changes). A new filter's first map may be empty
   * or partial: the protocol does not mark the end of a subscription's initial matches.
   */
  services$(filter?: string): Observable<ReadonlyMap<bigint, Service>>;
  /** Membership of the services matching `filter`; a `gone` service is reported once, then dropped. */
  membership$(filter?: string): Observable<ReadonlyMap<bigint, Membership>>;
  /** Link states: the current state of every server first, then every change. */
  readonly connections$: Observable<ConnectionState>;
  /**
   * Publish a service on every server of the domain (now and whenever a server (re)connects); resolves when the
   * first server has it (waiting for one to connect if need be). Argument errors reject with PafArgumentError, a
   * server's refusal with PafRequestError.
   */
  publish(props: PropsInput, opts?: PublishOptions): Promise<PublishedService>;
  /** Round trip of a `ping` in ms (on the first connected server, or the one selected). */
  ping(server?: ServerSelector): Promise<number>;
  /** The services of one server's domain, optionally filtered. */
  listServices(filter?: string, server?: ServerSelector): Promise<readonly Service[]>;
  /** The clients connected to one server's domain. */
  listClients(server?: ServerSelector): Promise<readonly ClientInfo[]>;
  /** The subscriptions of one server's domain. */
  listSubscriptions(server?: ServerSelector): Promise<readonly SubscriptionInfo[]>;
  /** Disconnect from every server (own services become orphans there); every observable completes. */
  close(): Promise<void>;
}

/** What rxpafc needs beyond the public API (raw transactions on one server). */
export interface ClientInternals {
  /** Every message of one transaction (accept, notify, complete); errors with PafRequestError on `fail`. */
  transact(cmd: Command, fields: Readonly<Record<string, unknown>>, server?: ServerSelector): Observable<ServerMsg>;
  /** Send a track query (v3) and resolve with the round trip in ms. */
  trackQuery(server?: ServerSelector): Promise<number>;
  /** Addresses of servers whose track queries were answered. */
  readonly serverQueries$: Observable<string>;
  /** The current state of every link. */
  connectionStates(): ConnectionState[];
}

const internals = new WeakMap<RxpafClient, ClientInternals>();

/** The internals of a client made by {@link createClient} (for rxpafc). */
export const clientInternals = (client: RxpafClient): ClientInternals => internals.get(client)!;

interface Handler {
  response?(msg: ServerMsg): void;
  resolve(fx: Extract<Effect, { type: 'resolve' }>): void;
  reject(error: PafError): void;
}

const checkTtl = (ttl: unknown): number => {
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 0)
    throw new PafArgumentError(`ttl must be a non-negative integer, got ${String(ttl)}`);
  return ttl;
};

const checkId = (what: string, v: unknown): bigint => {
  if (typeof v !== 'bigint' || v < 0n || v > INT63_MAX)
    throw new PafArgumentError(`${what} must be a bigint in 0 … 2^63−1, got ${String(v)}`);
  return v;
};

const checkServer = (server: unknown): ServerSelector | undefined => {
  if (server === undefined || typeof server === 'string') return server;
  if (typeof server === 'number' && Number.isInteger(server) && server >= 0) return server;
  throw new PafArgumentError(`server must be an index or an address, got ${messageOf(server)}`);
};

/** Run `f`, turning a synchronous throw into a rejection. */
const attempt = <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return f();
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what f threw, unchanged
    return Promise.reject(e);
  }
};

const stateOfLink = (l: ClientState['links'][number]): ConnectionState => {
  switch (l.phase) {
    case 'up':
      return { address: l.spec.address, state: 'connected', protocolVersion: l.wire!.version };
    case 'backoff':
      return l.error === undefined
        ? { address: l.spec.address, state: 'disconnected' }
        : { address: l.spec.address, state: 'disconnected', error: l.error };
    default:
      return { address: l.spec.address, state: 'connecting' };
  }
};

/**
 * Create a client and start connecting; `env` replaces the outside world (clock, timers, randomness, transport,
 * files) — tests pass a virtual one.
 */
export const startClient = (options: ClientOptions, env: ClientEnv): RxpafClient => {
  const opts = resolveOptions(options, env.env);
  const clientId = options.clientId === undefined ? env.randomId() : checkId('clientId', options.clientId);
  const explicit: ServerSpec[] = (options.addresses ?? []).map((a) => (typeof a === 'string' ? { address: a } : a));
  const seed = Math.floor(env.random() * 2 ** 32);
  const linkStates$ = new Subject<ConnectionState>();
  const serverQueries$ = new Subject<string>();
  const handlers = new Map<ReqId, Handler>();
  let nextReq = 1;
  let closed: PafClosedError | undefined;
  let onClosed: () => void = () => undefined;
  const closing = new Promise<void>((resolve) => (onClosed = resolve));

  const groups = new SubscriptionGroups(
    (key, filter) => runtime.dispatch({ type: 'subscribe', key, id: env.randomId(), filter }),
    (key) => runtime.dispatch({ type: 'unsubscribe', key }),
    () => closed,
  );

  const sink = (fx: Effect): void => {
    switch (fx.type) {
      case 'link':
        linkStates$.next(fx.state);
        return;
      case 'matches':
        groups.deliver(fx.key, fx.view, fx.changes);
        return;
      case 'sub-end':
        groups.end(fx.key, fx.error);
        return;
      case 'response':
        handlers.get(fx.req)?.response?.(fx.msg);
        return;
      case 'resolve': {
        const h = handlers.get(fx.req);
        handlers.delete(fx.req);
        h?.resolve(fx);
        return;
      }
      case 'reject': {
        const h = handlers.get(fx.req);
        handlers.delete(fx.req);
        h?.reject(fx.error);
        return;
      }
      case 'server-query':
        serverQueries$.next(fx.address);
        return;
      case 'closed':
        closed ??= new PafClosedError('client closed');
        groups.endAll();
        for (const h of handlers.values()) h.reject(closed);
        handlers.clear();
        linkStates$.complete();
        serverQueries$.complete();
        onClosed();
        return;
      default:
        return;
    }
  };

  /** The pipeline failed (a bug in the client): everything ends with a PafClosedError that carries the cause. */
  const failed = (e: unknown): void => {
    closed = new PafClosedError(`client failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    for (const key of groups.keys()) groups.end(key, closed);
    sink({ type: 'closed' });
  };

  const runtime = new ClientRuntime(
    initialState({ clientId, options: opts, servers: explicit, seed }),
    env,
    sink,
    failed,
  );
  const domain$ =
    options.domain === undefined
      ? from([[] as readonly ServerSpec[]])
      : watchDomainFile(
          domainFilePath(options.domain, domainsDir(options.domainsDir, env.env)),
          opts.rescanInterval,
          env,
        );
  runtime.start(domain$);

  /** Register a handler and dispatch the event that answers it. */
  const call = (handler: Handler, event: (req: ReqId) => Parameters<ClientRuntime['dispatch']>[0]): ReqId => {
    const req = nextReq++;
    if (closed !== undefined) {
      handler.reject(closed);
      return req;
    }
    handlers.set(req, handler);
    runtime.dispatch(event(req));
    return req;
  };

  const ask = (
    event: (req: ReqId) => Parameters<ClientRuntime['dispatch']>[0],
  ): Promise<Extract<Effect, { type: 'resolve' }>> =>
    new Promise((resolve, reject) => call({ resolve, reject }, event));

  const transact = (
    cmd: Command,
    fields: Readonly<Record<string, unknown>>,
    server?: ServerSelector,
  ): Observable<ServerMsg> =>
    new Observable<ServerMsg>((subscriber) => {
      let done = false;
      const req = call(
        {
          response: (m) => subscriber.next(m),
          resolve: (fx) => {
            done = true;
            if (fx.msg !== undefined) subscriber.next(fx.msg);
            subscriber.complete();
          },
          reject: (e) => {
            done = true;
            subscriber.error(e);
          },
        },
        (r) => ({ type: 'request', req: r, cmd, fields, server: checkServer(server) }),
      );
      return () => {
        if (done || !handlers.delete(req)) return;
        runtime.dispatch({ type: 'cancel', req });
      };
    });

  const collect = (
    cmd: Command,
    fields: Readonly<Record<string, unknown>>,
    server?: ServerSelector,
  ): Promise<ServerMsg[]> =>
    new Promise((resolve, reject) => {
      const notes: ServerMsg[] = [];
      call(
        {
          response: (m) => {
            if (m['msg-type'] === 'notify') notes.push(m);
          },
          resolve: () => resolve(notes),
          reject,
        },
        (req) => ({ type: 'request', req, cmd, fields, server: checkServer(server) }),
      );
    });

  /**
   * A published service's handle: one object per service, its methods on the prototype (a publisher of 100,000
   * services holds 100,000 of these), the public view of its props made when first read.
   */
  class OwnService implements PublishedService {
    #generation: bigint;
    #props: Props;
    #ttl: number;
    #view: ServiceProps | undefined = undefined;
    #unpublished = false;

    constructor(
      readonly id: bigint,
      generation: bigint,
      props: Props,
      ttl: number,
    ) {
      this.#generation = generation;
      this.#props = props;
      this.#ttl = ttl;
    }

    get generation(): bigint {
      return this.#generation;
    }

    get props(): ServiceProps {
      return (this.#view ??= fromWireProps(this.#props));
    }

    get ttl(): number {
      return this.#ttl;
    }

    modify(props: PropsInput): Promise<void> {
      return attempt(() => this.#update(toWireProps(props), this.#ttl));
    }

    setTtl(ttl: number): Promise<void> {
      return attempt(() => this.#update(this.#props, checkTtl(ttl)));
    }

    unpublish(): Promise<void> {
      if (this.#unpublished) return Promise.resolve();
      this.#unpublished = true;
      const id = this.id;
      return ask((req) => ({ type: 'unpublish', req, id })).then(() => undefined);
    }

    #update(props: Props, ttl: number): Promise<void> {
      const id = this.id;
      if (this.#unpublished)
        return Promise.reject(new PafUnpublishedError(`service 0x${id.toString(16)} is unpublished`));
      const generation = (this.#generation += 1n);
      this.#props = props;
      this.#ttl = ttl;
      this.#view = undefined;
      return ask((req) => ({ type: 'modify', req, id, generation, props, ttl })).then(() => undefined);
    }
  }

  const publish = (input: PropsInput, o: PublishOptions = {}): Promise<PublishedService> =>
    attempt(() => {
      const props = toWireProps(input);
      const ttl = o.ttl === undefined ? checkTtl(opts.ttl) : checkTtl(o.ttl);
      const id = o.id === undefined ? env.randomId() : checkId('id', o.id);
      const generation = o.generation === undefined ? 0n : checkId('generation', o.generation);
      return ask((req) => ({ type: 'publish', req, id, generation, props, ttl })).then(
        () => new OwnService(id, generation, props, ttl),
        (e: unknown) => {
          // a server refused it: it is not published (withdraw it from the other servers)
          if (e instanceof PafRequestError) void ask((req) => ({ type: 'unpublish', req, id })).catch(() => undefined);
          throw e;
        },
      );
    });

  const connectionStates = (): ConnectionState[] => runtime.state$.value.links.map(stateOfLink);

  const client: RxpafClient = {
    clientId,
    matches$: (filter) => matchesOf(groups.batches$(filter)),
    services$: (filter) => servicesOf(groups.batches$(filter)),
    membership$: (filter) => membershipOf(groups.batches$(filter)),
    connections$: defer(() => concat(from(closed === undefined ? connectionStates() : []), linkStates$)),
    publish,
    ping: (server) =>
      attempt(() =>
        ask((req) => ({ type: 'request', req, cmd: 'ping', fields: {}, server: checkServer(server) })),
      ).then((fx) => fx.rtt ?? 0),
    listServices: (filter, server) =>
      attempt(() => {
        filterKey(filter);
        return collect('services', filter === undefined ? {} : { filter }, server);
      }).then((notes) => notes.map(serviceOf)),
    listClients: (server) => attempt(() => collect('clients', {}, server)).then((notes) => notes.map(clientInfoOf)),
    listSubscriptions: (server) =>
      attempt(() => collect('subscriptions', {}, server)).then((notes) => notes.map(subscriptionInfoOf)),
    close: () => {
      if (closed === undefined) {
        closed = new PafClosedError('client closed');
        runtime.dispatch({ type: 'close' });
      }
      return closing;
    },
  };
  internals.set(client, {
    transact,
    trackQuery: (server) =>
      attempt(() => ask((req) => ({ type: 'track-query', req, server: checkServer(server) }))).then(
        (fx) => fx.rtt ?? 0,
      ),
    serverQueries$: serverQueries$.asObservable(),
    connectionStates,
  });
  return client;
};

/** Create a client; it starts connecting at once (to `addresses`, and to the servers of `domain`'s file). */
export const createClient = (options: ClientOptions = {}): RxpafClient => startClient(options, defaultEnv());

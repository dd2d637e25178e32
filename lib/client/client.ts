/**
 * `createClient`: attach to a domain (domain file, rescanned) or a list of servers, and keep services and
 * subscriptions in sync on all of them (§13). Results are RxJS observables.
 *
 * @example
 * const client = createClient({ addresses: ['tcp:127.0.0.1:4711'] });
 * const svc = client.publish({ name: 'printer', address: 'tcp:10.0.0.1:631' }, { ttl: 10 });
 * client.subscribe('(name=printer)').subscribe((m) => console.log(m.type, m.serviceId, m.props));
 * await svc.synced;
 * await client.close();
 */
import { Map as IMap } from 'immutable';
import { concat, defer, from, Observable, scan, startWith, Subject, Subscription } from 'rxjs';

import { domainFilePath, domainsDir, serverKey } from './domain-file';
import { watchDomainFile } from './domain-watcher';
import { PafConnectionError } from './errors';
import { Link, type LinkHooks } from './link';
import { resolveOptions } from './options';
import { Publisher, randomId63, type ServiceHandle } from './publisher';
import { listClients, listServices, listSubscriptions } from './requests';
import type { Session } from './session';
import { Subscriber } from './subscriber';
import type {
  ClientInfo,
  ClientOptions,
  ConnectionState,
  Match,
  Membership,
  PropsInput,
  ServerSpec,
  ServiceRecord,
  SubscriptionInfo,
} from './types';

/** Selects a server for one-shot requests: an index into the current server list or an address. */
export type ServerSelector = number | string;

/** A client attached to a set of Pathfinder servers. */
export interface PafClient {
  readonly clientId: bigint;
  /** Publish a service on every server; see {@link ServiceHandle}. */
  publish(props: PropsInput, opts?: { ttl?: number; id?: bigint; generation?: bigint }): ServiceHandle;
  /** Matches of a filter, merged across servers (§13.2). A bad filter errors with PafFilterError. */
  subscribe(filter?: string): Observable<Match>;
  /** The current set of matching services (an empty map first). */
  services$(filter?: string): Observable<IMap<bigint, ServiceRecord>>;
  /** Member state per service: online, orphan (owner lost), gone (an empty map first). */
  membership$(filter?: string): Observable<IMap<bigint, Membership>>;
  /** Connection state changes (the current state of every server first). */
  readonly connections$: Observable<ConnectionState>;
  /** The current state of every server. */
  connectionStates(): ConnectionState[];
  /** A connected session (waits up to `requestTimeout`); for tools that speak the protocol directly. */
  session(server?: ServerSelector): Promise<Session>;
  ping(server?: ServerSelector): Promise<number>;
  services(filter?: string, server?: ServerSelector): Promise<ServiceRecord[]>;
  clients(server?: ServerSelector): Promise<ClientInfo[]>;
  subscriptions(server?: ServerSelector): Promise<SubscriptionInfo[]>;
  /** Disconnect from every server (own services become orphans there) and complete every observable. */
  close(): Promise<void>;
}

/** Create a client; it starts connecting immediately. */
export const createClient = (options: ClientOptions = {}): PafClient => {
  const o = resolveOptions(options);
  const clientId = options.clientId ?? randomId63();
  const links = new Map<string, Link>();
  const changes = new Subject<ConnectionState>();
  const linkSubs = new Map<Link, Subscription>();
  const publisher = new Publisher(() => links.values(), o.ttl);
  const subscriber = new Subscriber(() => links.values());
  const hooks: LinkHooks = {
    up: (link, session) => {
      publisher.linkUp(link, session);
      subscriber.linkUp(link, session);
    },
    down: (link) => {
      publisher.linkDown(link);
      subscriber.linkDown(link);
    },
  };
  const linkOpts = { clientId, ...o, ttls: () => publisher.ttls() };
  const explicit: ServerSpec[] = (options.addresses ?? []).map((a) => (typeof a === 'string' ? { address: a } : a));
  let fromDomain: readonly ServerSpec[] = [];
  let closed = false;

  const setServers = (): void => {
    const wanted = new Map([...explicit, ...fromDomain].map((s) => [serverKey(s), s] as const));
    for (const [key, link] of links)
      if (!wanted.has(key)) {
        links.delete(key);
        link.stop();
        linkSubs.get(link)?.unsubscribe();
        linkSubs.delete(link);
      }
    for (const [key, spec] of wanted)
      if (!links.has(key)) {
        const link = new Link(spec, linkOpts, hooks);
        links.set(key, link);
        linkSubs.set(
          link,
          link.state$.subscribe((s) => changes.next(s)),
        );
        link.start();
      }
  };
  setServers();
  const watch =
    options.domain === undefined
      ? undefined
      : watchDomainFile(domainFilePath(options.domain, domainsDir(options.domainsDir)), o.rescanInterval).subscribe(
          (servers) => {
            fromDomain = servers;
            if (!closed) setServers();
          },
        );

  const pick = (server?: ServerSelector): Link | undefined => {
    const all = [...links.values()];
    if (typeof server === 'number') return all[server];
    if (typeof server === 'string') return all.find((l) => l.address === server);
    return all.find((l) => l.session !== undefined) ?? all[0];
  };
  const session = async (server?: ServerSelector): Promise<Session> => {
    const deadline = Date.now() + o.requestTimeout * 1000;
    for (;;) {
      if (closed) throw new PafConnectionError('client closed');
      const link = pick(server);
      if (link?.session) return link.session;
      if (Date.now() >= deadline) throw new PafConnectionError('no connected Pathfinder server');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const services$ = (filter?: string): Observable<IMap<bigint, ServiceRecord>> =>
    subscriber.subscribe(filter).pipe(
      scan((acc, m) => {
        if (m.type === 'disappeared') return acc.delete(m.serviceId);
        const { type: _type, ...record } = m;
        return acc.set(m.serviceId, record as ServiceRecord);
      }, IMap<bigint, ServiceRecord>()),
      startWith(IMap<bigint, ServiceRecord>()),
    );
  const membership$ = (filter?: string): Observable<IMap<bigint, Membership>> =>
    subscriber.subscribe(filter).pipe(
      scan(
        (acc, m) =>
          acc.set(m.serviceId, m.type === 'disappeared' ? 'gone' : m.orphanSince === undefined ? 'online' : 'orphan'),
        IMap<bigint, Membership>(),
      ),
      startWith(IMap<bigint, Membership>()),
    );
  const connectionStates = (): ConnectionState[] => [...links.values()].map((l) => l.state$.value);

  return {
    clientId,
    publish: (props, opts) => publisher.publish(props, opts),
    subscribe: (filter) => subscriber.subscribe(filter),
    services$,
    membership$,
    connections$: defer(() => concat(from(connectionStates()), changes)),
    connectionStates,
    session,
    ping: async (server) => (await session(server)).ping(),
    services: async (filter, server) => listServices(await session(server), filter),
    clients: async (server) => listClients(await session(server)),
    subscriptions: async (server) => listSubscriptions(await session(server)),
    close: async () => {
      if (closed) return;
      closed = true;
      watch?.unsubscribe();
      subscriber.completeAll();
      for (const link of links.values()) link.stop();
      for (const s of linkSubs.values()) s.unsubscribe();
      links.clear();
      changes.complete();
    },
  };
};

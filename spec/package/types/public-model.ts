/**
 * Type-level claims of the public model (issue 9, item 4), compiled by spec/package/types.spec.ts (strict, and also
 * by `npm run typecheck`). Every `@ts-expect-error` line MUST be an error (tsc reports an unused one as TS2578), and
 * every other line must compile: so this file fails to compile if `Match` or `ServiceChange` stop being discriminated
 * unions, if a field becomes mutable, or if one side (client, server, replay) gets its own shape of a service.
 * (The lines that must not compile are, by design, unsafe to the type-aware linter.)
 */
/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call */
import type { Observable } from 'rxjs';
import type {
  ClientInfo,
  ConnectionEvent,
  DomainSnapshot,
  Match,
  PropValue,
  PublishedService,
  ReplayInput,
  ReplaySent,
  ReplayStep,
  RxpafClient,
  RxpafServer,
  Service,
  ServiceChange,
  ServiceProps,
  ServerDomain,
  SubscriptionInfo,
  TlsFiles,
} from 'rxpaf';
import type * as Filter from 'rxpaf/filter';
import type * as Replay from 'rxpaf/replay';
import type { Match as ClientMatch, Service as ClientService, TlsFiles as ClientTlsFiles } from 'rxpaf/client';
import type { ServiceChange as ReplayChange, Service as ReplayService } from 'rxpaf/replay';
import type { Match as ServerMatch, Service as ServerService, TlsFiles as ServerTlsFiles } from 'rxpaf/server';

/** `true` only when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

// one service type on every side, with these field names and types
assertType<Equal<ClientService, Service>>();
assertType<Equal<ServerService, Service>>();
assertType<Equal<ReplayService, Service>>();
assertType<Equal<ClientMatch, Match>>();
assertType<Equal<ServerMatch, Match>>();
assertType<Equal<ReplayChange, ServiceChange>>();
assertType<Equal<Service['id'], bigint>>();
assertType<Equal<Service['generation'], bigint>>();
assertType<Equal<Service['clientId'], bigint>>();
assertType<Equal<Service['ttl'], number>>();
assertType<Equal<Service['props'], ServiceProps>>();
assertType<Equal<ServiceProps, Readonly<Record<string, readonly PropValue[]>>>>();
assertType<Equal<PropValue, string | bigint>>();
assertType<Equal<keyof Service, 'id' | 'generation' | 'props' | 'ttl' | 'clientId' | 'orphanSince'>>();
assertType<Equal<ClientInfo['clientId'], bigint>>();
assertType<Equal<ClientTlsFiles, TlsFiles>>();
assertType<Equal<ServerTlsFiles, TlsFiles>>();

// a connection is `connection` wherever the public API names one (the server's events, replay's inputs and
// messages), never `conn` (the event log's own field name stays internal)
type KeysOf<U> = U extends unknown ? keyof U : never;
type WithConnection<U> = U extends unknown ? ('connection' extends keyof U ? U : never) : never;
assertType<Equal<Extract<KeysOf<ConnectionEvent | ReplayInput | ReplaySent>, 'conn'>, never>>();
assertType<Equal<WithConnection<ConnectionEvent>, ConnectionEvent>>();
assertType<Equal<ReplaySent['connection'], number>>();
assertType<Equal<ConnectionEvent['connection'], number>>();
assertType<Equal<WithConnection<ReplayInput>['connection'], number>>();
assertType<Equal<Exclude<ReplayInput, WithConnection<ReplayInput>>['type'], 'tick' | 'work' | 'closing'>>();
assertType<Equal<Extract<ReplayInput, { type: 'closing' }>['connections'], readonly number[]>>();
assertType<Equal<SubscriptionInfo['id'], bigint>>();

// what each side emits is that model
assertType<Equal<ReturnType<RxpafClient['matches$']>, Observable<Match>>>();
assertType<Equal<ReturnType<RxpafClient['services$']>, Observable<ReadonlyMap<bigint, Service>>>>();
assertType<Equal<ReturnType<ServerDomain['matches$']>, Observable<Match>>>();
assertType<Equal<ReturnType<ServerDomain['services$']>, Observable<ReadonlyMap<bigint, Service>>>>();
assertType<Equal<ServerDomain['changes$'], Observable<ServiceChange>>>();
assertType<Equal<ReplayStep['changes'], readonly ServiceChange[]>>();
assertType<Equal<DomainSnapshot['services'], readonly Service[]>>();
assertType<Equal<Awaited<ReturnType<RxpafClient['listServices']>>, readonly Service[]>>();
assertType<Equal<Awaited<ReturnType<RxpafClient['listClients']>>, readonly ClientInfo[]>>();
assertType<Equal<Awaited<ReturnType<RxpafClient['listSubscriptions']>>, readonly SubscriptionInfo[]>>();

// Match is a discriminated union on `type`: narrowing works, and a switch over it is exhaustive
assertType<Equal<Match['type'], 'appeared' | 'modified' | 'disappeared'>>();
export const describeMatch = (m: Match): string => {
  switch (m.type) {
    case 'appeared':
      return `+${m.service.id} ${m.service.props.name?.[0] ?? ''}`;
    case 'modified':
      return `~${m.service.id} generation ${m.service.generation}`;
    case 'disappeared':
      return `-${m.service.id}`;
    default: {
      const unreachable: never = m;
      return unreachable;
    }
  }
};
export const notAMatchType = (m: Match): boolean =>
  // @ts-expect-error -- 'removed' is a ServiceChange type, never a Match type
  m.type === 'removed';
// @ts-expect-error -- a Match without its service does not exist
export const noService: Match = { type: 'appeared' };

// ServiceChange likewise: `previous` exists exactly on 'modified'
assertType<Equal<ServiceChange['type'], 'added' | 'modified' | 'removed'>>();
export const previousGeneration = (c: ServiceChange): bigint | undefined => {
  if (c.type === 'modified') return c.previous.generation;
  // @ts-expect-error -- only a modification has a previous record
  return c.previous.generation;
};
export const exhaustiveChange = (c: ServiceChange): number => {
  switch (c.type) {
    case 'added':
      return 1;
    case 'modified':
      return 0;
    case 'removed':
      return -1;
    default: {
      const unreachable: never = c;
      return unreachable;
    }
  }
};

// plain readonly objects and arrays
export const readonlyService = (s: Service, m: Match): void => {
  // @ts-expect-error -- readonly
  s.id = 1n;
  // @ts-expect-error -- readonly
  s.props = {};
  // @ts-expect-error -- readonly record
  s.props.name = ['x'];
  // @ts-expect-error -- readonly array
  s.props.name?.push('x');
  // @ts-expect-error -- readonly
  m.service = s;
};

// names a reader can predict (item 5): a member or function ends in `$` exactly when it is (or returns) an
// Observable; every other method returns a Promise, except the synchronous ones listed here
type Observed = Observable<unknown> | ((...args: never[]) => Observable<unknown>);
type Synchronous = 'snapshot' | 'start';
type Violations<T> = {
  [K in keyof T & string]: K extends `${string}$`
    ? T[K] extends Observed
      ? never
      : K
    : T[K] extends Observed
      ? K
      : T[K] extends (...args: never[]) => infer R
        ? R extends Promise<unknown>
          ? never
          : K extends Synchronous
            ? never
            : K
        : never;
}[keyof T & string];
assertType<Equal<Violations<RxpafClient>, never>>();
assertType<Equal<Violations<PublishedService>, never>>();
assertType<Equal<Violations<RxpafServer>, never>>();
assertType<Equal<Violations<ServerDomain>, never>>();
assertType<Equal<Violations<Pick<typeof Replay, 'replay$' | 'readLines$'>>, never>>();
// the check itself bites: a Promise-returning `$` method, an Observable without `$`, a synchronous verb
assertType<Equal<Violations<{ a$: () => Promise<void>; b: Observable<1>; c: () => number }>, 'a$' | 'b' | 'c'>>();
// the filter language is pure and synchronous: parse/print/match/escape return values, not Observables or Promises
assertType<Equal<ReturnType<typeof Filter.parseFilter>, Filter.Filter>>();
assertType<Equal<ReturnType<typeof Filter.printFilter>, string>>();
assertType<Equal<ReturnType<typeof Filter.matchFilter>, boolean>>();
assertType<Equal<ReturnType<typeof Filter.escapeFilterValue>, string>>();

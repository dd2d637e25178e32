/**
 * `rxpaf`: Pathfinder service discovery for Node.js as RxJS observables: the client (`createClient`), an in-process
 * server (`createServer`), event-log replay (`replay$`), the filter language, the public model and its errors.
 * The same names are available from the narrower entry points `rxpaf/client`, `rxpaf/server`, `rxpaf/replay` and
 * `rxpaf/filter`.
 *
 * @packageDocumentation
 * @module rxpaf
 *
 * @example
 * import { createClient, toJson } from 'rxpaf';
 * const client = createClient({ addresses: ['tcp:127.0.0.1:4711'] });
 * client.matches$('(name=db)').subscribe((m) => console.log(toJson(m)));
 */
export {
  createClient,
  type ClientOptions,
  type ConnectionState,
  type Membership,
  type PropInput,
  type PropsInput,
  type PublishedService,
  type PublishOptions,
  type RxpafClient,
  type ServerSelector,
  type ServerSpec,
} from './client';
export {
  createServer,
  type ConnectionEvent,
  type DomainSettingsOptions,
  type DomainSnapshot,
  type OutputLimits,
  type ResourceLimits,
  type RxpafServer,
  type ServerDomain,
  type ServerDomainOptions,
  type ServerOptions,
} from './server';
export {
  readLines$,
  replay$,
  type ReadOptions,
  type ReplayCounts,
  type ReplayInput,
  type ReplaySent,
  type ReplayStep,
} from './replay';
export { escapeFilterValue, matchFilter, parseFilter, printFilter, type Filter } from './filter';
export type {
  ClientInfo,
  Match,
  PropValue,
  Service,
  ServiceChange,
  ServiceProps,
  SubscriptionInfo,
  TlsFiles,
} from './model';
export {
  PafArgumentError,
  PafClosedError,
  PafConfigError,
  PafConnectionError,
  PafDomainError,
  PafError,
  PafFilterError,
  PafReplayError,
  PafRequestError,
  PafTimeoutError,
  PafTransportError,
  PafUnpublishedError,
  type PafErrorCode,
} from './errors';
export { toJson } from './json';

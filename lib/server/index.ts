/**
 * `rxpaf/server`: a Pathfinder server in your process. Its directory, changes and connections are observables in
 * the public model; `matches$`/`services$` have the client's types and semantics.
 *
 * @packageDocumentation
 * @module rxpaf/server
 *
 * @example
 * import { createServer } from 'rxpaf/server';
 * const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:4711' }] }] });
 * server.domains[0].changes$.subscribe((c) => console.log(c.type, c.service.id, c.service.props));
 */
export {
  createServer,
  type ConnectionEvent,
  type DomainSettingsOptions,
  type DomainSnapshot,
  type ResourceLimits,
  type RxpafServer,
  type ServerDomain,
  type ServerDomainOptions,
  type ServerOptions,
} from './public-domain';
export type { OutputLimits } from './output-limits';
export type {
  ClientInfo,
  Match,
  PropValue,
  Service,
  ServiceChange,
  ServiceProps,
  SubscriptionInfo,
  TlsFiles,
} from '../model';
export {
  PafConfigError,
  PafDomainError,
  PafError,
  PafFilterError,
  PafTransportError,
  type PafErrorCode,
} from '../errors';
export { toJson } from '../json';

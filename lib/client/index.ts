/**
 * `rxpaf/client`: the Pathfinder client library — discovery as RxJS observables across all servers of a domain
 * (matches merged, one server subscription per filter shared by its consumers), and publishing that keeps a
 * service on every server.
 *
 * @packageDocumentation
 * @module rxpaf/client
 *
 * @example
 * import { createClient } from 'rxpaf/client';
 * const client = createClient({ domain: 'default' });
 * client.services$('(name=db)').subscribe((all) => console.log(all.size, 'databases'));
 * const me = await client.publish({ name: 'db', address: 'tcp:10.0.0.1:5432' });
 */
export { createClient } from './client';
export type { PublishedService, RxpafClient } from './client';
export type {
  ClientOptions,
  ConnectionState,
  Membership,
  PropInput,
  PropsInput,
  PublishOptions,
  ServerSelector,
  ServerSpec,
} from './core/types';
export type { ClientInfo, Match, PropValue, Service, ServiceProps, SubscriptionInfo, TlsFiles } from '../model';
export {
  PafArgumentError,
  PafClosedError,
  PafConnectionError,
  PafError,
  PafFilterError,
  PafRequestError,
  PafTimeoutError,
  PafUnpublishedError,
  type PafErrorCode,
} from '../errors';
export { toJson } from '../json';

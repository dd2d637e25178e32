/**
 * The Pathfinder client library: discovery as RxJS observables across all servers of a domain.
 *
 * @example
 * import { createClient } from 'rxpaf/client';
 * const client = createClient({ domain: 'default' });
 * client.services$('(name=db)').subscribe((all) => console.log(all.size, 'databases'));
 */
export { createClient, type PafClient, type ServerSelector } from './client';
export { PafConnectionError, PafFilterError, PafRequestError } from './errors';
export type { ServiceHandle } from './publisher';
export { randomId63 } from './publisher';
export type { Session } from './session';
export { nextReconnectDelay, jitter } from './backoff';
export { parseDomainFile, domainsDir, domainFilePath } from './domain-file';
export { loadDomainServers, watchDomainFile } from './domain-watcher';
export { emptyMerge, mergeStep, nextMergeDeadline, type MergeInput, type MergeState } from './merge';
export { toWireProps, fromWireProps } from './props';
export type {
  ClientInfo,
  ClientOptions,
  ConnectionState,
  Match,
  Membership,
  PropInput,
  PropsInput,
  ServerSpec,
  ServiceProps,
  ServiceRecord,
  SubscriptionInfo,
} from './types';

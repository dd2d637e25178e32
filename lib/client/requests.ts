/**
 * One-shot requests on a single server (for tools such as rxpafc): listings converted to plain records.
 *
 * @example
 * const list = await listServices(session, '(name=foo)');
 * const who = await listClients(session);
 */
import type { Session } from './session';
import { checkFilter, recordOf } from './subscriber';
import type { ClientInfo, ServiceRecord, SubscriptionInfo } from './types';

/** `services` (§5.7): a snapshot of the domain's services, optionally filtered (validated locally first). */
export const listServices = async (session: Session, filter?: string): Promise<ServiceRecord[]> => {
  checkFilter(filter);
  const notes = await session.request('services', filter === undefined ? {} : { filter });
  return notes.map(recordOf);
};

/** `clients` (§5.11): every client connected to the server's domain. */
export const listClients = async (session: Session): Promise<ClientInfo[]> => {
  const notes = await session.request('clients');
  return notes.map((m) => {
    const c: { -readonly [K in keyof ClientInfo]: ClientInfo[K] } = {
      clientId: m['client-id'] as bigint,
      address: m['client-address'] as string,
      time: Number(m.time as bigint),
    };
    if (m.idle !== undefined) c.idle = m.idle as number;
    if (m.latency !== undefined) c.latency = m.latency as number;
    if (m['protocol-version'] !== undefined) c.protocolVersion = Number(m['protocol-version'] as bigint);
    return c;
  });
};

/** `subscriptions` (§5.6): every subscription of the server's domain. */
export const listSubscriptions = async (session: Session): Promise<SubscriptionInfo[]> => {
  const notes = await session.request('subscriptions');
  return notes.map((m) =>
    m.filter === undefined
      ? { subscriptionId: m['subscription-id'] as bigint, clientId: m['client-id'] as bigint }
      : {
          subscriptionId: m['subscription-id'] as bigint,
          clientId: m['client-id'] as bigint,
          filter: m.filter as string,
        },
  );
};

/**
 * The immutable state of one domain's service directory (§1, §7.1).
 *
 * Shape: a small root of plain fields (copied once per reducer call) and per-record objects replaced by patched
 * copies; every collection that grows with the directory
 * (connections, clients, records, services, the property index, subscriptions, the filter index, the deadline queues,
 * per-user counters)
 * is a persistent structure stored as an opaque value and replaced by reference, so one update costs
 * O(log n) instead of a copy of the collection (see ../shared/notes/immer-at-scale.md and `npm run bench:core`).
 * Those with one entry per service are lean ones of ours (../util/hamt.ts, ./ordered-ids.ts, ./ordered-by-id.ts: about
 * 40 bytes an entry where immutable.js takes about 200, issue 12 memory per service); the others are immutable.js.
 *
 * Times are seconds since the epoch as floats (µs precision); they only ever come in on events.
 */
import type { List as IList, Map as IMap, Set as ISet } from 'immutable';

import type { ClientMessage, ServerMessage } from '../codec/messages';

import type { Filter } from '../filter/ast';
import type { FilterIndex } from '../filter/filter-index';
import type { Props } from '../filter/props';
import type { Hamt } from '../util/hamt';
import type { Heap } from '../util/heap';
import type { OrderedById } from './ordered-by-id';
import type { OrderedIds } from './ordered-ids';
import type { OrderedSlots } from './ordered-slots';
import type { OrphanQueue } from './orphan-queue';
import type { ServiceIndex } from './service-index';
import type { SlotList } from './slot-list';
import type { TtlCounts } from './ttl-counts';

/** Connection ids are assigned by the shell when a transport accepts a connection. */
export type ConnId = number;
export type ClientId = bigint;
export type ServiceId = bigint;
export type SubscriptionId = bigint;
export type TransportKind = 'tcp' | 'tls' | 'ux' | 'uxf';

/** Per-domain settings the core needs (§8.1, §4.5, §10.3). */
export interface DomainSettings {
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly idleMin: number;
  readonly idleMax: number;
  /** Seconds a connection may stay without a successful hello (§8.5; we use 2.5 s, B8 fixed). */
  readonly handshakeTimeout: number;
  readonly limits: {
    readonly total: ResourceLimits;
    readonly user: ResourceLimits;
  };
}
export interface ResourceLimits {
  readonly clients?: number;
  readonly services?: number;
  readonly subscriptions?: number;
}
export type ResourceType = keyof ResourceLimits;
export interface ResourceCounts {
  readonly clients: number;
  readonly services: number;
  readonly subscriptions: number;
}

/** Idle state machine (§8.3). */
export type IdleState = 'active' | 'tentative' | 'timed-out';

/** An open multi-response or two-way transaction that outlives its request (§4.3). */
export type OpenTransaction =
  { readonly cmd: 'subscribe'; readonly subscriptionId: SubscriptionId } | { readonly cmd: 'track' };

/** A transport connection as the core sees it (§1 "Per accepted connection"). */
export interface Conn {
  readonly id: ConnId;
  readonly address: string;
  readonly user: string;
  readonly transport: TransportKind;
  readonly acceptedAt: number;
  /** Negotiated protocol version, set as soon as a hello negotiated one, even if registration then failed (§5.3). */
  readonly version: number | undefined;
  /** Client id named by the first hello on this connection (remembered even if that hello failed, §4.5). */
  readonly clientId: ClientId | undefined;
  readonly handshaked: boolean;
  /** Handshake-completion order, for `clients` listings (§9.1). */
  readonly handshakeSeq: number;
  /** Open transactions by ta-id (a lean trie: looked up by every request, thousands on a big subscriber). */
  readonly txs: Hamt<bigint, OpenTransaction>;
  readonly trackTaId: bigint | undefined;
  readonly queryOutstandingSince: number | undefined;
  readonly latency: number | undefined;
  readonly idle: IdleState;
  readonly lastSeen: number;
  /** When this connection's single timer fires: handshake deadline before hello, idle warning/timeout after. */
  readonly timerAt: number | undefined;
  /** Earliest entry this connection has in the timer queue (entries are never removed, only popped). */
  readonly queuedAt: number | undefined;
  /** The shell has stopped reading it while its output drains (back-pressure): not timed out meanwhile. */
  readonly outputBlocked?: true;
  /** Accepted while the domain was at its connection cap: unread, no deadline, until admitted (A4, §10.3). */
  readonly waiting?: true;
}

/** An sd-level connection record (§7.1): the services attached to one connection of a client. */
export interface SdRecord {
  readonly id: ConnId;
  readonly clientId: ClientId;
  readonly active: boolean;
  /** The attached services in attachment order (a lean persistent ordered set, ./ordered-ids.ts). */
  readonly services: OrderedIds;
  /** Multiset of the attached services' TTLs, for the TTL-based idle limit (§8.2) without a scan. */
  readonly ttls: TtlCounts;
  readonly disconnectedAt: number | undefined;
  /**
   * Sequence number taken when the record became inactive: subscriptions created before it (lower `seq`) are told
   * about the orphaning of its services; later ones already saw them as orphans (the orphaning is sliced, see Job).
   */
  readonly closeSeq: number | undefined;
}

/** A client (§7.1): alive while connected or while any of its records holds a service. */
export interface Client {
  readonly id: ClientId;
  readonly user: string;
  readonly active: ConnId | undefined;
  /** All records of the client (the active one and inactive ones holding orphans). */
  readonly records: readonly ConnId[];
}

/** A service and its current generation record (§7.1). */
export interface Service {
  readonly id: ServiceId;
  readonly generation: bigint;
  /** Stored compact (../filter/compact-props.ts: 64 bytes for up to three keys where a `Map` takes about 184). */
  readonly props: Props;
  readonly ttl: bigint;
  readonly orphanSince: number | undefined;
  readonly clientId: ClientId;
  readonly user: string;
  /** The sd record the service is attached to. */
  readonly record: ConnId;
  /**
   * Where in its record's list the service was attached (`OrderedIds.next` then): a hint that lets the record drop it
   * without a map from services to positions (./ordered-ids.ts). Not part of the service's value: absent in records
   * restored from a snapshot, and a stale one is harmless (the record checks it).
   */
  readonly slot?: number;
}

/** A subscription (§7.1, §7.10). */
export interface Subscription {
  readonly id: SubscriptionId;
  readonly filter: Filter | undefined;
  /** Canonical filter text (§6.6), for `subscriptions` listings. */
  readonly filterText: string | undefined;
  readonly clientId: ClientId;
  readonly user: string;
  readonly conn: ConnId;
  readonly taId: bigint;
  /** Creation order, the order notifications are sent in (§7.8). */
  readonly seq: number;
  /** Creation time: an orphan expiring at or before it was never listed to it, so it is not told of the expiry. */
  readonly createdAt: number;
}

/**
 * Work proportional to the directory, done in bounded slices across reducer calls (issue 12): pending jobs live in
 * the state, and the shell asks for the next slice with a `work` event. Listings walk a snapshot (the persistent
 * collection as it was at request time) with a position, so they are consistent however long they take.
 */
export type Job =
  | {
      /** Orphan the services of a record that became inactive (§7.5 step 4), in attachment order. */
      readonly kind: 'orphan';
      readonly record: ConnId;
      readonly ids: OrderedIds;
      readonly pos: number;
    }
  | {
      /** A `services` listing (§5.7) or the initial matches of a `subscribe` (§5.4). */
      readonly kind: 'services' | 'subscribe';
      readonly conn: ConnId;
      readonly taId: bigint;
      readonly filter: Filter | undefined;
      readonly snap: OrderedById<Service>;
      /** The records as they were, to see services whose orphaning is still pending as orphans. */
      readonly recs: IMap<ConnId, SdRecord>;
      /** Request time: orphans expired by then are not listed. */
      readonly at: number;
      /**
       * The candidates found through the service index at request time, in the directory's order: when present the
       * listing walks these (with `pos`) instead of every entry of `snap`.
       */
      readonly ids?: readonly ServiceId[];
      readonly pos: number;
    }
  | {
      /** A `subscriptions` listing (§5.6). */
      readonly kind: 'subscriptions';
      readonly conn: ConnId;
      readonly taId: bigint;
      readonly snap: OrderedSlots<Subscription>;
      /** The connections whose subscriptions were being removed at request time: theirs are not listed. */
      readonly gone: IMap<ConnId, number>;
      readonly pos: number;
    }
  | {
      /**
       * Remove the subscriptions of a closed connection that held many (§7.5 step 2) from the subscriptions map and
       * the filter index, newest first; meanwhile they are in `unsubscribing` and count as gone. The job walks the
       * map's positions as they were at the close (holes `undefined`; ./ordered-slots.ts) from the end, so the
       * close itself collects nothing.
       */
      readonly kind: 'unsubscribe';
      readonly conn: ConnId;
      readonly entries: SlotList<Subscription>;
      /** The entry positions below `pos` are left to visit (from `pos - 1` down). */
      readonly pos: number;
      /** How many of the connection's subscriptions the walk has still to meet (it stops at 0). */
      readonly left: number;
    };

/** A connection with a listing in progress: its later requests and every message to it wait (reply order, §4.3). */
export interface Held {
  readonly inbox: IList<ClientMessage>;
  readonly outbox: IList<ServerMessage>;
}

/** One domain's whole state. */
export interface DomainState {
  readonly settings: DomainSettings;
  /** Time of the last event processed. */
  readonly now: number;
  /** xorshift32 state for the idle-warning jitter (§8.3); seeded at creation so replays are exact. */
  readonly rng: number;
  /** Monotonic counter for subscription creation order, handshake order and heap tie-breaks. */
  readonly seq: number;
  readonly conns: IMap<ConnId, Conn>;
  readonly clients: IMap<ClientId, Client>;
  readonly records: IMap<ConnId, SdRecord>;
  /** In publication order (a lean persistent ordered map, ./ordered-by-id.ts). */
  readonly services: OrderedById<Service>;
  /** The services' properties indexed (key -> value -> ids), for the initial scan of a `subscribe`. */
  readonly serviceIndex: ServiceIndex;
  /** In creation order, at immutable.js `OrderedMap`'s positions (./ordered-slots.ts: jobs walk them). */
  readonly subscriptions: OrderedSlots<Subscription>;
  readonly subscriptionIndex: FilterIndex<Subscription>;
  /** Orphan expiry queue: (orphanSince + ttl, service id); stale entries are skipped when popped. */
  readonly orphanQueue: OrphanQueue;
  /** Connection timer queue: (timerAt, connection id); stale entries are skipped when popped. */
  readonly timerQueue: Heap<ConnId>;
  readonly used: ResourceCounts;
  readonly usedByUser: IMap<string, ResourceCounts>;
  /** Pending sliced work, oldest first. */
  readonly work: IList<Job>;
  /** Connections whose input and output wait for a listing to finish. */
  readonly held: IMap<ConnId, Held>;
  /** Connections waiting for a slot under the connection cap, oldest first (A4, §10.3); also in `conns` and `held`. */
  readonly waiting: IList<ConnId>;
  /**
   * Connections the shell saw close whose `closed` events are not folded yet (a wave of closes folded over several
   * event-loop turns, a `closing` event): no notification is built for their subscriptions meanwhile (issue 13). Each
   * leaves the set when its connection is dropped.
   */
  readonly closing: ISet<ConnId>;
  /**
   * Closed connections whose subscriptions are still being removed (an `unsubscribe` job), with how many of them are
   * left: those are gone for every purpose (not told, not listed, not counted, their ids free), only not yet out of
   * `subscriptions` and `subscriptionIndex` (issue 12: a subscriber of 10,000 filters closing holds no event long).
   */
  readonly unsubscribing: IMap<ConnId, number>;
}

/**
 * The client's state, as the pure reducer folds it: one record per server link (its phase, back-off and, while
 * connected, the protocol state of the connection), the client's own services, its subscriptions with their
 * merged matches, the one-shot requests in progress, and every deadline in one persistent heap. Collections that
 * grow with the directory are persistent maps (O(log n) per update); nothing here is mutated.
 *
 * @example
 * const s0 = initialState({ clientId: 7n, options: resolveOptions({}, {}), servers: [{ address: 'tcp:127.0.0.1:4711' }], seed: 1 });
 */
import { List as IList, Map as IMap } from 'immutable';

import type { Command } from '../../codec/messages';
import type { PafError } from '../../errors';
import type { Props } from '../../filter/props';
import { heapEmpty, type Heap } from '../../util/heap';
import { idIndexEmpty, type IdIndex } from './id-index';
import type { MergeMap } from './merge';
import type { ResolvedOptions } from './options';
import type { ServerSelector, ServerSpec } from './types';

/** A connection attempt, numbered by the core (each reconnect gets a new one). */
export type ConnId = number;
/** A request of the shell that the core answers (publish, modify, unpublish, one-shot requests). */
export type ReqId = number;
/**
 * An own service's number in the core, given when it is published: the maps of own services are keyed by it (a
 * small integer hashes for free; a bigint id would be hashed through its decimal string at every lookup).
 */
export type Ref = number;

/** Who a transaction belongs to. */
export type Owner =
  | { readonly kind: 'hello' }
  | { readonly kind: 'track' }
  | { readonly kind: 'publish'; readonly ref: Ref; readonly generation: bigint }
  | { readonly kind: 'unpublish'; readonly id: bigint; readonly ref: Ref; readonly req: ReqId | undefined }
  | { readonly kind: 'subscribe'; readonly key: string; readonly subId: bigint }
  | { readonly kind: 'unsubscribe' }
  | { readonly kind: 'request'; readonly req: ReqId };

/** One open transaction of a connection. */
export interface Tx {
  readonly cmd: Command;
  readonly owner: Owner;
  /** Counts against the in-flight bound until its first answer. */
  readonly bounded: boolean;
  readonly accepted: boolean;
  readonly answered: boolean;
}

/** A bounded transaction waiting for a free slot; the message is built when it is sent (with the data of then). */
export type Work =
  | { readonly kind: 'publish'; readonly ref: Ref }
  | { readonly kind: 'unpublish'; readonly id: bigint; readonly ref: Ref; readonly req: ReqId | undefined }
  | { readonly kind: 'subscribe'; readonly key: string }
  | { readonly kind: 'unsubscribe'; readonly subId: bigint };

/** The client side of a v3 `track` transaction. */
export interface Track {
  readonly ta: number;
  readonly accepted: boolean;
  /** When (ms) the last query was sent. */
  readonly lastProbe: number;
  /** The outstanding query: when it was sent and who waits for the reply. */
  readonly query: { readonly sentAt: number; readonly waiters: readonly ReqId[] } | undefined;
}

/** The protocol state of one connection, from the transport's connect on. */
export interface Wire {
  readonly conn: ConnId;
  readonly version: 2 | 3;
  readonly nextTa: number;
  readonly txs: IMap<number, Tx>;
  readonly inFlight: number;
  readonly queue: IList<Work>;
  /** Own services: the generation last sent on this connection (a queued publish of it again is skipped). */
  readonly sent: IMap<Ref, bigint>;
  /** Subscriptions open on this connection: key → ta-id. */
  readonly subs: IMap<string, number>;
  readonly track: Track | undefined;
  /** When (ms) the server was last heard from. */
  readonly lastActivity: number;
}

/** The link to one server. */
export interface Link {
  /** The identity of the server spec (address and options). */
  readonly key: string;
  readonly spec: ServerSpec;
  readonly phase: 'connecting' | 'handshaking' | 'up' | 'backoff';
  /** The current (or, in back-off, the last) connection. */
  readonly conn: ConnId;
  /** The last back-off delay (s); 0 after a successful hello. */
  readonly delay: number;
  readonly wire: Wire | undefined;
  /** Why the link last went down. */
  readonly error: PafError | undefined;
}

/** One of the client's own services. */
export interface OwnService {
  readonly id: bigint;
  readonly ref: Ref;
  readonly generation: bigint;
  readonly props: Props;
  readonly ttl: number;
  /** Publish/modify requests waiting until every connected server has this generation. */
  readonly waiters: ReadonlyArray<{ readonly req: ReqId; readonly generation: bigint }>;
}

/** One subscription of the client (shared by every consumer of the same filter). */
export interface Sub {
  readonly key: string;
  readonly id: bigint;
  readonly filter: string | undefined;
  readonly merge: MergeMap;
}

/** A one-shot request (raw transaction or track query). */
export interface Pending {
  readonly req: ReqId;
  readonly cmd: Command | 'track-query';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly server: ServerSelector | undefined;
  /** Where and when it was sent. */
  readonly sent: { readonly link: string; readonly conn: ConnId; readonly at: number } | undefined;
  /** A first answer arrived (the request timeout no longer applies). */
  readonly answered: boolean;
}

/**
 * Work on many services of one subscription, done a slice per step (a link that reported 100,000 services does
 * not hold the event loop) and continued on the next turn: marking a lost connection's reports lost, or expiring
 * lost reports whose TTL ran out (they usually come due together).
 */
export type Loss =
  | {
      readonly kind: 'lose';
      readonly key: string;
      readonly subId: bigint;
      readonly source: string;
      readonly conn: ConnId;
      /** When the link was lost (s). */
      readonly lostAt: number;
      readonly ids: readonly bigint[];
      /** How many of `ids` are done. */
      readonly next: number;
    }
  | {
      readonly kind: 'expire';
      readonly key: string;
      readonly subId: bigint;
      readonly source: string;
      readonly ids: readonly bigint[];
      readonly next: number;
    };

/** An unpublish waiting for the servers it was sent to. */
export interface Unpublishing {
  readonly links: readonly string[];
}

/** A deadline in the heap; stale ones are recognised and dropped when they come due. */
export type Deadline =
  | { readonly kind: 'greet'; readonly conn: ConnId }
  | { readonly kind: 'retry'; readonly link: string; readonly conn: ConnId }
  | { readonly kind: 'probe'; readonly conn: ConnId }
  | { readonly kind: 'reply'; readonly conn: ConnId; readonly sentAt: number }
  | { readonly kind: 'request'; readonly req: ReqId }
  /** Lost reports of these services, lost together, count no more. */
  | {
      readonly kind: 'expire';
      readonly key: string;
      readonly subId: bigint;
      readonly source: string;
      readonly ids: readonly bigint[];
    };

export interface ClientState {
  readonly clientId: bigint;
  readonly options: ResolvedOptions;
  /** Servers given explicitly; the domain file's come in `servers` events. */
  readonly explicit: readonly ServerSpec[];
  /** The random generator's state. */
  readonly rng: number;
  readonly nextConn: ConnId;
  /** Links in server order (explicit first, then the domain file's). */
  readonly links: readonly Link[];
  readonly services: IMap<Ref, OwnService>;
  /** The own services' ids → their refs. */
  readonly ids: IdIndex;
  /** The ref of the next own service. */
  readonly nextRef: Ref;
  /** TTL → number of own services with it (the lowest sets the max idle time). */
  readonly ttls: IMap<number, number>;
  readonly unpublishing: IMap<ReqId, Unpublishing>;
  readonly subs: IMap<string, Sub>;
  readonly requests: IMap<ReqId, Pending>;
  readonly deadlines: Heap<Deadline>;
  /** Lost connections' reports still to be processed, oldest first. */
  readonly losses: readonly Loss[];
  readonly closed: boolean;
}

/** What the client starts from; links to `servers` are opened by the first batch (see `reduceAll`). */
export interface InitialStateInput {
  readonly clientId: bigint;
  readonly options: ResolvedOptions;
  readonly servers: readonly ServerSpec[];
  /** Seed of the random generator (jitter). */
  readonly seed: number;
}

export const initialState = (i: InitialStateInput): ClientState => ({
  clientId: i.clientId,
  options: i.options,
  explicit: i.servers,
  rng: i.seed | 0,
  nextConn: 1,
  links: [],
  services: IMap(),
  ids: idIndexEmpty(),
  nextRef: 1,
  ttls: IMap(),
  unpublishing: IMap(),
  subs: IMap(),
  requests: IMap(),
  deadlines: heapEmpty(),
  losses: [],
  closed: false,
});

/** Errors the core hands to the shell are PafErrors. */
export type CoreError = PafError;

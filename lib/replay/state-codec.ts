/**
 * A domain's whole state as JSON (the `snapshot` lines of the event log, see ./event-codec.ts), exact to the bit:
 * a rotated log file starts from a snapshot, so replaying it alone continues exactly where the live server was.
 *
 * Every field of {@link DomainState} is stored; collections as arrays in their iteration order and rebuilt by
 * inserting in that order, so the order of the ordered collections (services, subscriptions, the services of a
 * record, the props of a service, a client's records) is the same after decoding. (The unordered immutable Maps come
 * back with the same entries, but their iteration order after later updates depends on their insertion history;
 * the reducer never depends on it.) Integers are exact (bigints
 * are written as integer literals, so the text must be written with `stringifyJson` and read with `parseJson`);
 * times are doubles written in their shortest round-trip form (non-finite values and -0 as strings). `undefined`
 * fields are `null`. The ordered collections (the services, each record's services, the subscriptions) also store
where their entries are: positions, holes and a compaction in progress (`servicesPlace`, `subscriptionsPlace`, a
record's `place`; absent when there are no holes), and each pending job the positions its walk still passes
(`passed`, `trailing`): the sliced jobs pay a budget unit for every position they pass, so a state rebuilt without
its holes ran them ahead of the live one (snapshots from before 7 December 2026 have none of this and are rebuilt
from position 0). Two derived structures are not stored but rebuilt: the filter index (each subscription's
 * canonical filter text is re-parsed, then `indexAdd`ed in creation order) and the two deadline heaps (their
 * entries `[at, seq, value]` in pop order, re-pushed with `heapPush`; the `seq`s are unique, so the pop order is the
 * same).
 *
 * @example
 * const text = stringifyJson(encodeDomainState(state));
 * const back = E.chain(decodeDomainState)(parseJson(text)); // right(a state that behaves exactly like `state`)
 */
import * as E from 'fp-ts/Either';
import { List, Map as IMap, Set as ISet } from 'immutable';
import * as t from 'io-ts';

import { decodeClientMessage } from '../codec/decode';
import { encodeMessage } from '../codec/encode';
import { parseJson, stringifyJson, type Json, type JsonObject } from '../codec/json';
import { outboundCodecs, type ClientMessage, type ServerMessage } from '../codec/messages';
import { printFilter } from '../filter/print';
import { effectiveService, unsubscribeRest } from '../state/work';
import { OrderedById } from '../state/ordered-by-id';
import { OrderedIds } from '../state/ordered-ids';
import { OrderedSlots } from '../state/ordered-slots';
import { type Placement } from '../state/placement';
import { type SlotLayout, SlotList } from '../state/slot-list';
import { ttlCountsEntries, ttlCountsOf } from '../state/ttl-counts';
import { type OrphanQueue, orphanQueueOf, orphanQueuePop } from '../state/orphan-queue';
import { serviceIndexOf } from '../state/service-index';
import type { Filter } from '../filter/ast';
import { compactProps } from '../filter/compact-props';
import { indexFrom } from '../filter/filter-index';
import { parseFilter } from '../filter/parse';
import type { PropValue } from '../filter/props';
import { hamtEmpty, hamtEntries, hamtSet } from '../util/hamt';
import { heapEmpty, heapPop, heapPush, type Heap } from '../util/heap';
import type {
  Client,
  ClientId,
  Conn,
  ConnId,
  DomainSettings,
  DomainState,
  Held,
  Job,
  OpenTransaction,
  ResourceCounts,
  ResourceLimits,
  SdRecord,
  Service,
  Subscription,
} from '../state/model';
import { Nat, natOf, Settings } from './log-codecs';

// ---------------------------------------------------------------------------------------------------------------
// encoding

/** A double: finite ones as JSON numbers (integral ones print as integer literals), the rest as strings. */
const float = (n: number): Json => (Number.isFinite(n) && !Object.is(n, -0) ? n : Object.is(n, -0) ? '-0' : String(n));
const optFloat = (n: number | undefined): Json => (n === undefined ? null : float(n));
const opt = <A extends Json>(a: A | undefined): Json => (a === undefined ? null : a);

const limitsJson = (l: ResourceLimits): JsonObject => {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(l) as Array<keyof ResourceLimits>) if (l[k] !== undefined) out[k] = l[k]!;
  return out;
};
const settingsJson = (s: DomainSettings): JsonObject => ({
  protocolMin: s.protocolMin,
  protocolMax: s.protocolMax,
  idleMin: s.idleMin,
  idleMax: s.idleMax,
  handshakeTimeout: s.handshakeTimeout,
  limits: { total: limitsJson(s.limits.total), user: limitsJson(s.limits.user) },
});
const countsJson = (c: ResourceCounts): JsonObject => ({
  clients: c.clients,
  services: c.services,
  subscriptions: c.subscriptions,
});
const txJson = (tx: OpenTransaction): JsonObject =>
  tx.cmd === 'subscribe' ? { cmd: 'subscribe', subscriptionId: tx.subscriptionId } : { cmd: 'track' };

const connJson = (c: Conn): { readonly [K in keyof Conn]: Json } => ({
  id: c.id,
  address: c.address,
  user: c.user,
  transport: c.transport,
  acceptedAt: float(c.acceptedAt),
  version: opt(c.version),
  clientId: opt(c.clientId),
  handshaked: c.handshaked,
  handshakeSeq: c.handshakeSeq,
  txs: hamtEntries(c.txs).map(([ta, tx]) => [ta, txJson(tx)]),
  trackTaId: opt(c.trackTaId),
  queryOutstandingSince: optFloat(c.queryOutstandingSince),
  latency: optFloat(c.latency),
  idle: c.idle,
  lastSeen: float(c.lastSeen),
  timerAt: optFloat(c.timerAt),
  queuedAt: optFloat(c.queuedAt),
  ...(c.outputBlocked === true ? { outputBlocked: true } : {}),
  ...(c.waiting === true ? { waiting: true } : {}),
});
const clientJson = (c: Client): { readonly [K in keyof Client]: Json } => ({
  id: c.id,
  user: c.user,
  active: opt(c.active),
  records: [...c.records],
});
/**
 * A list's layout as `{start, end, jumps}`: `jumps` holds `[i, position]` for each entry not one past the previous
 * one (the first: not at `start`), so a list without holes is a few numbers.
 */
const layoutJson = (l: SlotLayout): JsonObject => {
  const jumps: Json[] = [];
  let prev = l.start - 1;
  l.positions.forEach((p, i) => {
    if (p !== prev + 1) jumps.push([i, p]);
    prev = p;
  });
  return { start: l.start, end: l.end, jumps };
};
/** Where an ordered collection's entries are ({@link placementFrom} reads it back). */
const placementJson = (p: Placement): JsonObject => ({
  ...layoutJson(p.list),
  ...(p.moving !== undefined ? { moving: { cursor: p.moving.cursor, ...layoutJson(p.moving.next) } } : {}),
});
/** Whether `p` is what a collection of `n` entries rebuilt from position 0 has (nothing to store). */
const plain = (p: Placement, n: number): boolean =>
  p.moving === undefined && p.list.start === 0 && p.list.end === n && (n === 0 || p.list.positions[n - 1] === n - 1);

const recordJson = (r: SdRecord): { readonly [K in keyof SdRecord]: Json } & { place?: Json } => {
  const place = r.services.placement();
  return {
    id: r.id,
    clientId: r.clientId,
    active: r.active,
    services: [...r.services],
    ttls: ttlCountsEntries(r.ttls),
    disconnectedAt: optFloat(r.disconnectedAt),
    closeSeq: opt(r.closeSeq),
    ...(plain(place, r.services.size) ? {} : { place: placementJson(place) }),
  };
};

/**
 * What a walk from `from` to `end` over `at` (a position's entry, `undefined` for a hole) meets: the entries `keep`
 * takes, and for each the positions passed before it (holes, entries not kept), then those passed after the last.
 */
const walkRest = <T, R>(
  from: number,
  end: number,
  at: (pos: number) => T | undefined,
  keep: (t: T) => R | undefined,
): { rest: R[]; passed: number[]; trailing: number } => {
  const rest: R[] = [];
  const passed: number[] = [];
  let n = 0;
  for (let p = from; p < end; p++) {
    const v = at(p);
    const r = v === undefined ? undefined : keep(v);
    if (r === undefined) n++;
    else {
      rest.push(r);
      passed.push(n);
      n = 0;
    }
  }
  return { rest, passed, trailing: n };
};
const serviceJson = (s: Service): { readonly [K in keyof Service]: Json } => ({
  id: s.id,
  generation: s.generation,
  props: [...s.props].map(([k, vs]) => [k, [...vs]]),
  ttl: s.ttl,
  orphanSince: optFloat(s.orphanSince),
  clientId: s.clientId,
  user: s.user,
  record: s.record,
});
/** The parsed filter is not stored: it is re-parsed from its canonical text. */
const subscriptionJson = (s: Subscription): { readonly [K in Exclude<keyof Subscription, 'filter'>]: Json } => ({
  id: s.id,
  filterText: opt(s.filterText),
  clientId: s.clientId,
  user: s.user,
  conn: s.conn,
  taId: s.taId,
  seq: s.seq,
  createdAt: float(s.createdAt),
});

/**
 * A pending job: what it has left to walk, materialised. A listing's services are stored as the listing will show
 * them (orphans whose orphaning is pending resolved, overdue ones left out), so no record snapshot is needed.
 */
const jobJson = (j: Job): Json => {
  switch (j.kind) {
    case 'orphan': {
      // the positions the walk has left, holes included (each costs a unit of the slice budget)
      const w = walkRest(
        Math.max(j.pos, j.ids.firstSlot),
        j.ids.slots,
        (p) => j.ids.slot(p),
        (id) => id,
      );
      return { kind: j.kind, record: j.record, ids: w.rest, passed: w.passed, trailing: w.trailing };
    }
    case 'services':
    case 'subscribe': {
      const effective = (s: Service): Json | undefined => {
        const e = effectiveService(j.recs, s, j.at);
        return e === undefined ? undefined : serviceJson(e);
      };
      const ids = j.ids;
      const w =
        ids !== undefined
          ? walkRest(j.pos, ids.length, (i) => j.snap.get(ids[i]!), effective)
          : walkRest(Math.max(j.pos, j.snap.firstSlot), j.snap.slots, (p) => j.snap.slot(p), effective);
      return {
        kind: j.kind,
        conn: j.conn,
        taId: j.taId,
        filter: j.filter === undefined ? null : printFilter(j.filter),
        at: float(j.at),
        rest: w.rest,
        passed: w.passed,
        trailing: w.trailing,
      };
    }
    case 'subscriptions': {
      const w = walkRest(
        j.pos,
        j.snap.slots,
        (p) => j.snap.slot(p),
        (sub) => (j.gone.has(sub.conn) ? undefined : subscriptionJson(sub)),
      );
      return { kind: j.kind, conn: j.conn, taId: j.taId, rest: w.rest, passed: w.passed, trailing: w.trailing };
    }
    case 'unsubscribe': {
      const rest = unsubscribeRest(j);
      return {
        kind: j.kind,
        conn: j.conn,
        rest: rest.map(([sub]) => subscriptionJson(sub)),
        passed: rest.map(([, passed]) => passed),
      };
    }
  }
};
const messageJson = (m: object): Json => E.getOrElse<string, Json>(() => null)(parseJson(encodeMessage(m)));
const heldJson = ([conn, h]: readonly [ConnId, Held]): Json => [
  conn,
  h.inbox.toArray().map(messageJson),
  h.outbox.toArray().map(messageJson),
];

/** The entries of a heap in pop order (by `at`, then `seq`). */
export const heapEntries = <T>(h: Heap<T>): Array<readonly [number, number, T]> => {
  const out: Array<readonly [number, number, T]> = [];
  const stack: Array<Heap<T>> = [h];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n === null) continue;
    out.push([n.at, n.seq, n.value]);
    stack.push(n.left, n.right);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
};

/**
 * A collection of the state encoded element by element, so a snapshot can be written in slices across event-loop
 * turns (./snapshot-slices.ts): the state is immutable, so its collections can be walked later.
 */
export interface LazyList {
  readonly lazy: true;
  /** The encoded elements, in the order {@link encodeDomainState} writes them. */
  readonly items: () => Iterator<Json>;
}
const lazy = <T>(items: () => Iterator<T>, f: (t: T) => Json): LazyList => ({
  lazy: true,
  items: function* () {
    const it = items();
    for (let r = it.next(); r.done !== true; r = it.next()) yield f(r.value);
  },
});
/** A heap's entries `[at, seq, value]` in pop order, popped one at a time (O(log n) each, no sort of the lot). */
const heapList = <T extends Json>(h: Heap<T>): LazyList => ({
  lazy: true,
  items: function* () {
    for (let n = h; n !== null; n = heapPop(n)) yield [float(n.at), n.seq, n.value];
  },
});

/** The orphan queue's entries `[at, seq, value]` in pop order, popped one at a time (as {@link heapList}). */
const orphanQueueList = (q: OrphanQueue): LazyList => ({
  lazy: true,
  items: function* () {
    for (let n = q; n.first !== undefined; n = orphanQueuePop(n)) yield [float(n.first.at), n.first.seq, n.first.value];
  },
});

/**
 * The fields of {@link encodeDomainState}, with every collection that grows with the directory as a {@link LazyList}.
 * The indexes are rebuilt when decoded, `unsubscribing` from the `unsubscribe` jobs.
 */
export type DomainStateParts = {
  readonly [K in Exclude<keyof DomainState, 'subscriptionIndex' | 'serviceIndex' | 'unsubscribing'>]: Json | LazyList;
} & {
  /**
   * Where the services and the subscriptions are (their positions, holes, a compaction in progress): a list of one
   * {@link placementJson}, computed when the snapshot's writing reaches it; absent in snapshots from before
   * 7 December 2026 (rebuilt from position 0 then).
   */
  readonly servicesPlace: LazyList;
  readonly subscriptionsPlace: LazyList;
};

/** A list of one element, `f()`, computed when it is walked. */
const later = (f: () => Json): LazyList => ({
  lazy: true,
  items: function* () {
    yield f();
  },
});

/** The parts of a domain's JSON form; small fields are encoded now, the collections when they are walked. */
export const domainStateParts = (s: DomainState): DomainStateParts => ({
  settings: settingsJson(s.settings),
  now: float(s.now),
  rng: s.rng,
  seq: s.seq,
  conns: lazy(() => s.conns.values(), connJson),
  clients: lazy(() => s.clients.values(), clientJson),
  records: lazy(() => s.records.values(), recordJson),
  services: lazy(() => s.services.values(), serviceJson),
  servicesPlace: later(() => placementJson(s.services.placement())),
  subscriptions: lazy(() => s.subscriptions.values(), subscriptionJson),
  subscriptionsPlace: later(() => placementJson(s.subscriptions.placement())),
  orphanQueue: orphanQueueList(s.orphanQueue),
  timerQueue: heapList(s.timerQueue),
  used: countsJson(s.used),
  usedByUser: lazy(
    () => s.usedByUser.entries(),
    ([u, c]) => [u, countsJson(c)],
  ),
  work: lazy(() => s.work.values(), jobJson),
  held: lazy(() => s.held.entries(), heldJson),
  waiting: lazy(
    () => s.waiting.values(),
    (id) => id,
  ),
  closing: lazy(
    () => s.closing.values(),
    (id) => id,
  ),
});

export const isLazyList = (v: Json | LazyList): v is LazyList =>
  typeof v === 'object' && v !== null && (v as Partial<LazyList>).lazy === true;

/** The JSON form of a domain's state (write it with `stringifyJson`, which keeps bigints exact). */
export const encodeDomainState = (s: DomainState): JsonObject => {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(domainStateParts(s))) {
    if (!isLazyList(v)) out[k] = v;
    else {
      const xs: Json[] = [];
      const it = v.items();
      for (let r = it.next(); r.done !== true; r = it.next()) xs.push(r.value);
      out[k] = xs;
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------------------------
// decoding

const SPECIAL: Readonly<Record<string, number>> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN, '-0': -0 };
/** `u` as {@link Float} decodes it, or `undefined`. */
const floatOf = (u: unknown): number | undefined =>
  typeof u === 'number'
    ? u
    : typeof u === 'bigint'
      ? Number(u)
      : typeof u === 'string' && Object.prototype.hasOwnProperty.call(SPECIAL, u)
        ? SPECIAL[u]!
        : undefined;
/** A double as {@link float} writes it (integral values arrive from `parseJson` as bigints). */
const Float = new t.Type<number, Json, unknown>(
  'float',
  (u): u is number => typeof u === 'number',
  (u, c) => {
    const f = floatOf(u);
    return f === undefined ? t.failure(u, c) : t.success(f);
  },
  float,
);
const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null]);
const und = <A>(a: A | null): A | undefined => (a === null ? undefined : a);

/**
 * `t.array(codec)` with a fast path for the arrays as long as the directory (a snapshot of 100,000 services spent
 * about half its decoding in io-ts, an `Either` per field): `each` gives an element as `codec` decodes it, or
 * `undefined` when it is not plainly valid; then the whole array is decoded by io-ts (the same result, its errors).
 */
const fastArray = <C extends t.Mixed>(codec: C, each: (u: unknown) => t.TypeOf<C> | undefined) => {
  const slow = t.array(codec);
  return new t.Type<Array<t.TypeOf<C>>, Array<t.OutputOf<C>>, unknown>(
    slow.name,
    slow.is,
    (u, c) => {
      if (Array.isArray(u)) {
        const out = new Array<t.TypeOf<C>>(u.length);
        let i = 0;
        for (; i < u.length; i++) {
          const x = each(u[i]);
          if (x === undefined) break;
          out[i] = x;
        }
        if (i === u.length) return t.success(out);
      }
      return slow.validate(u, c);
    },
    slow.encode,
  );
};
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
/** Props as {@link ServiceJ} takes them: `[key, [string or bigint, ...]]` pairs. */
const plainProps = (u: unknown): boolean => {
  if (!Array.isArray(u)) return false;
  for (const p of u) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !Array.isArray(p[1])) return false;
    for (const v of p[1] as unknown[]) if (typeof v !== 'string' && typeof v !== 'bigint') return false;
  }
  return true;
};

const Counts = t.type({ clients: Nat, services: Nat, subscriptions: Nat });
const Tx = t.union([
  t.type({ cmd: t.literal('subscribe'), subscriptionId: t.bigint }),
  t.type({ cmd: t.literal('track') }),
]);
const ConnJ = t.type({
  id: Nat,
  address: t.string,
  user: t.string,
  transport: t.keyof({ tcp: null, tls: null, ux: null, uxf: null }),
  acceptedAt: Float,
  version: nullable(Nat),
  clientId: nullable(t.bigint),
  handshaked: t.boolean,
  handshakeSeq: Nat,
  txs: t.array(t.tuple([t.bigint, Tx])),
  trackTaId: nullable(t.bigint),
  queryOutstandingSince: nullable(Float),
  latency: nullable(Float),
  idle: t.keyof({ active: null, tentative: null, 'timed-out': null }),
  lastSeen: Float,
  timerAt: nullable(Float),
  queuedAt: nullable(Float),
  outputBlocked: t.union([t.literal(true), t.undefined]),
  waiting: t.union([t.literal(true), t.undefined]),
});
const ClientJ = t.type({ id: t.bigint, user: t.string, active: nullable(Nat), records: t.array(Nat) });
const LayoutJ = t.type({ start: Nat, end: Nat, jumps: t.array(t.tuple([Nat, Nat])) });
const PlaceJ = t.intersection([LayoutJ, t.partial({ moving: t.intersection([t.type({ cursor: Nat }), LayoutJ]) })]);
/** Absent: the entries at positions from 0 (snapshots from before 7 December 2026, or a list without holes). */
const OptPlaceJ = t.union([PlaceJ, t.undefined]);
const RecordJ = t.type({
  id: Nat,
  clientId: t.bigint,
  active: t.boolean,
  services: fastArray(t.bigint, (u) => (typeof u === 'bigint' ? u : undefined)),
  ttls: t.array(t.tuple([t.bigint, Nat])),
  disconnectedAt: nullable(Float),
  closeSeq: nullable(Nat),
  place: OptPlaceJ,
});
const ServiceJ = t.type({
  id: t.bigint,
  generation: t.bigint,
  props: t.array(t.tuple([t.string, t.array(t.union([t.string, t.bigint]))])),
  ttl: t.bigint,
  orphanSince: nullable(Float),
  clientId: t.bigint,
  user: t.string,
  record: Nat,
});
const ServicesJ = fastArray(ServiceJ, (u) => {
  if (!isObject(u)) return undefined;
  const record = natOf(u.record);
  const orphanSince = u.orphanSince === null ? null : floatOf(u.orphanSince);
  return typeof u.id === 'bigint' &&
    typeof u.generation === 'bigint' &&
    typeof u.ttl === 'bigint' &&
    typeof u.clientId === 'bigint' &&
    typeof u.user === 'string' &&
    record !== undefined &&
    orphanSince !== undefined &&
    plainProps(u.props)
    ? ({ ...u, record, orphanSince } as t.TypeOf<typeof ServiceJ>)
    : undefined;
});
/** @internal For the spec: the services' codec and the plain io-ts one it must agree with. */
export const servicesCodecs = { fast: ServicesJ, plain: t.array(ServiceJ) };
const SubscriptionJ = t.type({
  id: t.bigint,
  filterText: nullable(t.string),
  clientId: t.bigint,
  user: t.string,
  conn: Nat,
  taId: t.bigint,
  seq: Nat,
  createdAt: Float,
});
/**
 * A walk's positions left (absent in snapshots from before 7 December 2026: none but the entries): `passed[i]`, the
 * positions it passes before `rest[i]` (holes, entries it skips), `trailing` those after the last.
 */
const Walk = t.partial({ passed: t.array(Nat), trailing: Nat });
const JobJ = t.union([
  t.intersection([t.type({ kind: t.literal('orphan'), record: Nat, ids: t.array(t.bigint) }), Walk]),
  t.intersection([
    t.type({
      kind: t.keyof({ services: null, subscribe: null }),
      conn: Nat,
      taId: t.bigint,
      filter: nullable(t.string),
      at: Float,
      rest: ServicesJ,
    }),
    Walk,
  ]),
  t.intersection([
    t.type({ kind: t.literal('subscriptions'), conn: Nat, taId: t.bigint, rest: t.array(SubscriptionJ) }),
    Walk,
  ]),
  /** `passed[i]`: the positions the walk passes before `rest[i]` (others' subscriptions, holes) */
  t.type({ kind: t.literal('unsubscribe'), conn: Nat, rest: t.array(SubscriptionJ), passed: t.array(Nat) }),
]);
const HeldJ = t.tuple([Nat, t.array(t.unknown), t.array(t.unknown)]);
const StateJ = t.type({
  settings: Settings,
  now: Float,
  rng: Nat,
  seq: Nat,
  conns: t.array(ConnJ),
  clients: t.array(ClientJ),
  records: t.array(RecordJ),
  services: ServicesJ,
  subscriptions: t.array(SubscriptionJ),
  orphanQueue: fastArray(t.tuple([Float, Nat, t.bigint]), (u) => {
    if (!Array.isArray(u) || u.length !== 3 || typeof u[2] !== 'bigint') return undefined;
    const at = floatOf(u[0]);
    const seq = natOf(u[1]);
    return at !== undefined && seq !== undefined ? ([at, seq, u[2]] as [number, number, bigint]) : undefined;
  }),
  timerQueue: t.array(t.tuple([Float, Nat, Nat])),
  used: Counts,
  usedByUser: t.array(t.tuple([t.string, Counts])),
  work: t.array(JobJ),
  held: t.array(HeldJ),
  /** absent in snapshots from before connections waited under the cap (A4): none waited */
  waiting: t.union([t.array(Nat), t.undefined]),
  /** absent in snapshots from before `closing` events (event-log version 7): none was closing */
  closing: t.union([t.array(Nat), t.undefined]),
  /** absent in snapshots from before 7 December 2026: the services and subscriptions at positions from 0 */
  servicesPlace: t.union([t.array(PlaceJ), t.undefined]),
  subscriptionsPlace: t.union([t.array(PlaceJ), t.undefined]),
});

const describe = (errors: t.Errors): string => {
  const e = errors[errors.length - 1];
  if (e === undefined) return 'invalid state snapshot';
  const path = e.context
    .map((c) => c.key)
    .filter((k) => k !== '')
    .join('.');
  return `invalid state snapshot at '${path}'${e.message !== undefined ? `: ${e.message}` : ''}`;
};

const limits = (l: ResourceLimits): ResourceLimits => {
  const out: { -readonly [K in keyof ResourceLimits]: number } = {};
  for (const k of Object.keys(l) as Array<keyof ResourceLimits>) if (l[k] !== undefined) out[k] = l[k];
  return out;
};
const counts = (c: t.TypeOf<typeof Counts>): ResourceCounts => ({
  clients: c.clients,
  services: c.services,
  subscriptions: c.subscriptions,
});
const tx = (x: t.TypeOf<typeof Tx>): OpenTransaction =>
  x.cmd === 'subscribe' ? { cmd: 'subscribe', subscriptionId: x.subscriptionId } : { cmd: 'track' };
const service = (s: t.TypeOf<typeof ServiceJ>): Service => ({
  id: s.id,
  generation: s.generation,
  props: compactProps(new Map<string, readonly PropValue[]>(s.props.map(([k, vs]) => [k, [...vs]]))),
  ttl: s.ttl,
  orphanSince: und(s.orphanSince),
  clientId: s.clientId,
  user: s.user,
  record: s.record,
});
const filterOf = (text: string | null, what: string): Filter | undefined => {
  if (text === null) return undefined;
  const p = parseFilter(text);
  if (E.isLeft(p)) throw new Invalid(`${what}: invalid filter: ${p.left.reason}`);
  return p.right;
};
const subscription = (s: t.TypeOf<typeof SubscriptionJ>): Subscription => ({
  id: s.id,
  filter: filterOf(s.filterText, `subscription ${s.id}`),
  filterText: und(s.filterText),
  clientId: s.clientId,
  user: s.user,
  conn: s.conn,
  taId: s.taId,
  seq: s.seq,
  createdAt: s.createdAt,
});
/**
 * A job decoded (`subscriptions`: the map decoded; an `unsubscribe` job removes the very subscriptions the map holds,
 * and those of its connection a new subscription with the same id replaced meanwhile as they were).
 */
const job = (x: t.TypeOf<typeof JobJ>, subscriptions: OrderedSlots<Subscription>): Job => {
  switch (x.kind) {
    case 'orphan': {
      const place = walkLayout(x.ids.length, x.passed, x.trailing, 'orphan job');
      return {
        kind: 'orphan',
        record: x.record,
        ids: fitted('orphan job', () => OrderedIds.placed(x.ids, place)),
        pos: 0,
      };
    }
    case 'subscriptions': {
      const place = walkLayout(x.rest.length, x.passed, x.trailing, 'subscriptions job');
      return {
        kind: 'subscriptions',
        conn: x.conn,
        taId: x.taId,
        snap: fitted('subscriptions job', () => OrderedSlots.placed(x.rest.map(subscription), place)),
        gone: IMap<ConnId, number>(),
        pos: 0,
      };
    }
    case 'unsubscribe': {
      if (x.passed.length !== x.rest.length) throw new Invalid('unsubscribe job: one passed count per subscription');
      // the positions bottom up: the oldest subscription first, each followed by the positions passed before it
      const list: Array<Subscription | undefined> = [];
      for (let i = x.rest.length - 1; i >= 0; i--) {
        const s = x.rest[i]!;
        const held = subscriptions.get(s.id);
        list.push(held !== undefined && held.conn === s.conn && held.seq === s.seq ? held : subscription(s));
        for (let k = 0; k < x.passed[i]!; k++) list.push(undefined);
      }
      const entries = SlotList.of(list) as SlotList<Subscription>;
      return { kind: 'unsubscribe', conn: x.conn, entries, pos: list.length, left: x.rest.length };
    }
    default:
      return {
        kind: x.kind,
        conn: x.conn,
        taId: x.taId,
        filter: filterOf(x.filter, 'listing'),
        snap: fitted('listing job', () =>
          OrderedById.placed(x.rest.map(service), walkLayout(x.rest.length, x.passed, x.trailing, 'listing job')),
        ),
        recs: IMap<ConnId, SdRecord>(),
        at: x.at,
        pos: 0,
      };
  }
};
const clientMessage = (u: unknown): ClientMessage => {
  const r = decodeClientMessage(stringifyJson(u as Json));
  if (E.isLeft(r)) throw new Invalid(`held request: ${r.left.reason}`);
  return r.right;
};
const serverMessage = (u: unknown): ServerMessage => {
  const o = u as { readonly 'ta-cmd'?: unknown; readonly 'msg-type'?: unknown } | null;
  const cmd = typeof o?.['ta-cmd'] === 'string' ? o['ta-cmd'] : '';
  const type = typeof o?.['msg-type'] === 'string' ? o['msg-type'] : '';
  // a v3 clients notify carries `idle`; every other shape is the same in v2 and v3
  const version = cmd === 'clients' && type === 'notify' && !Object.hasOwn(o!, 'idle') ? 2 : 3;
  const codec = (outboundCodecs(version) as Record<string, Partial<Record<string, t.Mixed>>>)[cmd]?.[type];
  const r = codec?.decode(u);
  if (r === undefined || E.isLeft(r)) throw new Invalid(`held message ${cmd} ${type}: does not decode`);
  return r.right as ServerMessage;
};
const heap = <T>(entries: ReadonlyArray<readonly [number, number, T]>): Heap<T> =>
  entries.reduce((h, [at, seq, v]) => heapPush(h, at, seq, v), heapEmpty<T>());

class Invalid extends Error {}

/** The positions of `n` entries from {@link layoutJson}'s form. */
const layoutOf = (n: number, j: t.TypeOf<typeof LayoutJ>, what: string): SlotLayout => {
  const positions: number[] = [];
  let prev = j.start - 1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const jump = j.jumps[k];
    const p = jump !== undefined && jump[0] === i ? (k++, jump[1]) : prev + 1;
    positions.push(p);
    prev = p;
  }
  if (k !== j.jumps.length) throw new Invalid(`${what}: jumps past its ${n} entries`);
  return { start: j.start, end: j.end, positions };
};
/** A placement of `n` entries (`undefined`: from position 0, no holes). */
const placementFrom = (n: number, j: t.TypeOf<typeof PlaceJ> | undefined, what: string): Placement => {
  if (j === undefined) return { list: { start: 0, end: n, positions: Array.from({ length: n }, (_, i) => i) } };
  const list = layoutOf(n, j, what);
  const m = j.moving;
  if (m === undefined) return { list };
  const below = list.positions.filter((p) => p < m.cursor).length;
  return { list, moving: { cursor: m.cursor, next: layoutOf(below, m, `${what} (compaction)`) } };
};
/** `n` entries and the positions a walk passes before each (and after the last) as a layout from position 0. */
const walkLayout = (n: number, passed: readonly number[] | undefined, trailing: number | undefined, what: string) => {
  if (passed !== undefined && passed.length !== n) throw new Invalid(`${what}: one passed count per entry`);
  const positions: number[] = [];
  let p = -1;
  for (let i = 0; i < n; i++) positions.push((p += 1 + (passed?.[i] ?? 0)));
  return { list: { start: 0, end: p + 1 + (trailing ?? 0), positions } };
};
/** `f()`, a `RangeError` of the ordered collections (a placement that does not fit) as {@link Invalid}. */
const fitted = <T>(what: string, f: () => T): T => {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new Invalid(`${what}: ${e.message}`);
    throw e;
  }
};

/**
 * A snapshot written before the state had sliced work (no `work` and `held` fields, no subscription `createdAt`,
 * no record `closeSeq`): nothing was pending then.
 * Logs recorded by earlier versions keep their snapshots (and so their checkpoints and rotated files) usable.
 */
const withoutWork = (json: unknown): unknown => {
  if (typeof json !== 'object' || json === null || 'work' in json || 'held' in json) return json;
  const subs = (json as { subscriptions?: unknown }).subscriptions;
  const recs = (json as { records?: unknown }).records;
  return {
    ...json,
    work: [],
    held: [],
    // nor its records' close sequence numbers: every orphaning was done, so an orphan's expiry is told to the
    // subscriptions by their creation time alone (closeSeq 0: no subscription counts as created before the close)
    ...(Array.isArray(recs)
      ? {
          records: recs.map((x: unknown) =>
            typeof x === 'object' && x !== null && !('closeSeq' in x)
              ? { ...x, closeSeq: (x as { active?: unknown }).active === false ? 0 : null }
              : x,
          ),
        }
      : {}),
    // nor the subscriptions' creation times (what a later sliced orphaning needs): all of them predate any close to come
    ...(Array.isArray(subs)
      ? {
          subscriptions: subs.map((x: unknown) =>
            typeof x === 'object' && x !== null && !('createdAt' in x) ? { ...x, createdAt: 0 } : x,
          ),
        }
      : {}),
  };
};

/** Decode {@link encodeDomainState}'s output (as `parseJson` read it); the left says what is wrong. */
export const decodeDomainState = (json: unknown): E.Either<string, DomainState> => {
  const r = StateJ.decode(withoutWork(json));
  if (E.isLeft(r)) return E.left(describe(r.left));
  const j = r.right;
  try {
    const conns = IMap<ConnId, Conn>().withMutations((m) => {
      for (const c of j.conns)
        m.set(c.id, {
          id: c.id,
          address: c.address,
          user: c.user,
          transport: c.transport,
          acceptedAt: c.acceptedAt,
          version: und(c.version),
          clientId: und(c.clientId),
          handshaked: c.handshaked,
          handshakeSeq: c.handshakeSeq,
          txs: c.txs.reduce((m, [ta, x]) => hamtSet(m, ta, tx(x)), hamtEmpty<bigint, OpenTransaction>()),
          trackTaId: und(c.trackTaId),
          queryOutstandingSince: und(c.queryOutstandingSince),
          latency: und(c.latency),
          idle: c.idle,
          lastSeen: c.lastSeen,
          timerAt: und(c.timerAt),
          queuedAt: und(c.queuedAt),
          ...(c.outputBlocked === true ? { outputBlocked: true as const } : {}),
          ...(c.waiting === true ? { waiting: true as const } : {}),
        });
    });
    const clients = IMap<ClientId, Client>().withMutations((m) => {
      for (const c of j.clients)
        m.set(c.id, { id: c.id, user: c.user, active: und(c.active), records: [...c.records] });
    });
    const records = IMap<ConnId, SdRecord>().withMutations((m) => {
      for (const r of j.records)
        m.set(r.id, {
          id: r.id,
          clientId: r.clientId,
          active: r.active,
          services: fitted(`record ${r.id}`, () =>
            OrderedIds.placed(r.services, placementFrom(r.services.length, r.place, `record ${r.id}`)),
          ),
          ttls: ttlCountsOf(r.ttls),
          disconnectedAt: und(r.disconnectedAt),
          closeSeq: und(r.closeSeq),
        });
    });
    const distinct = (ids: readonly bigint[]): boolean => new Set(ids).size === ids.length;
    if (!distinct(j.services.map((x) => x.id))) throw new Invalid('duplicate service id');
    if (!distinct(j.subscriptions.map((x) => x.id))) throw new Invalid('duplicate subscription id');
    const services = fitted('services', () =>
      OrderedById.placed(j.services.map(service), placementFrom(j.services.length, j.servicesPlace?.[0], 'services')),
    );
    const subs: Subscription[] = j.subscriptions.map(subscription);
    const subscriptions = fitted('subscriptions', () =>
      OrderedSlots.placed(subs, placementFrom(subs.length, j.subscriptionsPlace?.[0], 'subscriptions')),
    );
    const subscriptionIndex = indexFrom([...subs].sort((a, b) => a.seq - b.seq));
    const work = List(j.work.map((x) => job(x, subscriptions)));
    // a closed connection's subscriptions being removed: as many as the map still holds (work.ts)
    const unsubscribing = IMap<ConnId, number>().withMutations((m) => {
      for (const w of work)
        if (w.kind === 'unsubscribe') {
          let held = 0;
          for (const [sub] of unsubscribeRest(w)) if (subscriptions.get(sub.id) === sub) held++;
          m.set(w.conn, held);
        }
    });
    const usedByUser = IMap<string, ResourceCounts>().withMutations((m) => {
      for (const [u, c] of j.usedByUser) m.set(u, counts(c));
    });
    const st = j.settings;
    const settings: DomainSettings = {
      protocolMin: st.protocolMin,
      protocolMax: st.protocolMax,
      idleMin: st.idleMin,
      idleMax: st.idleMax,
      handshakeTimeout: st.handshakeTimeout,
      limits: { total: limits(st.limits.total), user: limits(st.limits.user) },
    };
    if (conns.size !== j.conns.length || clients.size !== j.clients.length || records.size !== j.records.length)
      throw new Invalid('duplicate connection, client or record id');
    if (services.size !== j.services.length) throw new Invalid('duplicate service id');
    const state: DomainState = {
      settings,
      now: j.now,
      rng: j.rng,
      seq: j.seq,
      conns,
      clients,
      records,
      services,
      serviceIndex: serviceIndexOf(services.values()),
      subscriptions,
      subscriptionIndex,
      orphanQueue: orphanQueueOf(j.orphanQueue),
      timerQueue: heap(j.timerQueue),
      used: counts(j.used),
      usedByUser,
      work,
      held: IMap<ConnId, Held>(
        j.held.map(([conn, inbox, outbox]) => [
          conn,
          { inbox: List(inbox.map(clientMessage)), outbox: List(outbox.map(serverMessage)) },
        ]),
      ),
      waiting: List(j.waiting ?? []),
      closing: ISet(j.closing ?? []),
      unsubscribing,
    };
    return E.right(state);
  } catch (e) {
    if (e instanceof Invalid) return E.left(`invalid state snapshot: ${e.message}`);
    throw e;
  }
};

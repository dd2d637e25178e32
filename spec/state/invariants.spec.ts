/**
 * Property tests of the reducer (§7, §8, §10.3): random event sequences over a few connections, clients, users,
 * service and subscription ids; after every step the structural invariants hold, replays are exact, and every
 * subscription has been told exactly about the services that currently match its filter (§7.8), but one of a
 * connection marked closing, which is told nothing more.
 */
import fc from 'fast-check';
import { isImmutable, isKeyed } from 'immutable';

import { encodeMessage } from '../../lib/codec/encode';
import { indexSize } from '../../lib/filter/filter-index';
import { matchFilter } from '../../lib/filter/match';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import { SlotList } from '../../lib/state/slot-list';
import { ttlCountOf, ttlCountsEntries } from '../../lib/state/ttl-counts';
import { hasWork } from '../../lib/state/work';
import type { DomainSettings, DomainState, ResourceCounts } from '../../lib/state/model';
import { defaultSettings, initialDomainState, reduce, reduceAll } from '../../lib/protocol/reducer';
import { request, T0, toJson, wire, type JsonIn } from '../helpers/builders';
import { projectState } from '../replay/state-projection';
import { hamtEntries, hamtGet } from '../../lib/util/hamt';

// ---------------------------------------------------------------------------------------------------------------
// commands and their translation into events

const USERS = ['ip:10.0.0.1', 'ip:10.0.0.2', 'default'] as const;
const FILTERS = [undefined, '(a=1)', '(b=*)', '(!(a=1))', '(|(a=2)(b=x))', '(&(a=*)(b=x))', '(a>1)'] as const;
const PROPS: Array<Record<string, JsonIn[]>> = [
  { a: ['1'] },
  { a: ['2'], b: ['x'] },
  { b: ['y'] },
  {},
  { a: ['1', '2'], b: ['x'] },
  { a: [3] },
];
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [2, 3],
  [2, 2],
  [3, 3],
  [4, 5],
];

type Cmd =
  | { readonly k: 'accept'; readonly user: number; readonly ux: boolean }
  | {
      readonly k: 'connect';
      readonly user: number;
      readonly ux: boolean;
      readonly client: number;
      readonly range: number;
    }
  | { readonly k: 'hello'; readonly c: number; readonly client: number; readonly range: number; readonly ta: number }
  | {
      readonly k: 'publish';
      readonly c: number;
      readonly sid: number;
      readonly gen: number;
      readonly ttl: number;
      readonly props: number;
      readonly ta: number;
    }
  | { readonly k: 'unpublish'; readonly c: number; readonly sid: number; readonly ta: number }
  | { readonly k: 'subscribe'; readonly c: number; readonly sub: number; readonly filter: number; readonly ta: number }
  | { readonly k: 'unsubscribe'; readonly c: number; readonly sub: number; readonly ta: number }
  | { readonly k: 'track'; readonly c: number; readonly ta: number }
  | { readonly k: 'inform'; readonly c: number; readonly ta: number; readonly query: boolean }
  | { readonly k: 'list'; readonly c: number; readonly ta: number; readonly cmd: number }
  | { readonly k: 'close'; readonly c: number }
  | { readonly k: 'closing'; readonly cs: readonly number[] }
  | { readonly k: 'malformed'; readonly c: number }
  | { readonly k: 'tick'; readonly dt: number };

const c = fc.nat(7);
/** Mostly fresh transaction ids, sometimes colliding ones (duplicate requests close the connection, §3.3). */
const ta = fc.oneof(
  { weight: 1, arbitrary: fc.nat(2) },
  { weight: 4, arbitrary: fc.integer({ min: 10, max: 1_000_000 }) },
);
const TRACK_TA = 9999;
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ k: fc.constant('accept' as const), user: fc.nat(2), ux: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('connect' as const),
      user: fc.nat(2),
      ux: fc.boolean(),
      client: fc.integer({ min: 1, max: 6 }),
      range: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('hello' as const),
      c,
      client: fc.integer({ min: 1, max: 4 }),
      range: fc.nat(3),
      ta,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('publish' as const),
      c,
      sid: fc.integer({ min: 1, max: 4 }),
      gen: fc.nat(3),
      ttl: fc.nat(5),
      props: fc.nat(PROPS.length - 1),
      ta,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('unpublish' as const), c, sid: fc.integer({ min: 1, max: 4 }), ta }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('subscribe' as const),
      c,
      sub: fc.integer({ min: 1, max: 3 }),
      filter: fc.nat(FILTERS.length - 1),
      ta,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('unsubscribe' as const), c, sub: fc.integer({ min: 1, max: 3 }), ta }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('track' as const), c, ta: fc.constantFrom(TRACK_TA, TRACK_TA, 1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('inform' as const),
      c,
      ta: fc.constantFrom(TRACK_TA, TRACK_TA, TRACK_TA, 2),
      query: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('list' as const), c, ta, cmd: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), c }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('closing' as const), cs: fc.array(c, { minLength: 1, maxLength: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('malformed' as const), c }) },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('tick' as const), dt: fc.integer({ min: 1, max: 16 }).map((n) => n / 4) }),
  },
);

/** Turn commands into events: connection ids are fresh per accept; `c` picks one of the four latest accepted. */
const toEvents = (cmds: readonly Cmd[]): Event[] => {
  const events: Event[] = [];
  let now = T0;
  let accepted = 0;
  const msg = (cmd: { c: number }, json: string): void => {
    if (accepted === 0) return;
    events.push({ type: 'message', now, conn: pick(cmd.c), msg: wire(json) });
  };
  const pick = (c: number): number => accepted - (c % Math.min(accepted, 4));
  const hello = (x: { client: number; range: number; ta: number }): string => {
    const [min, max] = RANGES[x.range]!;
    return request('hello', x.ta, {
      'client-id': x.client,
      'protocol-minimum-version': min,
      'protocol-maximum-version': max,
    });
  };
  for (const x of cmds) {
    switch (x.k) {
      case 'accept':
      case 'connect':
        accepted++;
        events.push({
          type: 'accepted',
          now,
          conn: accepted,
          address: x.ux ? 'ux:abcde' : `tcp:127.0.0.1:${40000 + accepted}`,
          user: USERS[x.user]!,
          transport: x.ux ? 'ux' : 'tcp',
        });
        if (x.k === 'connect') msg({ c: 0 }, hello({ ...x, ta: 0 }));
        break;
      case 'hello':
        msg(x, hello(x));
        break;
      case 'publish':
        msg(
          x,
          request('publish', x.ta, {
            'service-id': x.sid,
            generation: x.gen,
            'service-props': PROPS[x.props]!,
            ttl: x.ttl,
          }),
        );
        break;
      case 'unpublish':
        msg(x, request('unpublish', x.ta, { 'service-id': x.sid }));
        break;
      case 'subscribe': {
        const filter = FILTERS[x.filter];
        msg(x, request('subscribe', x.ta, { 'subscription-id': x.sub, ...(filter !== undefined ? { filter } : {}) }));
        break;
      }
      case 'unsubscribe':
        msg(x, request('unsubscribe', x.ta, { 'subscription-id': x.sub }));
        break;
      case 'track':
        msg(x, request('track', x.ta));
        break;
      case 'inform':
        msg(
          x,
          toJson({ 'ta-cmd': 'track', 'ta-id': x.ta, 'msg-type': 'inform', 'track-type': x.query ? 'query' : 'reply' }),
        );
        break;
      case 'list':
        msg(x, request((['ping', 'clients', 'services', 'subscriptions'] as const)[x.cmd]!, x.ta));
        break;
      case 'close':
        if (accepted > 0) events.push({ type: 'closed', now, conn: pick(x.c), cause: 'eof' });
        break;
      case 'closing':
        // a wave's mark: the connections' closes may follow later or (a mark of the shell cut short) never
        if (accepted > 0) events.push({ type: 'closing', now, conns: x.cs.map(pick) });
        break;
      case 'malformed':
        if (accepted > 0) events.push({ type: 'malformed', now, conn: pick(x.c), reason: 'junk' });
        break;
      case 'tick':
        now += x.dt;
        events.push({ type: 'tick', now });
        break;
    }
  }
  return events;
};

const settingsArb: fc.Arbitrary<DomainSettings> = fc.record({
  protocolMin: fc.constantFrom(2, 2, 3),
  protocolMax: fc.constant(3),
  idleMin: fc.constantFrom(1, 2, 4),
  idleMax: fc.constantFrom(4, 8, 30),
  handshakeTimeout: fc.constant(defaultSettings.handshakeTimeout),
  limits: fc.oneof(
    { weight: 2, arbitrary: fc.constant({ total: {}, user: {} }) },
    {
      weight: 1,
      arbitrary: fc.record({
        total: fc.record(
          { clients: fc.integer({ min: 1, max: 6 }), services: fc.nat(4), subscriptions: fc.nat(3) },
          { requiredKeys: [] },
        ),
        user: fc.record({ clients: fc.nat(3), services: fc.nat(3), subscriptions: fc.nat(2) }, { requiredKeys: [] }),
      }),
    },
  ),
});

// ---------------------------------------------------------------------------------------------------------------
// invariants

const fail = (what: string): never => {
  throw new Error(`invariant violated: ${what}`);
};
const check = (ok: boolean, what: string | (() => string)): void => {
  if (!ok) fail(typeof what === 'string' ? what : what());
};

const countsEqual = (a: ResourceCounts, b: ResourceCounts): boolean =>
  a.clients === b.clients && a.services === b.services && a.subscriptions === b.subscriptions;

/**
 * `closeStep`: the step was a `closed` or `closing` event, which expires no orphan (close rule 'close-first',
 * lib/state/work.ts `CloseRule`): an overdue orphan may be left, as queued work that the next other event does.
 */
const checkState = (s: DomainState, closeStep = false): void => {
  // connections
  // a connection marked closing is one still open (its close drops the mark)
  for (const id of s.closing) check(s.conns.has(id), `closing ${id} is not an open connection`);
  // A4: connections waiting under the connection cap: no deadline, unanswered, admitted as soon as there is room
  const cap = s.settings.limits.total.clients;
  for (const id of s.waiting) check(s.conns.get(id)?.waiting === true, `waiting ${id} is not a waiting connection`);
  check(new Set(s.waiting).size === s.waiting.size, 'a connection waits twice');
  if (cap !== undefined) check(s.conns.size - s.waiting.size <= cap, 'more connections admitted than the cap');
  if (s.waiting.size > 0)
    check(cap !== undefined && s.conns.size - s.waiting.size === cap, 'a connection waits while there is room');
  for (const conn of s.conns.values()) {
    if (conn.waiting === true) {
      check(s.waiting.includes(conn.id), `conn ${conn.id} waits outside the queue`);
      check(conn.timerAt === undefined && !conn.handshaked, `waiting conn ${conn.id} has a deadline or a client`);
      check(s.held.has(conn.id), `waiting conn ${conn.id} is read`);
      continue;
    }
    check(conn.timerAt !== undefined && conn.queuedAt !== undefined, `conn ${conn.id} has no timer`);
    check(conn.queuedAt! <= conn.timerAt!, `conn ${conn.id}: queued entry after its timer`);
    check(conn.timerAt! > s.now, `conn ${conn.id}: overdue timer ${conn.timerAt} ≤ ${s.now}`);
    check(conn.idle !== 'timed-out', `conn ${conn.id} timed out but still open`);
    for (const [taId, tx] of hamtEntries(conn.txs)) {
      check(conn.handshaked, `clientless conn ${conn.id} has open transactions`);
      if (tx.cmd === 'subscribe') {
        const sub = s.subscriptions.get(tx.subscriptionId);
        check(sub !== undefined && sub.conn === conn.id && sub.taId === taId, `conn ${conn.id}: dangling subscribe tx`);
      } else check(conn.trackTaId === taId, `conn ${conn.id}: track tx ${taId} is not trackTaId`);
    }
    if (conn.trackTaId !== undefined) check(hamtGet(conn.txs, conn.trackTaId)?.cmd === 'track', 'trackTaId without tx');
    if (conn.queryOutstandingSince !== undefined) check(conn.trackTaId !== undefined, 'query without track');
    if (conn.handshaked) {
      check(conn.clientId !== undefined && conn.version !== undefined, `conn ${conn.id}: handshaked without id`);
      const client = s.clients.get(conn.clientId!);
      check(client?.active === conn.id, `conn ${conn.id}: its client is not active on it`);
      check(client!.user === conn.user, `conn ${conn.id}: user differs from its client's`);
      const r = s.records.get(conn.id);
      check(r !== undefined && r.active && r.clientId === conn.clientId, `conn ${conn.id}: no active record`);
    } else check(!s.records.has(conn.id) || !s.records.get(conn.id)!.active, `clientless conn ${conn.id} has a record`);
  }
  // clients: alive while connected or while a record holds a service
  for (const client of s.clients.values()) {
    if (client.active !== undefined) {
      const conn = s.conns.get(client.active);
      check(conn !== undefined && conn.handshaked && conn.clientId === client.id, `client ${client.id}: bad active`);
    } else
      check(
        client.records.some((id) => (s.records.get(id)?.services.size ?? 0) > 0),
        `client ${client.id} has neither a connection nor a service`,
      );
    check(new Set(client.records).size === client.records.length, `client ${client.id}: duplicate records`);
    for (const id of client.records)
      check(s.records.get(id)?.clientId === client.id, `client ${client.id}: bad record`);
    if (client.active !== undefined) check(client.records.includes(client.active), 'active record not listed');
  }
  // records
  for (const r of s.records.values()) {
    const client = s.clients.get(r.clientId);
    check(client !== undefined && client.records.includes(r.id), `record ${r.id} not listed by its client`);
    check(r.active === (client!.active === r.id), `record ${r.id}: active flag mismatch`);
    if (!r.active) check(r.services.size > 0 && r.disconnectedAt !== undefined, `record ${r.id}: empty inactive`);
    const ttls = new Map<bigint, number>();
    for (const id of r.services) {
      const svc = s.services.get(id);
      check(svc !== undefined && svc.record === r.id, `record ${r.id} lists service ${id} it does not hold`);
      ttls.set(svc!.ttl, (ttls.get(svc!.ttl) ?? 0) + 1);
    }
    check(
      ttlCountsEntries(r.ttls).length === ttls.size && [...ttls].every(([t, n]) => ttlCountOf(r.ttls, t) === n),
      `record ${r.id}: ttl multiset out of sync`,
    );
  }
  // services: exactly one owner record that lists it, the owner client exists
  for (const svc of s.services.values()) {
    const holders = [...s.records.values()].filter((r) => r.services.has(svc.id));
    check(holders.length === 1 && holders[0]!.id === svc.record, `service ${svc.id}: ${holders.length} holders`);
    const r = holders[0]!;
    check(r.clientId === svc.clientId, `service ${svc.id}: record of another client`);
    const client = s.clients.get(svc.clientId);
    check(client !== undefined && client.user === svc.user, `service ${svc.id}: owner missing or other user`);
    check((svc.orphanSince !== undefined) === !r.active, `service ${svc.id}: orphan flag vs record activity`);
    if (svc.orphanSince !== undefined)
      check(
        svc.orphanSince + Number(svc.ttl) > s.now || (closeStep && hasWork(s)),
        `service ${svc.id}: overdue orphan`,
      );
  }
  // subscriptions
  check(indexSize(s.subscriptionIndex) === s.subscriptions.size, 'filter index size');
  for (const sub of s.subscriptions.values()) {
    const conn = s.conns.get(sub.conn);
    check(conn !== undefined && conn.handshaked, `subscription ${sub.id}: connection gone or clientless`);
    const tx = hamtGet(conn!.txs, sub.taId);
    check(tx?.cmd === 'subscribe' && tx.subscriptionId === sub.id, `subscription ${sub.id}: tx missing`);
    check(conn!.clientId === sub.clientId && conn!.user === sub.user, `subscription ${sub.id}: owner mismatch`);
  }
  // resources equal what exists
  const zero = { clients: 0, services: 0, subscriptions: 0 };
  const byUser = new Map<string, { clients: number; services: number; subscriptions: number }>();
  const bump = (u: string, k: keyof ResourceCounts) => {
    const c = byUser.get(u) ?? { ...zero };
    c[k]++;
    byUser.set(u, c);
  };
  for (const conn of s.conns.values()) if (conn.handshaked) bump(conn.user, 'clients');
  for (const svc of s.services.values()) bump(svc.user, 'services');
  for (const sub of s.subscriptions.values()) bump(sub.user, 'subscriptions');
  const total = { ...zero };
  for (const c of byUser.values()) {
    total.clients += c.clients;
    total.services += c.services;
    total.subscriptions += c.subscriptions;
  }
  check(countsEqual(s.used, total), () => `used ${JSON.stringify(s.used)} ≠ ${JSON.stringify(total)}`);
  check(s.usedByUser.size === byUser.size, 'usedByUser has extra users');
  for (const [u, c] of byUser) check(countsEqual(s.usedByUser.get(u) ?? zero, c), `usedByUser(${u})`);
  // limits are respected
  const { total: tl, user: ul } = s.settings.limits;
  for (const k of ['clients', 'services', 'subscriptions'] as const) {
    if (tl[k] !== undefined) check(s.used[k] <= tl[k], `total ${k} over limit`);
    if (ul[k] !== undefined) for (const c of byUser.values()) check(c[k] <= ul[k], `user ${k} over limit`);
  }
  if (tl.clients !== undefined) check(s.conns.size - s.waiting.size <= tl.clients, 'connection cap exceeded');
};

/** What each subscription (keyed by connection and ta-id) has been told, updated from the step's effects. */
class Told {
  readonly sets = new Map<string, Set<bigint>>();
  apply(fx: readonly Effect[]): void {
    for (const f of fx) {
      if (f.type === 'close')
        for (const k of [...this.sets.keys()]) if (k.startsWith(`${f.conn}:`)) this.sets.delete(k);
      if (f.type !== 'send' || f.msg['ta-cmd'] !== 'subscribe') continue;
      const key = `${f.conn}:${f.msg['ta-id']}`;
      const m = f.msg as Record<string, unknown>;
      if (m['msg-type'] === 'accept') {
        check(!this.sets.has(key), `second accept for ${key}`);
        this.sets.set(key, new Set());
      } else if (m['msg-type'] === 'complete') this.sets.delete(key);
      else if (m['msg-type'] === 'notify') {
        const set = this.sets.get(key);
        check(set !== undefined, `notify on ${key} before accept`);
        const id = m['service-id'] as bigint;
        const mt = m['match-type'];
        if (mt === 'appeared') {
          check(!set!.has(id), `${key}: appeared twice for ${id}`);
          set!.add(id);
        } else {
          check(set!.has(id), `${key}: ${String(mt)} for ${id} which it was not told about`);
          if (mt === 'disappeared') {
            check(Object.keys(m).length === 5, `${key}: disappeared with extra fields`);
            set!.delete(id);
          }
        }
      }
    }
  }
  check(s: DomainState): void {
    for (const sub of s.subscriptions.values()) {
      // a connection marked closing is told nothing more (its close follows: the shell has it)
      if (s.closing.has(sub.conn)) continue;
      const told = this.sets.get(`${sub.conn}:${sub.taId}`) ?? new Set<bigint>();
      const expected = [...s.services.values()]
        .filter((svc) => sub.filter === undefined || matchFilter(sub.filter, svc.props))
        .map((svc) => svc.id);
      check(
        told.size === expected.length && expected.every((id) => told.has(id)),
        () => `subscription ${sub.id} told {${[...told].join(',')}} but matching {${expected.join(',')}}`,
      );
    }
  }
}

/** A plain, comparable projection of any state value (immutable collections, Maps, bigints, nested records). */
const plain = (v: unknown): unknown => {
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return '<undefined>';
  if (v === null || typeof v !== 'object') return v;
  if (isImmutable(v)) {
    const it = v as unknown as { entries(): Iterable<[unknown, unknown]>; values(): Iterable<unknown> };
    return isKeyed(v) ? [...it.entries()].map(([k, x]) => [plain(k), plain(x)]) : [...it.values()].map(plain);
  }
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [plain(k), plain(x)]);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof SlotList) {
    // what a version holds (its positions and values), not its arrays: appends write past older versions' ends
    const at: unknown[] = [];
    (v as SlotList<unknown>).forEachFrom(0, (x, pos) => void at.push([pos, plain(x)]));
    return ['<slots>', v.size, at];
  }
  const o = v as Record<string, unknown>;
  return Object.keys(o)
    .sort()
    .map((k) => [k, plain(o[k])]);
};
const project = (s: DomainState): string => JSON.stringify(plain(s));
const showEffect = (f: Effect): string =>
  f.type === 'send' ? `send ${f.conn} ${encodeMessage(f.msg)}` : JSON.stringify(plain(f));

// ---------------------------------------------------------------------------------------------------------------

const runChecked = (settings: DomainSettings, seed: number, events: readonly Event[]) => {
  let s = initialDomainState(settings, seed, T0);
  const told = new Told();
  const states: string[] = [];
  const effects: string[] = [];
  for (const e of events) {
    const [next, fx] = reduce(s, e);
    s = next;
    told.apply(fx);
    checkState(s, e.type === 'closed' || e.type === 'closing');
    told.check(s);
    states.push(project(s));
    effects.push(...fx.map(showEffect));
  }
  return { final: s, states, effects };
};

describe('[§7 §8 §10.3] reducer invariants (property-based)', () => {
  const params = { numRuns: 300, endOnFailure: true } as const;

  it('[§7.1 §7.5 §10.3] structural invariants hold and subscriptions know exactly the matching services, after every step', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 80, size: 'max' }),
        (settings, seed, cmds) => {
          runChecked(settings, seed, toEvents(cmds));
        },
      ),
      params,
    );
  });

  it('[§7.1 §7.8] the same holds without limits and with many accepts and publishes', () => {
    const busy = fc.array(
      fc.oneof(
        { weight: 1, arbitrary: cmdArb },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Cmd>(
            { k: 'connect', user: 0, ux: false, client: 1, range: 0 },
            { k: 'connect', user: 0, ux: false, client: 2, range: 0 },
            { k: 'publish', c: 0, sid: 1, gen: 1, ttl: 2, props: 0, ta: 50 },
            { k: 'subscribe', c: 0, sub: 1, filter: 0, ta: 51 },
          ),
        },
      ),
      { minLength: 10, maxLength: 120, size: 'max' },
    );
    fc.assert(
      fc.property(busy, (cmds) => {
        runChecked({ ...defaultSettings, idleMin: 1, idleMax: 4 }, 1, toEvents(cmds));
      }),
      params,
    );
  });

  it('[§7.5 A4] a connection admitted from the wait list whose held input publishes with TTL 0 and then closes it leaves no overdue orphan', () => {
    // found by the property above (seed 619392336): with a cap of one client, connection 1 closes, connection 2 is
    // admitted and closed by its held input, then connection 3 is admitted; its held publish (TTL 0) is followed by
    // input that closes it, all inside the admission that the close of connection 1 started
    const cmds: Cmd[] = [
      { k: 'connect', user: 0, ux: false, client: 1, range: 0 },
      { k: 'connect', user: 0, ux: false, client: 1, range: 0 },
      { k: 'connect', user: 0, ux: false, client: 1, range: 0 },
      { k: 'publish', c: 0, sid: 1, gen: 0, ttl: 0, props: 0, ta: 10 },
      { k: 'inform', c: 1, ta: 9999, query: false },
      { k: 'inform', c: 0, ta: 9999, query: false },
      { k: 'close', c: 2 },
    ];
    const limits = { total: { clients: 1 }, user: {} };
    const { final } = runChecked({ ...defaultSettings, idleMin: 1, idleMax: 4, limits }, 1, toEvents(cmds));
    expect(final.services.size).toBe(0);
  });

  it('[§1] replaying the same events gives equal states and identical effects, step by step and batched', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 60, size: 'max' }),
        (settings, seed, cmds) => {
          const events = toEvents(cmds);
          const a = runChecked(settings, seed, events);
          const b = runChecked(settings, seed, events);
          expect(b.states).toEqual(a.states);
          expect(b.effects).toEqual(a.effects);
          // a batch watched event by event (`each`) sees each step's state and effects
          const seen: string[] = [];
          const perEvent: string[][] = [];
          const [batched, fx] = reduceAll(
            initialDomainState(settings, seed, T0),
            events,
            undefined,
            (i, st, f, from) => {
              expect(i).toBe(seen.length);
              seen.push(project(st));
              perEvent.push(f.slice(from).map(showEffect));
            },
          );
          expect(project(batched)).toEqual(
            a.states[a.states.length - 1] ?? project(initialDomainState(settings, seed, T0)),
          );
          expect(fx.map(showEffect)).toEqual(a.effects);
          expect(seen).toEqual(a.states);
          let s = initialDomainState(settings, seed, T0);
          const stepEffects = events.map((e) => {
            const [next, f] = reduce(s, e);
            s = next;
            return f.map(showEffect);
          });
          expect(perEvent).toEqual(stepEffects);
        },
      ),
      { ...params, numRuns: 100 },
    );
  });

  it('[§1] a batch leaves the state it started from as it was (its transient connections and tries), and folding it again from there gives the same', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 60, size: 'max' }),
        fc.integer({ min: 1, max: 16 }),
        (settings, seed, cmds, size) => {
          // (compared by what the state holds: a slot list's old version may share a tail array its successor
          // appended to, past its own end)
          const events = toEvents(cmds);
          let s = initialDomainState(settings, seed, T0);
          const kept: Array<[DomainState, string, readonly Event[], string]> = [];
          for (let i = 0; i < events.length; i += size) {
            const batch = events.slice(i, i + size);
            const before = projectState(s);
            const [next] = reduceAll(s, batch);
            kept.push([s, before, batch, projectState(next)]);
            s = next;
          }
          for (const [from, before, batch, after] of kept) {
            expect(projectState(from)).toBe(before);
            expect(projectState(reduceAll(from, batch)[0])).toBe(after);
            expect(projectState(from)).toBe(before);
          }
        },
      ),
      { numRuns: 100, endOnFailure: true },
    );
  });

  it('[§1] a reducer call nested in a batch observer, on the batch draft, changes neither the batch nor is changed by it', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 40, size: 'max' }),
        (settings, seed, cmds) => {
          const events = toEvents(cmds);
          const s0 = initialDomainState(settings, seed, T0);
          const [plainFold] = reduceAll(s0, events);
          const nested: Array<[DomainState, string]> = [];
          const [watched] = reduceAll(s0, events, undefined, (i, st) => {
            // the next event, folded from the draft as it is now (what a replay's observer might do)
            const next = events[i + 1] ?? { type: 'tick', now: st.now + 1 };
            const [n] = reduceAll(st, [next, { type: 'tick', now: next.now + 0.5 }]);
            nested.push([n, projectState(n)]);
          });
          expect(projectState(watched)).toBe(projectState(plainFold));
          for (const [n, seen] of nested) expect(projectState(n)).toBe(seen);
        },
      ),
      { numRuns: 100, endOnFailure: true },
    );
  });

  it('[§1] a quiet fold (no messages built, for replays that read none) gives the same states, the same effects but sends, and the same work budgets', () => {
    let held = 0;
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 60, size: 'max' }),
        // small slices keep listings going over several events: their messages are held in the state meanwhile
        fc.constantFrom(1, 3, 8, 128, Infinity),
        fc.integer({ min: 1, max: 8 }),
        (settings, seed, cmds, slice, batch) => {
          const events = toEvents(cmds);
          let loud = initialDomainState(settings, seed, T0);
          let quiet = loud;
          const loudFx: string[] = [];
          const quietFx: string[] = [];
          for (let i = 0; i < events.length; i += batch) {
            const part = events.slice(i, i + batch);
            const seen: string[] = [];
            const [l, lf] = reduceAll(loud, part, slice, (_j, st) => seen.push(project(st)));
            const [q, qf] = reduceAll(quiet, part, slice, (j, st) => expect(project(st)).toBe(seen[j]), true);
            [loud, quiet] = [l, q];
            if (q.held.size > 0) held++;
            loudFx.push(...lf.filter((f) => f.type !== 'send').map(showEffect));
            quietFx.push(...qf.map(showEffect));
            expect(project(q)).toBe(project(l));
          }
          expect(quietFx).toEqual(loudFx);
        },
      ),
      { ...params, numRuns: 150 },
    );
    expect(held).toBeGreaterThan(0); // some runs had messages held behind a listing
  });
});

/**
 * The state snapshot codec: decode(encode(state)) is the same state (every field, every iteration order) and
 * behaves the same: fed the same further events, both produce identical effects and states.
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { parseJson, stringifyJson } from '../../lib/codec/json';
import { decodeLine, LOG_VERSION, encodeSnapshotLine } from '../../lib/replay/event-codec';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import type { Event } from '../../lib/state/events';
import type { DomainSettings, DomainState } from '../../lib/state/model';
import { defaultSettings, initialDomainState, reduce } from '../../lib/protocol/reducer';
import { Domain, request, T0, toJson, wire, type JsonIn } from '../helpers/builders';
import { projectState, showEffect } from './state-projection';

/** Through text, as the recorder writes and the replay reads it. */
const roundTrip = (s: DomainState): DomainState => {
  const text = stringifyJson(encodeDomainState(s));
  const back = E.chain(decodeDomainState)(parseJson(text));
  if (E.isLeft(back)) throw new Error(back.left);
  return back.right;
};

// ---------------------------------------------------------------------------------------------------------------
// random event sequences (after spec/state/invariants.spec.ts, with big ids, integer props and fractional times)

const USERS = ['ip:10.0.0.1', 'ip:10.0.0.2', 'default'] as const;
const FILTERS = [
  undefined,
  '(a=1)',
  '(b=*)',
  '(!(a=1))',
  '(|(a=2)(b=x))',
  '(&(a=*)(b=x))',
  '(a>1)',
  '(b=x*y*)',
  '(b=\\2a)',
] as const;
const PROPS: Array<Record<string, JsonIn[]>> = [
  { a: ['1'] },
  { a: ['2'], b: ['x'] },
  { b: ['xyz', 'y'] },
  {},
  { z: [1n], a: ['1', '2'], b: ['x'] },
  { a: [3, '3'], b: ['*'] },
  { a: [9223372036854775807n] },
];
const SIDS = [1n, 2n, 3n, 9223372036854775807n] as const;

type Cmd =
  | { k: 'connect'; user: number; ux: boolean; client: number; max: number }
  | { k: 'accept'; user: number }
  | { k: 'publish'; c: number; sid: number; gen: number; ttl: number; props: number; ta: number }
  | { k: 'unpublish'; c: number; sid: number; ta: number }
  | { k: 'subscribe'; c: number; sub: number; filter: number; ta: number }
  | { k: 'unsubscribe'; c: number; sub: number; ta: number }
  | { k: 'track'; c: number }
  | { k: 'inform'; c: number; query: boolean }
  | { k: 'list'; c: number; ta: number; cmd: number }
  | { k: 'close'; c: number }
  | { k: 'closing'; cs: number[] }
  | { k: 'malformed'; c: number }
  | { k: 'tick'; dt: number };

const c = fc.nat(7);
const ta = fc.oneof({ weight: 1, arbitrary: fc.nat(2) }, { weight: 4, arbitrary: fc.integer({ min: 10, max: 1e6 }) });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('connect' as const),
      user: fc.nat(2),
      ux: fc.boolean(),
      client: fc.integer({ min: 1, max: 6 }),
      max: fc.constantFrom(2, 3, 3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('accept' as const), user: fc.nat(2) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('publish' as const),
      c,
      sid: fc.nat(SIDS.length - 1),
      gen: fc.nat(3),
      ttl: fc.nat(5),
      props: fc.nat(PROPS.length - 1),
      ta,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unpublish' as const), c, sid: fc.nat(SIDS.length - 1), ta }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('subscribe' as const),
      c,
      sub: fc.integer({ min: 1, max: 4 }),
      filter: fc.nat(FILTERS.length - 1),
      ta,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('unsubscribe' as const), c, sub: fc.integer({ min: 1, max: 4 }), ta }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('track' as const), c }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('inform' as const), c, query: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('list' as const), c, ta, cmd: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), c }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('closing' as const), cs: fc.array(c, { minLength: 1, maxLength: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('malformed' as const), c }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      dt: fc.oneof(
        fc.integer({ min: 1, max: 16 }).map((n) => n / 4),
        fc.double({ min: 0.001, max: 7, noNaN: true }),
      ),
    }),
  },
);

const TRACK_TA = 9999;
const toEvents = (cmds: readonly Cmd[]): Event[] => {
  const events: Event[] = [];
  let now = T0 + 0.125;
  let accepted = 0;
  const pick = (c: number): number => accepted - (c % Math.min(accepted, 4));
  const msg = (c: number, json: string): void => {
    if (accepted > 0) events.push({ type: 'message', now, conn: pick(c), msg: wire(json) });
  };
  for (const x of cmds) {
    switch (x.k) {
      case 'connect':
      case 'accept':
        accepted++;
        events.push({
          type: 'accepted',
          now,
          conn: accepted,
          address: x.k === 'connect' && x.ux ? 'ux:abcde' : `tcp:127.0.0.1:${40000 + accepted}`,
          user: USERS[x.user]!,
          transport: x.k === 'connect' && x.ux ? 'ux' : 'tcp',
        });
        if (x.k === 'connect')
          msg(
            0,
            request('hello', 0, {
              'client-id': x.client,
              'protocol-minimum-version': 2,
              'protocol-maximum-version': x.max,
            }),
          );
        break;
      case 'publish':
        msg(
          x.c,
          request('publish', x.ta, {
            'service-id': SIDS[x.sid]!,
            generation: x.gen,
            'service-props': PROPS[x.props]!,
            ttl: x.ttl,
          }),
        );
        break;
      case 'unpublish':
        msg(x.c, request('unpublish', x.ta, { 'service-id': SIDS[x.sid]! }));
        break;
      case 'subscribe': {
        const filter = FILTERS[x.filter];
        msg(x.c, request('subscribe', x.ta, { 'subscription-id': x.sub, ...(filter !== undefined ? { filter } : {}) }));
        break;
      }
      case 'unsubscribe':
        msg(x.c, request('unsubscribe', x.ta, { 'subscription-id': x.sub }));
        break;
      case 'track':
        msg(x.c, request('track', TRACK_TA));
        break;
      case 'inform':
        msg(
          x.c,
          toJson({
            'ta-cmd': 'track',
            'ta-id': TRACK_TA,
            'msg-type': 'inform',
            'track-type': x.query ? 'query' : 'reply',
          }),
        );
        break;
      case 'list':
        msg(x.c, request((['ping', 'clients', 'services', 'subscriptions'] as const)[x.cmd]!, x.ta));
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
  protocolMin: fc.constantFrom(2, 3),
  protocolMax: fc.constant(3),
  idleMin: fc.constantFrom(1, 2, 1.5),
  idleMax: fc.constantFrom(4, 8, 30),
  handshakeTimeout: fc.constant(defaultSettings.handshakeTimeout),
  limits: fc.oneof(
    { weight: 2, arbitrary: fc.constant({ total: {}, user: {} }) },
    {
      weight: 1,
      arbitrary: fc.record({
        total: fc.record({ subscriptions: fc.nat(4), clients: fc.integer({ min: 1, max: 6 }) }, { requiredKeys: [] }),
        user: fc.record({ services: fc.nat(3), clients: fc.nat(3) }, { requiredKeys: [] }),
      }),
    },
  ),
});

/** Run `events` from `s`, collecting the state after each step and every effect. */
const run = (s: DomainState, events: readonly Event[]): { states: string[]; effects: string[]; final: DomainState } => {
  const states: string[] = [];
  const effects: string[] = [];
  for (const e of events) {
    const [next, fx] = reduce(s, e);
    s = next;
    states.push(projectState(s));
    effects.push(...fx.map(showEffect));
  }
  return { states, effects, final: s };
};

describe('state snapshot codec', () => {
  it('round-trips every field and behaves identically on the same further events (property)', () => {
    fc.assert(
      fc.property(
        settingsArb,
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.array(cmdArb, { minLength: 5, maxLength: 80, size: 'max' }),
        fc.array(cmdArb, { minLength: 1, maxLength: 40, size: 'max' }),
        (settings, seed, before, after) => {
          const events = toEvents([...before, ...after]);
          const cut = toEvents(before).length;
          const s = run(initialDomainState(settings, seed, T0), events.slice(0, cut)).final;
          const back = roundTrip(s);
          expect(projectState(back)).toBe(projectState(s));
          expect(roundTrip(back)).toEqual(back);
          const live = run(s, events.slice(cut));
          const replayed = run(back, events.slice(cut));
          expect(replayed.effects).toEqual(live.effects);
          expect(replayed.states).toEqual(live.states);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('keeps a busy state exact: orphans, tracked connections, subscriptions, per-user counters', () => {
    const d = new Domain({ idleMin: 1, idleMax: 8 });
    d.connect(1, 1, { user: 'u1' }).connect(2, 2, { user: 'u2', min: 3, max: 3 }).connect(3, 3, { user: 'u1' });
    d.publish(
      1,
      9223372036854775807n,
      9223372036854775806n,
      { name: ['x'], port: [4711, '4711'], big: [2n ** 70n] },
      5,
    );
    d.publish(1, 2, 0, { z: ['1'], a: ['2'] }, 0x7fffffffffffffffn, 101);
    d.subscribe(3, 7, '(&(name=x)(port>100))').subscribe(3, 8, undefined, 201).subscribe(2, 9, '(name=x*)', 202);
    d.track(2).at(1.7).inform(2, 'reply').close(1).at(2.3);
    const s = d.state;
    expect(s.services.size).toBe(2);
    expect([...s.services.values()].every((x) => x.orphanSince !== undefined)).toBe(true);
    const back = roundTrip(s);
    expect(projectState(back)).toBe(projectState(s));
    const svc = back.services.get(9223372036854775807n)!;
    expect([...svc.props]).toEqual([
      ['name', ['x']],
      ['port', [4711n, '4711']],
      ['big', [2n ** 70n]],
    ]);
    expect(svc.generation).toBe(9223372036854775806n);
    // the decoded state goes on exactly like the original
    const more: Event[] = [
      { type: 'tick', now: T0 + 3.5 },
      { type: 'accepted', now: T0 + 4, conn: 4, address: 'ux:x', user: 'u1', transport: 'ux' },
      {
        type: 'message',
        now: T0 + 4,
        conn: 4,
        msg: wire(
          request('hello', 0, { 'client-id': 1, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 }),
        ),
      },
      { type: 'tick', now: T0 + 20 },
    ];
    // as in the property above: every step's state (projected: a service's record slot and a restored record's
    // positions are look-up hints, not state) and every effect
    const [live, replayed] = [run(s, more), run(back, more)];
    expect(replayed.states).toEqual(live.states);
    expect(replayed.effects).toEqual(live.effects);
  });

  it('keeps doubles exact, including integral, huge, non-finite values and -0', () => {
    const s0 = new Domain().connect(1, 1).state;
    const conn = s0.conns.get(1)!;
    for (const x of [0.1 + 0.2, 2 ** 60, 1e21, 1.7e308, 5e-324, -0, Infinity, -Infinity, NaN, T0 + 1e-6]) {
      const s = { ...s0, now: x, conns: s0.conns.set(1, { ...conn, latency: x, timerAt: x }) };
      const back = roundTrip(s);
      expect(Object.is(back.now, x)).toBe(true);
      expect(Object.is(back.conns.get(1)!.latency, x)).toBe(true);
    }
  });

  it('is carried by a snapshot line', () => {
    const s = new Domain()
      .connect(1, 1)
      .subscribe(1, 3, '(a=1)')
      .publish(1, 5, 0, { a: ['1'] }, 3).state;
    const line = encodeSnapshotLine(2, 41, s);
    expect(line.startsWith(`{"v":${LOG_VERSION},"kind":"snapshot","d":2,"seq":41,"state":{"settings":`)).toBe(true);
    const r = decodeLine(line);
    if (E.isLeft(r) || r.right.kind !== 'snapshot') throw new Error('not a snapshot');
    expect(r.right.d).toBe(2);
    expect(r.right.seq).toBe(41);
    expect(projectState(r.right.state)).toBe(projectState(s));
    expect(E.isRight(decodeLine(encodeSnapshotLine(0, -1, initialDomainState())))).toBe(true);
  });

  it('reads a snapshot written before the state had sliced work (no work, no held: nothing pending)', () => {
    const s = new Domain()
      .connect(1, 1)
      .subscribe(1, 3, '(a=1)')
      .publish(1, 5, 0, { a: ['1'] }, 3).state;
    expect(s.work.size).toBe(0);
    expect(s.held.size).toBe(0);
    const { work: _w, held: _h, ...old } = encodeDomainState(s) as Record<string, unknown>;
    const r = decodeDomainState(old);
    if (E.isLeft(r)) throw new Error(r.left);
    expect(projectState(r.right)).toBe(projectState(s));
    // nor did its subscriptions have a creation time: they count as older than any close to come
    const subs = (old.subscriptions as Array<Record<string, unknown>>).map(({ createdAt: _c, ...x }) => x);
    const r2 = decodeDomainState({ ...old, subscriptions: subs });
    if (E.isLeft(r2)) throw new Error(r2.left);
    expect([...r2.right.subscriptions.values()].map((x) => x.createdAt)).toEqual([0]);
    // only both missing is the old format: one of them alone is damage
    expect(E.isLeft(decodeDomainState({ ...old, work: [] }))).toBe(true);
  });

  it('an old snapshot with orphans (records without closeSeq) continues as the state it was written from', () => {
    // orphans of a closed client, all orphaned (nothing pending: what an old snapshot could hold)
    const d = new Domain({}, 7, 4).connect(9, 99).subscribe(9, 1).connect(1, 1);
    for (let i = 1; i <= 12; i++) d.publish(1, i, 0, { a: [String(i)] }, 5);
    d.at(1).close(1).drain().clear();
    const { work: _w, held: _h, ...json } = encodeDomainState(d.state) as Record<string, unknown>;
    const old = {
      ...json,
      records: (json.records as Array<Record<string, unknown>>).map(({ closeSeq: _c, ...r }) => r),
      subscriptions: (json.subscriptions as Array<Record<string, unknown>>).map(({ createdAt: _c, ...x }) => x),
    };
    const r = decodeDomainState(old);
    if (E.isLeft(r)) throw new Error(r.left);
    // past the expiry: one slice of expiries in the tick, the rest overdue while a new subscriber lists
    const run = (state: DomainState): Array<[number, string]> => {
      const c = new Domain({}, 7, 4);
      c.state = state;
      c.now = d.now;
      c.jump(7).connect(3, 33).subscribe(3, 2).drain();
      return [9, 3].flatMap((conn) =>
        c
          .takeParsed(conn)
          .filter((m) => m['msg-type'] === 'notify')
          .map((m): [number, string] => [conn, `${String(m['match-type'])} ${String(m['service-id'])}`]),
      );
    };
    const continued = run(r.right);
    expect(continued.filter(([conn]) => conn === 9)).toHaveLength(12); // the old subscriber sees every expiry
    expect(continued.filter(([conn]) => conn === 3)).toEqual([]); // the new one never saw them: told nothing
    expect(continued).toEqual(run(d.state));
  });

  it('rejects a damaged snapshot with the path of the problem', () => {
    const s = new Domain().connect(1, 1).subscribe(1, 3, '(a=1)').state;
    const json = encodeDomainState(s) as Record<string, unknown>;
    const subs = json.subscriptions as Array<Record<string, unknown>>;
    expect(decodeDomainState({ ...json, subscriptions: [{ ...subs[0], filterText: '(a=' }] })).toEqual(
      E.left(expect.stringMatching(/^invalid state snapshot: subscription 3: invalid filter/)),
    );
    const conns = json.conns as Array<Record<string, unknown>>;
    expect(decodeDomainState({ ...json, conns: [{ ...conns[0], idle: 'sleepy' }] })).toEqual(
      E.left(expect.stringContaining("'conns.0.idle'")),
    );
    expect(E.isLeft(decodeDomainState({ ...json, rng: undefined }))).toBe(true);
    expect(E.isLeft(decodeDomainState({ ...json, services: [...(json.services as unknown[]), 1] }))).toBe(true);
    expect(E.isLeft(decodeLine('{"v":1,"kind":"snapshot","d":0,"seq":-2,"state":{}}'))).toBe(true);
  });
});

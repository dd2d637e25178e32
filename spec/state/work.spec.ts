/**
 * Sliced work (lib/state/work.ts, issue 12): orphaning, expiry and listings run in bounded slices driven by `work`
 * events, and every ordering promise of the unsliced reducer still holds. The reference is the same reducer with an
 * unbounded budget (every job done in the event that starts it).
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { parseJson, stringifyJson } from '../../lib/codec/json';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import { showEffect } from '../replay/state-projection';

import type { DomainState } from '../../lib/state/model';
import { type CloseRule, hasWork, workSlicesAtLeast } from '../../lib/state/work';
import { Domain, T0 } from '../helpers/builders';

const U = 'ip:10.0.0.1';

/** Run work events until nothing is left; returns how many it took. */
const drain = (d: Domain): number => {
  let n = 0;
  while (hasWork(d.state)) {
    d.work();
    if (++n > 100_000) throw new Error('work does not finish');
  }
  return n;
};

const notifies = (d: Domain, conn: number) => d.takeParsed(conn).filter((m) => m['msg-type'] === 'notify');

describe('sliced orphaning', () => {
  const setup = (slice: number): Domain => {
    const d = new Domain({}, 7, slice).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
    d.connect(1, 7, { user: U });
    for (let i = 1; i <= 40; i++) d.publish(1, i, 0, { n: [i] }, 5);
    return d.clear();
  };

  it('a big close leaves the orphaning to work events, a slice each, in attachment order', () => {
    const d = setup(10);
    d.at(1).close(1);
    const first = notifies(d, 9);
    expect(first).toEqual([]); // 40 services x 2 possible subscribers is over CLOSE_SLICE
    expect(hasWork(d.state)).toBe(true);
    const steps = drain(d);
    expect(steps).toBeGreaterThanOrEqual(3);
    const all = [...first, ...notifies(d, 9)];
    expect(all.map((m) => m['service-id'])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(all.map((m) => m['orphan-since']))).toEqual(new Set([T0 + 1]));
    for (const s of d.state.services.values()) expect(s.orphanSince).toBe(T0 + 1);
  });

  it('a bystander is served between slices', () => {
    const d = setup(10);
    d.connect(5, 55, { user: 'ip:10.0.0.5' }).clear();
    d.at(1).close(1);
    d.ping(5, 77);
    expect(d.takeParsed(5)).toEqual([{ 'ta-cmd': 'ping', 'ta-id': 77, 'msg-type': 'complete' }]);
    expect(hasWork(d.state)).toBe(true);
  });

  it('an event touching a service whose orphaning is pending orphans it first (one service, in order)', () => {
    const d = setup(5);
    d.at(1).close(1);
    d.clear();
    d.connect(2, 7, { user: U }).publish(2, 40, 0, { n: [40] }, 5); // reclaim the last one, still pending
    const n = notifies(d, 9).filter((m) => m['service-id'] === 40);
    expect(n.map((m) => m['orphan-since'] ?? null)).toEqual([T0 + 1, null]);
    drain(d);
    expect(notifies(d, 9).filter((m) => m['service-id'] === 40)).toEqual([]);
  });

  it('a listing during pending orphaning shows every service as an orphan, and is not told again', () => {
    const d = setup(5);
    d.at(1).close(1);
    d.connect(3, 33, { user: 'ip:10.0.0.3' }).clear();
    d.subscribe(3, 2, undefined, 500);
    drain(d);
    const appeared = notifies(d, 3);
    expect(appeared).toHaveLength(40);
    for (const m of appeared) expect(m['orphan-since']).toBe(T0 + 1);
  });
});

it('connections closed in the same turn: no orphan notification is built for the subscribers among them', () => {
  const d = new Domain();
  for (let c = 1; c <= 60; c++) {
    d.connect(c, c, { user: U }).subscribe(c, c, '(name=*)', 200 + c);
    for (let i = 0; i < 5; i++) d.publish(c, c * 10 + i, 0, { name: [`s${c}-${i}`] }, 2);
    d.drain(); // big initial listings hold their connection until done
  }
  d.connect(99, 99, { user: 'ip:10.0.0.9' }).subscribe(99, 99, '(name=*)', 999).drain().clear();
  const [next, fx] = reduceAll(
    d.state,
    Array.from({ length: 60 }, (_, i) => ({ type: 'closed', now: T0, conn: i + 1, cause: 'eof' }) as const),
  );
  // unsliced, closing conn k would notify the 60 - k subscribers still open: 5 x 1,770 notifications; the first closes
  // are too big to orphan at once, and the last ones (few subscribers left, under CLOSE_SLICE) go behind them
  // (CloseRule 'after-queued'): nothing is built in the closes' batch
  expect(fx.filter((f) => f.type === 'send')).toEqual([]);
  // under the rule of logs of schema version 4 the last closes orphan at once, for subscribers closing with them
  const [, fx4] = reduceAll(
    d.state,
    Array.from({ length: 60 }, (_, i) => ({ type: 'closed', now: T0, conn: i + 1, cause: 'eof' }) as const),
    undefined,
    undefined,
    false,
    'at-once',
  );
  const toClosing4 = fx4.filter((f) => f.type === 'send' && f.conn !== 99).length;
  expect(toClosing4).toBeGreaterThan(0);
  expect(toClosing4).toBeLessThan(885);
  d.state = next;
  d.drain();
  expect(d.log.filter((e) => e.conn !== 99)).toEqual([]); // the work events build nothing for closed subscribers
  const seen = fx.filter((f) => f.type === 'send' && f.conn === 99).length + notifies(d, 99).length;
  expect(d.state.services.size).toBe(300);
  expect(seen).toBe(300); // the subscriber left sees every orphaning
});

it('expiries due during a wave of closes carried over turns: none is built for a subscriber whose close is folded', () => {
  const d = new Domain();
  d.connect(99, 99, { user: 'ip:10.0.0.9' }).subscribe(99, 99, '(name=*)', 999).drain();
  // an earlier wave: 300 orphans whose expiry (TTL 2) comes due during the next one
  d.connect(100, 100, { user: U });
  for (let i = 0; i < 300; i++) d.publish(100, 5000 + i, 0, { name: [`old-${i}`] }, 2);
  for (let c = 1; c <= 60; c++) {
    d.connect(c, c, { user: U }).subscribe(c, c, '(name=*)', 200 + c);
    for (let i = 0; i < 5; i++) d.publish(c, c * 10 + i, 0, { name: [`s${c}-${i}`] }, 60);
    d.drain(); // big initial listings hold their connection until done
  }
  d.clear().close(100).drain().clear();
  // the wave: 60 closes at T0 + 3 (the 300 orphans are overdue), folded in 3 chunks of 20 as the domain loop carries
  // them over turns (no work slice runs while closes are pending), each close of a chunk a little later
  const wave = (rule?: CloseRule): { toClosing: number; toWatcher: number; next: DomainState } => {
    let state = d.state;
    let toClosing = 0;
    let toWatcher = 0;
    for (let chunk = 0; chunk < 3; chunk++) {
      const closes = Array.from(
        { length: 20 },
        (_, i) =>
          ({ type: 'closed', now: T0 + 3 + chunk * 0.01 + i * 1e-4, conn: chunk * 20 + i + 1, cause: 'eof' }) as const,
      );
      const [next, fx] = reduceAll(state, closes, undefined, undefined, false, rule);
      for (const f of fx)
        if (f.type === 'send') {
          if (f.conn === 99) toWatcher++;
          else toClosing++;
        }
      state = next;
    }
    return { toClosing, toWatcher, next: state };
  };
  // under the rule of logs of schema version 5 each close first expires a slice of the overdue orphans, for every
  // subscriber of the wave whose close is not folded yet (the close's own among them)
  const v5 = wave('after-queued');
  expect(v5.toClosing).toBeGreaterThan(300);
  // now a close is folded first and expires nothing: the closes' batches build no notification at all
  const v6 = wave();
  expect(v6.toClosing).toBe(0);
  expect(v6.toWatcher).toBe(0);
  expect(hasWork(v6.next)).toBe(true);
  d.state = v6.next;
  d.drain(); // the work events after the wave: the 300 expiries and the 300 orphanings, for the watcher only
  expect(d.log.filter((e) => e.conn !== 99)).toEqual([]);
  const seen = notifies(d, 99);
  expect(seen.filter((m) => m['match-type'] === 'disappeared')).toHaveLength(300);
  expect(seen.filter((m) => m['match-type'] === 'modified')).toHaveLength(300);
  expect(new Set(seen.map((m) => JSON.stringify([m['match-type'], m['service-id']]))).size).toBe(600); // each told once
  expect(d.state.services.size).toBe(300);
});

describe('sliced expiry', () => {
  it('thousands of orphans expiring at once go in slices; a subscriber is told of each exactly once', () => {
    const d = new Domain({}, 7, 50).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
    d.connect(1, 7, { user: U });
    for (let i = 1; i <= 300; i++) d.publish(1, i, 0, {}, 2);
    d.at(1).close(1);
    drain(d);
    d.clear();
    d.jump(3.5);
    const first = notifies(d, 9);
    expect(first.length).toBeLessThanOrEqual(50);
    expect(hasWork(d.state)).toBe(true);
    drain(d);
    const all = [...first, ...notifies(d, 9)];
    expect(all).toHaveLength(300);
    expect(all.every((m) => m['match-type'] === 'disappeared')).toBe(true);
    expect(d.state.services.size).toBe(0);
  });

  it('an overdue orphan is not listed, and a subscription created meanwhile is not told it disappeared', () => {
    const d = new Domain({}, 7, 20).connect(1, 7, { user: U });
    for (let i = 1; i <= 100; i++) d.publish(1, i, 0, {}, 1);
    d.close(1);
    drain(d);
    d.jump(2).connect(3, 33, { user: 'ip:10.0.0.3' }).clear();
    expect(hasWork(d.state)).toBe(true);
    d.subscribe(3, 2, undefined, 500);
    drain(d);
    expect(notifies(d, 3)).toEqual([]);
  });
});

describe('sliced listings', () => {
  it('a services listing is a snapshot; the connection waits, its later requests are answered after it', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 50; i++) d.publish(1, i, 0, { n: [i] }, 30);
    d.connect(2, 8, { user: U }).clear();
    d.req(2, 'services', 600);
    d.ping(2, 601);
    d.unpublish(1, 50); // after the request: the listing still shows it
    d.publish(1, 51, 0, {}, 30); // ...and not this one
    drain(d);
    const out = d.takeParsed(2);
    const ids = out.filter((m) => m['msg-type'] === 'notify').map((m) => m['service-id']);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(out.slice(-2)).toEqual([
      { 'ta-cmd': 'services', 'ta-id': 600, 'msg-type': 'complete' },
      { 'ta-cmd': 'ping', 'ta-id': 601, 'msg-type': 'complete' },
    ]);
  });

  it('a subscriber sees its initial matches before any change, each service in order', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 50; i++) d.publish(1, i, 0, { n: [i] }, 30);
    d.connect(2, 8, { user: U }).clear();
    d.subscribe(2, 1, undefined, 700);
    d.publish(1, 3, 1, { n: [3, 'x'] }, 30);
    drain(d);
    const out = notifies(d, 2);
    expect(out).toHaveLength(51);
    expect(out.slice(0, 50).every((m) => m['match-type'] === 'appeared')).toBe(true);
    expect(out[2]).toMatchObject({ 'service-id': 3, generation: 0 });
    expect(out[50]).toMatchObject({ 'match-type': 'modified', 'service-id': 3, generation: 1 });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// model check: a sliced run tells every connection the same things as an unsliced one, per service and per
// transaction in the same order

type Op =
  | { k: 'pub'; c: number; sid: number; gen: number; ttl: number; p: number }
  | { k: 'unpub'; c: number; sid: number }
  | { k: 'sub'; c: number; f: number }
  | { k: 'list'; c: number }
  | { k: 'ping'; c: number }
  | { k: 'close'; c: number }
  | { k: 'open'; c: number }
  | { k: 'bulk'; c: number; n: number }
  | { k: 'time'; dt: number };
const FILTERS = [undefined, '(a=1)', '(a=*)', '(!(a=1))'];
const PROPS: Array<Record<string, string[]>> = [{ a: ['1'] }, { a: ['2'] }, {}];
const CONNS = 3;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant('pub' as const),
    c: fc.nat(CONNS - 1),
    sid: fc.nat(30),
    gen: fc.nat(2),
    ttl: fc.nat(3),
    p: fc.nat(PROPS.length - 1),
  }),
  fc.record({ k: fc.constant('unpub' as const), c: fc.nat(CONNS - 1), sid: fc.nat(30) }),
  fc.record({ k: fc.constant('sub' as const), c: fc.nat(CONNS - 1), f: fc.nat(FILTERS.length - 1) }),
  fc.record({ k: fc.constant('list' as const), c: fc.nat(CONNS - 1) }),
  fc.record({ k: fc.constant('ping' as const), c: fc.nat(CONNS - 1) }),
  fc.record({ k: fc.constant('close' as const), c: fc.nat(CONNS - 1) }),
  fc.record({ k: fc.constant('open' as const), c: fc.nat(CONNS - 1) }),
  fc.record({ k: fc.constant('bulk' as const), c: fc.nat(CONNS - 1), n: fc.integer({ min: 5, max: 25 }) }),
  fc.record({ k: fc.constant('time' as const), dt: fc.integer({ min: 1, max: 20 }).map((n) => n / 10) }),
);

/** Play ops; `workEvery`: work events after each op (the shell asks for one per turn). */
const play = (ops: readonly Op[], slice: number): Domain => {
  const d = new Domain({}, 7, slice);
  const gen = new Map<number, number>(); // conn index → generation of connection ids
  const id = (c: number): number => c + 1 + 10 * (gen.get(c) ?? 0);
  let ta = 1000;
  let sub = 1;
  const open = new Set<number>();
  const ensure = (c: number): number => {
    // a connection with a listing in progress has its input held, as if it had sent later: the reference cannot
    // know that, so the scenario lets its listing finish before it speaks again (other connections do not wait)
    while (d.state.held.has(id(c))) d.work();
    if (!open.has(c)) {
      d.connect(id(c), 7 + c, { user: U });
      open.add(c);
    }
    return id(c);
  };
  let t = 0;
  for (const op of ops) {
    switch (op.k) {
      case 'pub':
        d.publish(ensure(op.c), op.sid, op.gen, PROPS[op.p]!, op.ttl, ta++);
        break;
      case 'unpub':
        d.unpublish(ensure(op.c), op.sid, ta++);
        break;
      case 'sub':
        d.subscribe(ensure(op.c), sub++, FILTERS[op.f], ta++);
        break;
      case 'list':
        d.req(ensure(op.c), 'services', ta++);
        break;
      case 'ping':
        d.ping(ensure(op.c), ta++);
        break;
      case 'bulk':
        for (let i = 0; i < op.n; i++) d.publish(ensure(op.c), 100 + i, 0, PROPS[i % PROPS.length]!, 1, ta++);
        break;
      case 'close':
        if (open.has(op.c)) {
          d.close(id(op.c));
          open.delete(op.c);
          gen.set(op.c, (gen.get(op.c) ?? 0) + 1);
        }
        break;
      case 'open':
        ensure(op.c);
        break;
      case 'time':
        t += op.dt;
        d.jump(t);
        break;
    }
    if (slice < Infinity) d.work(); // one slice per turn, interleaved with the next input
  }
  for (let i = 0; i < 10_000 && hasWork(d.state); i++) d.work();
  return d;
};

/**
 * Per connection and transaction: the messages about each service in order, and the messages of the transaction in
 * order (live notifications about different services, or of different subscriptions, may interleave differently:
 * §7.8 orders them per subscription and service).
 */
const project = (d: Domain): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const e of d.log) {
    // a connection that closed loses what it was not sent yet either way: compare the ones still open
    if (!d.state.conns.has(e.conn)) continue;
    const m = JSON.parse(e.json) as Record<string, unknown>;
    const live = m['ta-cmd'] === 'subscribe' && m['msg-type'] === 'notify';
    const keys = live ? [] : [`${e.conn} ta ${String(m['ta-id'])}`];
    if (m['service-id'] !== undefined) keys.push(`${e.conn} ta ${String(m['ta-id'])} sid ${m['service-id'] as number}`);
    for (const k of keys) (out[k] ??= []).push(e.json);
  }
  return out;
};

it('a sliced run tells every connection the same, per service and per transaction in order (model check)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (ops, slice) => {
      const ref = play(ops, Infinity);
      const sliced = play(ops, slice);
      expect(project(sliced)).toEqual(project(ref));
      expect(sliced.state.services.size).toBe(ref.state.services.size);
    }),
    { numRuns: 300 },
  );
});

it('pending work and held connections survive a state snapshot: the decoded state continues identically', () => {
  const d = new Domain({}, 7, 4).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
  d.connect(1, 7, { user: U });
  for (let i = 1; i <= 30; i++) d.publish(1, i, 0, { a: [i % 3] }, i % 4);
  d.connect(2, 8, { user: U }).connect(3, 9, { user: U }).subscribe(3, 2, '(a=1)');
  d.req(2, 'services', 600).req(2, 'subscriptions', 601).ping(2, 602);
  d.at(0.5).close(1);
  d.jump(2.5);
  expect(d.state.work.size).toBeGreaterThan(0);
  expect(d.state.held.size).toBeGreaterThan(0);
  const text = stringifyJson(encodeDomainState(d.state));
  const back = E.getOrElseW((e: string) => {
    throw new Error(e);
  })(E.chain(decodeDomainState)(parseJson(text)));
  let a = d.state;
  let b = back;
  for (let i = 0; i < 200 && hasWork(a); i++) {
    const ev = { type: 'work', now: T0 + 3 + i / 100 } as const;
    const [a2, fa] = reduceAll(a, [ev], 4);
    const [b2, fb] = reduceAll(b, [ev], 4);
    expect(fb.map(showEffect)).toEqual(fa.map(showEffect));
    a = a2;
    b = b2;
  }
  expect(hasWork(a)).toBe(false);
  expect(hasWork(b)).toBe(false);
  expect(stringifyJson(encodeDomainState(b))).toEqual(stringifyJson(encodeDomainState(a)));
});

it('the budget is per event: a batch folded in one call gives the same state and effects as one call per event', () => {
  const d = new Domain({}, 7, 3).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
  d.connect(1, 7, { user: U }).connect(2, 8, { user: 'ip:10.0.0.2' });
  for (let i = 1; i <= 20; i++) d.publish(1, i, 0, { a: [i % 2] }, i % 3);
  d.req(2, 'services', 600).ping(2, 601).close(1).work().ping(2, 602).work();
  d.jump(1.5).work().work();
  d.drain();
  const [batched, fx] = reduceAll(initialDomainState({ ...defaultSettings }, 7, T0), d.events, 3);
  expect(stringifyJson(encodeDomainState(batched))).toEqual(stringifyJson(encodeDomainState(d.state)));
  expect(fx.map(showEffect)).toEqual(d.effects.map(showEffect));
});

describe('sliced work and connections that go away', () => {
  it('a listing whose connection closes is dropped: nothing more is built for it, the state holds nothing for it', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 50; i++) d.publish(1, i, 0, { n: [i] }, 30);
    d.connect(2, 8, { user: U }).clear();
    d.req(2, 'services', 600);
    expect(d.state.work.size).toBe(1);
    expect(d.state.held.has(2)).toBe(true);
    d.close(2);
    expect(d.state.held.has(2)).toBe(false);
    d.work(); // the job finds its connection gone and ends at once
    expect(d.state.work.size).toBe(0);
    expect(hasWork(d.state)).toBe(false);
  });

  it('a `subscriptions` listing whose connection closes is dropped the same way: nothing more is sent to it', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 30; i++) d.subscribe(1, i, `(n=${i})`, 200 + i);
    d.connect(2, 8, { user: U }).clear();
    d.req(2, 'subscriptions', 600);
    const first = notifies(d, 2);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(30); // the rest waits for work events
    expect(d.state.work.first()?.kind).toBe('subscriptions');
    d.close(2);
    const fx = d.step({ type: 'work', now: d.now }); // the job finds its connection gone and ends at once
    expect(fx.filter((f) => f.type === 'send')).toEqual([]);
    expect(d.state.work.size).toBe(0);
    expect(hasWork(d.state)).toBe(false);
    // the same listing on an open connection is completed, every subscription once (the guard is what differs)
    d.connect(3, 9, { user: U }).clear();
    d.req(3, 'subscriptions', 601).drain();
    const all = d.takeParsed(3);
    expect(all.filter((m) => m['msg-type'] === 'notify')).toHaveLength(30);
    expect(all.at(-1)).toEqual({ 'ta-cmd': 'subscriptions', 'ta-id': 601, 'msg-type': 'complete' });
  });

  it('an event touching an orphan whose expiry is overdue but not yet processed expires it first', () => {
    const d = new Domain({}, 7, 10).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
    d.connect(1, 7, { user: U });
    for (let i = 1; i <= 30; i++) d.publish(1, i, 0, { n: [i] }, 1);
    d.at(1).close(1);
    drain(d);
    d.connect(2, 8, { user: U }).clear();
    d.jump(3); // past the orphans' expiry (TTL 1 s from 1 s): the tick expires one slice of them, not the last one
    expect(d.state.services.get(30n)?.orphanSince).toBe(T0 + 1);
    d.clear();
    d.publish(2, 30, 0, { n: [30] }, 30); // a new service with that id, by another client
    const out = notifies(d, 9)
      .filter((m) => m['service-id'] === 30)
      .map((m) => [m['match-type'], m['service-id'], m['client-id']]);
    // the old one disappears (expired), then the new one appears: never a reclaim of an expired orphan
    expect(out).toEqual([
      ['disappeared', 30, undefined],
      ['appeared', 30, 8],
    ]);
  });
});

describe('workSlicesAtLeast (how many work events the shell may fold as one batch)', () => {
  it('counts the positions the jobs have left, a unit each, per slice; never more than the work events needed', () => {
    const d = new Domain({}, 7, 10).connect(9, 99, { user: 'ip:10.0.0.9', max: 2 }).subscribe(9, 1);
    d.connect(1, 7, { user: U });
    for (let i = 1; i <= 40; i++) d.publish(1, i, 0, { n: [i] }, 5);
    d.clear();
    expect(workSlicesAtLeast(d.state, 10)).toBe(0);
    d.at(1).close(1);
    // 40 positions to visit (and 40 notifications): at least 4 slices of 10, in fact 8
    expect(workSlicesAtLeast(d.state, 10)).toBe(4);
    let events = 0;
    while (hasWork(d.state)) {
      const least = workSlicesAtLeast(d.state, 10);
      // each of `least` events still finds work: fold them one by one and check
      for (let i = 0; i < least; i++) {
        expect(hasWork(d.state)).toBe(true);
        d.work();
        events++;
      }
    }
    expect(events).toBe(8);
    expect(workSlicesAtLeast(d.state, 10)).toBe(0);
  });

  it('counts the candidates an indexed subscribe and the subscriptions a listing have left', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 40; i++) d.publish(1, i, 0, { name: ['a'], n: [i] }, 5);
    d.connect(3, 33, { user: 'ip:10.0.0.3' }).clear();
    d.subscribe(3, 1, '(name=a)');
    const job = d.state.work.first();
    expect(job?.kind === 'subscribe' && job.ids !== undefined).toBe(true);
    const left = workSlicesAtLeast(d.state, 10);
    expect(left).toBeGreaterThanOrEqual(3);
    expect(left).toBeLessThanOrEqual(4);
    while (hasWork(d.state)) d.work();
    for (let i = 2; i <= 30; i++) d.subscribe(3, i, undefined, 1000 + i);
    while (hasWork(d.state)) d.work();
    expect(d.state.subscriptions.size).toBe(30);
    d.clear().req(3, 'subscriptions', 7);
    expect(d.state.work.first()?.kind).toBe('subscriptions');
    expect(workSlicesAtLeast(d.state, 10)).toBeGreaterThanOrEqual(2);
    d.close(3);
    expect(workSlicesAtLeast(d.state, 10)).toBe(1); // its connection gone: one event ends it
  });

  it('a listing whose connection is gone needs one event (it ends at once); overdue expiries alone need one', () => {
    const d = new Domain({}, 7, 10).connect(1, 7, { user: U });
    for (let i = 1; i <= 40; i++) d.publish(1, i, 0, { n: [i] }, 5);
    d.connect(3, 33, { user: 'ip:10.0.0.3' }).clear();
    d.req(3, 'services', 5);
    expect(workSlicesAtLeast(d.state, 10)).toBe(4); // 40 services listed, about 10 a slice
    d.close(3);
    expect(d.state.work.size).toBe(1);
    expect(workSlicesAtLeast(d.state, 10)).toBe(1);
    d.work();
    expect(d.state.work.size).toBe(0);
    // the owner goes; its services are orphaned, then expire all at once, 5 s later
    d.at(1).close(1);
    while (d.state.work.size > 0) d.work();
    d.at(7).ping(1); // (any event lets time pass: the expiries are due)
    expect(hasWork(d.state)).toBe(true);
    expect(d.state.work.size).toBe(0);
    expect(workSlicesAtLeast(d.state, 10)).toBe(1);
  });
});

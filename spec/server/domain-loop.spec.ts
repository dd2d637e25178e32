/**
 * The domain loop's scheduling of sliced work, on virtual time (issue 13): a turn folds its batch, then more `work`
 * slices while its time budget lasts, each slice a batch of its own; inputs that arrive meanwhile are folded at the
 * start of the next turn, before that turn's slices; an overdue orphan expires within one tick. The clock of a turn
 * is the scheduler's frame plus the simulated cost of what the turn folded so far (each fold costs COST ms).
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { domainLoop, drainTurns, type TurnInput } from '../../lib/server/domain-loop';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { CLOSE_RULE, type CloseRule, hasWork } from '../../lib/state/work';
import { request, wire } from '../helpers/builders';

const SLICE = 16;
const COST = 0.25;
const BUDGET = 0.7;

const hello = (conn: number, now: number): Event[] => [
  { type: 'accepted', now, conn, address: `a${conn}`, user: `u${conn}`, transport: 'tcp' },
  {
    type: 'message',
    now,
    conn,
    msg: wire(request('hello', 0, { 'client-id': conn, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 })),
  },
];
const publish = (conn: number, id: number, ttl: number): Event => ({
  type: 'message',
  now: 0,
  conn,
  msg: wire(request('publish', 10 + id, { 'service-id': id, generation: 0, 'service-props': {}, ttl })),
});

/** Client 1 holds `n` services with TTL `ttl`; conn 2 subscribes to everything; conn 3 is a bystander. */
const populated = (n: number, ttl: number): DomainState => {
  const ev: Event[] = [...hello(1, 0), ...hello(2, 0), ...hello(3, 0)];
  ev.push({ type: 'message', now: 0, conn: 2, msg: wire(request('subscribe', 1, { 'subscription-id': 1 })) });
  for (let i = 0; i < n; i++) ev.push(publish(1, i, ttl));
  return reduceAll(initialDomainState(undefined, 7, 0), ev, Infinity)[0];
};

interface HarnessOptions {
  /** Time budget of a turn's sliced work, ms (BUDGET). */
  readonly budgetMs?: number;
  readonly closeRule?: CloseRule;
  /** `false` folds no `closing` event (the loop before it folded them: the reducer learnt of a close only when it
   * folded it). */
  readonly marks?: boolean;
  /** The simulated cost of folding a batch, ms (COST a fold). */
  readonly cost?: (batch: readonly Event[]) => number;
}

/**
 * A loop on `ts`: one turn per frame; each fold costs `cost(batch)` ms of the turn's clock. Records every folded
 * batch, the folds of each turn (by frame) and every effect with the state's time and the frame.
 */
const harness = (ts: TestScheduler, s0: DomainState, inputs$: Subject<Event>, opts: HarnessOptions = {}) => {
  const { budgetMs = BUDGET, closeRule = CLOSE_RULE, marks = true, cost = () => COST } = opts;
  let frame = -1;
  let spent = 0;
  const clock = (): number => {
    if (ts.now() !== frame) [frame, spent] = [ts.now(), 0];
    return (frame + spent) / 1000;
  };
  const state$ = new BehaviorSubject(s0);
  const batches: Event[][] = [];
  const turns: string[][] = [];
  const fx: Array<[number, Effect, number]> = [];
  const fold = (all: Event[]): DomainState => {
    const batch = marks ? all : all.filter((e) => e.type !== 'closing');
    if (batch.length === 0) return state$.value;
    clock();
    spent += cost(batch);
    const [next, f] = reduceAll(state$.value, batch, SLICE, undefined, false, closeRule);
    batches.push(batch);
    for (const e of f) fx.push([next.now, e, frame]);
    if (turns.length === 0 || turns[turns.length - 1]![0] !== String(frame)) turns.push([String(frame)]);
    turns[turns.length - 1]!.push(batch.map((e) => (e.type === 'message' ? e.msg['ta-cmd'] : e.type)).join('+'));
    if (next !== state$.value) state$.next(next);
    return next;
  };
  const loop$ = domainLoop(inputs$, state$, fold, clock, {
    scheduler: ts,
    turn: (fn) => void ts.schedule(fn, 1),
    budgetMs,
  });
  return { loop$, state$, batches, turns, fx };
};

describe('drainTurns', () => {
  it('folds the batch, then batches of work events sized by their measured cost and the work left; no work, no slices', () => {
    let t = 0;
    const folded: string[] = [];
    // a fake domain: a number of slices left; a batch costs 1 ms of clock, a work event 0.5 ms
    let left = 10;
    const fold = (batch: Event[]): number => {
      const work = batch.filter((e) => e.type === 'work').length;
      t += work > 0 ? work * 0.0005 : 0.001;
      folded.push(work > 0 ? `work x${work}` : batch.map((e) => e.type).join('+'));
      left -= work;
      return left;
    };
    const out: number[] = [];
    const batches$ = new Subject<Event[]>();
    batches$
      .pipe(
        drainTurns(
          fold,
          (n) => n,
          () => t,
          2.5,
        ),
      )
      .subscribe((n) => out.push(n));
    batches$.next([{ type: 'tick', now: 0 }]);
    // 1 ms for the batch; then one slice (work starts: slow start), 0.5 ms; then 1 ms left fits 2 by its cost (the
    // dearer of the average and the last), which the growth allows (twice the last batch): the budget is spent
    expect(folded).toEqual(['tick', 'work x1', 'work x2']);
    expect(out).toEqual([7]);
    // the pending work event and 3 more (twice the last batch; 5 would fit), then one more in the 0.5 ms left
    batches$.next([{ type: 'work', now: 0 }]);
    expect(folded.slice(3)).toEqual(['work x4', 'work x1']);
    expect(out).toEqual([7, 2]);
    // 3 would fit after the tick, but the state needs 2 at least: no slice once none is needed
    batches$.next([{ type: 'tick', now: 0 }]);
    expect(folded.slice(5)).toEqual(['tick', 'work x2']);
    expect(out).toEqual([7, 2, 0]);
    batches$.next([{ type: 'tick', now: 0 }]);
    expect(folded.slice(7)).toEqual(['tick']);
  });

  it('a slice that leaves the state as it was (dropped) ends the turn', () => {
    const folded: string[] = [];
    const batches$ = new Subject<Event[]>();
    const out: string[] = [];
    batches$
      .pipe(
        drainTurns(
          (batch: Event[]) => {
            folded.push(batch[0]!.type);
            return 'stuck';
          },
          () => 1,
          () => 0,
        ),
      )
      .subscribe((s) => out.push(s));
    batches$.next([{ type: 'work', now: 0 }]);
    expect(folded).toEqual(['work', 'work']);
    expect(out).toEqual(['stuck']);
  });
});

describe('drainTurns: closes', () => {
  const closed = (conn: number): Event => ({ type: 'closed', now: 0, conn, cause: 'eof' });
  const msg = (conn: number): Event => ({ type: 'message', now: 0, conn, msg: wire(request('ping', conn)) });
  /** A fake domain: each close folded costs `perClose` ms of clock, anything else 0.1 ms; `work` slices left. */
  const domain = (perClose: number, slices: number) => {
    const d = { t: 0, left: slices, folded: [] as string[], carried: [] as Event[][], out: [] as number[] };
    const fold = (batch: Event[]): number => {
      const closes = batch.filter((e) => e.type === 'closed').length;
      const work = batch.filter((e) => e.type === 'work').length;
      d.t += (closes > 0 ? closes * perClose : work > 0 ? work * 0.1 : 0.1) / 1000;
      const first = batch[0]!;
      d.folded.push(
        closes > 0
          ? `closed x${closes}`
          : work > 0
            ? `work x${work}`
            : first.type === 'closing'
              ? `closing x${first.conns.length}`
              : batch.map((e) => e.type).join('+'),
      );
      d.left -= work;
      // every fold changes the state (a fresh number would do; the count of folds is one)
      return d.folded.length;
    };
    const batches$ = new Subject<Event[]>();
    batches$
      .pipe(
        drainTurns(
          fold,
          () => d.left,
          () => d.t,
          3,
          (rest) => d.carried.push(rest as Event[]),
        ),
      )
      .subscribe((n) => d.out.push(n));
    return { d, batches$ };
  };

  it('messages first, then closes in chunks sized by their measured cost, the rest carried; no slice meanwhile', () => {
    const { d, batches$ } = domain(0.02, 100);
    const closes = Array.from({ length: 1000 }, (_, i) => closed(100 + i));
    // the batch as it arrived: closes, a bystander's ping among them, the pending work request
    batches$.next([...closes.slice(0, 500), msg(1), { type: 'work', now: 0 }, ...closes.slice(500)]);
    // the wave's `closing` mark first (0.1 ms), naming all 1,000; the ping alone (0.1 ms); then 2.8 ms left: the
    // first chunk by the assumed cost (0.05 ms a close) is 56; it measured 0.02 ms a close (running average 0.035
    // ms): the next chunk is what fits the 1.68 ms left, 48; then 0.0275 ms a close and 0.72 ms left: 26; 0.02375
    // and 0.2 ms: 8; 0.021875 and 0.04 ms: 1; then less than one close's cost is left
    expect(d.folded).toEqual([
      'closing x1000',
      'message',
      'closed x56',
      'closed x48',
      'closed x26',
      'closed x8',
      'closed x1',
    ]);
    // the rest goes to the next turn, in order; the work request is dropped (the loop asks again after the turn)
    expect(d.carried).toHaveLength(1);
    expect(d.carried[0]).toEqual(closes.slice(139));
    expect(d.left).toBe(100);
    expect(d.out).toEqual([7]);
    // the next turn: the carried closes with a new ping (no second mark: they are named already); the ping first
    // again, then chunks by the measured cost
    batches$.next([...d.carried[0]!, msg(2)]);
    expect(d.folded[7]).toBe('message');
    const chunks = d.folded.slice(8).map((f) => Number(/x(\d+)/.exec(f)![1]));
    expect(chunks[0]).toBeGreaterThan(100); // the measured cost (about 0.02 ms), not the assumed 0.05 ms
    expect(d.t * 1000 - 3).toBeLessThanOrEqual(3.2); // the second turn kept to its budget, give or take a chunk
  });

  it('closes done, the pending work event runs with as many slices as fit, then more batches while the budget lasts', () => {
    const { d, batches$ } = domain(0.01, 100);
    batches$.next([closed(1), closed(2), { type: 'work', now: 0 }, msg(3)]);
    // 0.1 ms for the wave's `closing` mark, 0.1 for the ping, 0.02 for the closes, 0.1 a slice: batches of 1, 2, 4, 8
    // (slow start: twice the last), then the 11 that fit the 1.28 ms left by the running average (0.109 ms, dearer
    // than the last cost); one more while any budget is left
    expect(d.folded).toEqual([
      'closing x2',
      'message',
      'closed x2',
      'work x1',
      'work x2',
      'work x4',
      'work x8',
      'work x11',
      'work x1',
      'work x1',
    ]);
    // as many slices as one work event per fold ran (each 0.1 ms, up to the 3 ms budget), in 7 folds instead of 28
    expect(100 - d.left).toBe(28);
    expect(d.t * 1000).toBeLessThanOrEqual(3.1);
    expect(d.carried).toEqual([]);
  });

  it('without a carry every close is folded in the turn, in chunks', () => {
    const folded: number[] = [];
    let t = 0;
    const batches$ = new Subject<Event[]>();
    batches$
      .pipe(
        drainTurns(
          (batch: Event[]) => {
            t += batch.length * 0.00005;
            folded.push(batch.filter((e) => e.type === 'closed').length);
            return folded.length;
          },
          () => 0,
          () => t,
          1,
        ),
      )
      .subscribe();
    batches$.next(Array.from({ length: 300 }, (_, i) => closed(i)));
    expect(folded[0]).toBe(0); // the `closing` mark, first
    expect(folded.reduce((a, b) => a + b, 0)).toBe(300);
    expect(folded.length).toBeGreaterThan(1);
  });
});

describe('drainTurns: a burst of one connection', () => {
  const ping = (conn: number, id: number): Event => ({ type: 'message', now: 0, conn, msg: wire(request('ping', id)) });
  const idOf = (e: TurnInput): string => (e.type === 'message' ? `${e.conn}:${String(e.msg['ta-id'])}` : `${e.type}`);

  /** drainTurns with a carry; each fold costs `cost` ms an input. */
  const loop = (cost: number) => {
    let t = 0;
    const folded: Event[][] = [];
    const carried: TurnInput[][] = [];
    const batches$ = new Subject<TurnInput[]>();
    batches$
      .pipe(
        drainTurns(
          (batch: Event[]) => {
            t += (batch.length * cost) / 1000;
            folded.push(batch);
            return folded.length;
          },
          () => 0,
          () => t,
          3,
          (later) => carried.push(later),
        ),
      )
      .subscribe();
    return { folded, carried, batches$ };
  };

  it('folds a share of each connection that fits the budget, the rest held in order, its close after it', () => {
    const { folded, carried, batches$ } = loop(0.01);
    // a client with 1,000 requests in flight read in one go, then its close; a bystander's ping last
    const burst = Array.from({ length: 1_000 }, (_, i) => ping(1, i + 1));
    const close: Event = { type: 'closed', now: 0, conn: 1, cause: 'eof' };
    batches$.next([...burst, close, ping(2, 1)]);
    // 300 inputs fit the 3 ms (0.01 ms each, the cost assumed before any was measured): 150 each for the two
    // connections with inputs (the bystander needs one); the bystander's ping first, in a fold of its own (its
    // reply is written before the client's share is folded); the rest of the client's and its close held in the
    // loop, which asks for a next turn
    expect(folded.map((b) => b.length)).toEqual([1, 150]);
    expect(folded.map((b) => b.map(idOf))).toEqual([['2:1'], burst.slice(0, 150).map(idOf)]);
    expect(carried.map((c) => c.map(idOf))).toEqual([['resume']]);
    // each next turn: the request for it and what arrived (another ping of the bystander's, and from turn 3 on a
    // request of the client's, which joins its held ones): the ping is folded in that turn, the client's requests
    // continue in order, and its close comes after the last of them
    const late: Event[] = [];
    for (let turn = 2; carried.length > 0 && turn < 20; turn++) {
      const next = carried.pop()!;
      const n = folded.length;
      if (turn === 3) late.push(ping(1, 5_000));
      batches$.next([...next, ...(turn === 3 ? late : []), ping(2, turn)]);
      expect(folded.slice(n).flat().map(idOf)).toContain(`2:${turn}`);
      // while the client's inputs do not fit, the ping is folded first, on its own
      if (carried.length > 0) expect(folded[n]!.map(idOf)).toEqual([`2:${turn}`]);
      // the loop hands back only its request for a turn, never what it holds
      expect(carried.every((c) => c.length === 1 && c[0]!.type === 'resume')).toBe(true);
    }
    expect(carried).toEqual([]);
    const client = folded.flat().filter((e) => 'conn' in e && e.conn === 1);
    expect(client).toEqual([...burst, ...late, close]);
    expect(folded.length).toBeGreaterThan(4);
    expect(folded.every((b) => b.filter((e) => e.type === 'message').length <= 300)).toBe(true);
  });

  it("a turn's folds are its share, however long the backlog: 100,000 requests of one client", () => {
    const { folded, carried, batches$ } = loop(0.01);
    const burst = Array.from({ length: 100_000 }, (_, i) => ping(1, i + 1));
    batches$.next(burst);
    let turns = 1;
    while (carried.length > 0) {
      batches$.next(carried.pop()!);
      turns++;
    }
    // 300 a turn (all of it one connection's share), in order
    expect(turns).toBe(Math.ceil(100_000 / 300));
    expect(folded.every((b) => b.length <= 300)).toBe(true);
    expect(folded.flat()).toEqual(burst);
  });

  it('without a carry, or when they fit, every input is folded in the turn', () => {
    for (const [carry, cost] of [
      [false, 0.01],
      [true, 0.001],
    ] as const) {
      let t = 0;
      const folded: number[] = [];
      const batches$ = new Subject<Event[]>();
      batches$
        .pipe(
          drainTurns(
            (batch: Event[]) => {
              t += (batch.length * cost) / 1000;
              folded.push(batch.length);
              return folded.length;
            },
            () => 0,
            () => t,
            3,
            carry ? () => undefined : undefined,
          ),
        )
        .subscribe();
      // (with a carry at 0.001 ms an input: 0.0055 ms by the running average after the first batch, 545 fit)
      const second = carry ? 500 : 1_000;
      batches$.next(Array.from({ length: 200 }, (_, i) => ping(1, i)));
      batches$.next(Array.from({ length: second }, (_, i) => ping(1, i)));
      expect(folded).toEqual([200, second]);
    }
  });
});

describe('domainLoop on virtual time', () => {
  it('drains many slices per turn up to the budget; other connections are served between turns', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      // 80 services, one subscriber: orphaning one service is 2 units (visit, notification), 8 per slice of 16
      const inputs$ = new Subject<Event>();
      const h = harness(ts, populated(80, 60), inputs$);
      const sub = h.loop$.subscribe();
      ts.schedule(() => inputs$.next({ type: 'closed', now: 0.01, conn: 1, cause: 'eof' }), 10);
      // the bystander's pings arrive while turns 11 and 12 run (between frames)
      ts.schedule(() => inputs$.next({ type: 'message', now: 0.0115, conn: 3, msg: wire(request('ping', 1)) }), 11.5);
      ts.schedule(() => inputs$.next({ type: 'message', now: 0.0125, conn: 3, msg: wire(request('ping', 2)) }), 12.5);
      ts.schedule(() => sub.unsubscribe(), 100);
      ts.flush();
      // turn 11: the close (a big orphaning is left to work events), then slices while the budget lasts (0.7 ms,
      // 0.25 ms a fold); each later turn folds the inputs that arrived meanwhile first, on their own, then the work
      // event the last turn asked for, alone, then more slices; 10 slices in all
      expect(h.turns).toEqual([
        ['11', 'closed', 'work', 'work'],
        ['12', 'ping', 'work', 'work'],
        ['13', 'ping', 'work', 'work'],
        ['14', 'work', 'work', 'work'],
        ['15', 'work'],
      ]);
      const orphaned = h.fx.filter(([, f]) => f.type === 'change' && f.change.kind === 'modified');
      expect(orphaned).toHaveLength(80);
      expect(h.state$.value.work.size).toBe(0);
      // every ping answered in the turn after it arrived, while the orphaning went on
      const pongs = h.fx.filter(([, f]) => f.type === 'send' && f.conn === 3);
      expect(pongs.map(([, , frame]) => frame)).toEqual([12, 13]);
    });
  });

  it("a client's burst is folded over turns, in order, its replies in order; a bystander's ping in the first", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const inputs$ = new Subject<Event>();
      // 0.01 ms an input: 70 fit the 0.7 ms budget, so a turn folds at least INPUTS_AT_LEAST (256) of them
      const h = harness(ts, populated(0, 60), inputs$, { cost: (batch) => batch.length * 0.01 });
      const sub = h.loop$.subscribe();
      ts.schedule(() => {
        for (let i = 1; i <= 600; i++)
          inputs$.next({ type: 'message', now: 0.01, conn: 1, msg: wire(request('ping', i)) });
        inputs$.next({ type: 'message', now: 0.01, conn: 3, msg: wire(request('ping', 1)) });
        inputs$.next({ type: 'closed', now: 0.01, conn: 1, cause: 'eof' });
      }, 10);
      ts.schedule(() => sub.unsubscribe(), 100);
      ts.flush();
      // turn 11: a share of the client's (the bystander's ping in it); the rest carried to turns 12 and 13, in order
      expect(h.turns.map((t) => t[0])).toEqual(['11', '12', '13']);
      const pongs = h.fx.filter(([, f]) => f.type === 'send' && f.conn === 3);
      expect(pongs.map(([, , frame]) => frame)).toEqual([11]);
      const replies = h.fx.flatMap(([, f]) => (f.type === 'send' && f.conn === 1 ? [Number(f.msg['ta-id'])] : []));
      expect(replies).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      // the close after the last request, in the last turn
      const folded = h.batches.flat().filter((e) => 'conn' in e && e.conn === 1);
      expect(folded[folded.length - 1]!.type).toBe('closed');
      expect(h.state$.value.conns.has(1)).toBe(false);
    });
  });

  it('folds several slices as one batch when they fit, with the effects of one slice per batch; pings still served', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      // 200 services, one subscriber: 400 units, 25 slices of 16; a fold costs 0.05 ms plus 0.04 ms per event
      const s0 = populated(200, 60);
      const inputs$ = new Subject<Event>();
      const h = harness(ts, s0, inputs$, { cost: (batch) => 0.05 + 0.04 * batch.length });
      const sub = h.loop$.subscribe();
      ts.schedule(() => inputs$.next({ type: 'closed', now: 0.01, conn: 1, cause: 'eof' }), 10);
      ts.schedule(() => inputs$.next({ type: 'message', now: 0.0115, conn: 3, msg: wire(request('ping', 1)) }), 11.5);
      ts.schedule(() => sub.unsubscribe(), 100);
      ts.flush();
      const work = h.batches.filter((b) => b[0]!.type === 'work');
      // more than one slice per batch, and exactly the slices the work needed: none found nothing to do
      expect(work.some((b) => b.length > 1)).toBe(true);
      expect(work.reduce((n, b) => n + b.length, 0)).toBe(25);
      expect(work.length).toBeLessThan(work.reduce((n, b) => n + b.length, 0));
      // each turn kept to its budget (0.7 ms), give or take its last batch; the ping came first in its turn
      expect(h.turns.find((t) => t.includes('ping'))![1]).toBe('ping');
      const end = h.state$.value;
      expect(hasWork(end)).toBe(false);
      const fx = h.fx.map(([, f]) => f);
      expect(fx.filter((f) => f.type === 'change' && f.change.kind === 'modified')).toHaveLength(200);
      // the recorded batches folded one event per call (a replay of the log, step by step): the same state and effects
      let s = s0;
      const again: Effect[] = [];
      for (const e of h.batches.flat()) {
        const [next, f] = reduceAll(s, [e], SLICE);
        s = next;
        again.push(...f);
      }
      expect(again).toEqual(fx);
      expect(s.services.size).toBe(end.services.size);
      expect([...s.services.from(0)]).toEqual([...end.services.from(0)]);
    });
  });

  /** `n` clients (conns 10, 11, …) with `services` services (TTL 60 s) and a subscription to everything each. */
  const waveClients = (n = 60, services = 5): Event[] => {
    const ev: Event[] = [];
    for (let c = 10; c < 10 + n; c++) {
      ev.push(...hello(c, 0));
      ev.push({ type: 'message', now: 0, conn: c, msg: wire(request('subscribe', 1, { 'subscription-id': c })) });
      for (let k = 0; k < services; k++) ev.push(publish(c, c * 10 + k, 60));
    }
    return ev;
  };

  it('a mass disconnect: closes over several turns, a ping served first in each, no notification for the closing', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      // 60 clients (conns 10..69) with 5 services and a subscription to everything each; conn 2 watches, 3 pings
      const s0 = reduceAll(populated(0, 60), waveClients(), Infinity)[0];
      const inputs$ = new Subject<Event>();
      const h = harness(ts, s0, inputs$);
      const sub = h.loop$.subscribe();
      ts.schedule(() => {
        for (let c = 10; c < 70; c++) inputs$.next({ type: 'closed', now: 0.01, conn: c, cause: 'eof' });
      }, 10);
      for (const at of [11.5, 12.5])
        ts.schedule(
          () => inputs$.next({ type: 'message', now: at / 1000, conn: 3, msg: wire(request('ping', at * 2)) }),
          at,
        );
      ts.schedule(() => sub.unsubscribe(), 100);
      ts.flush();
      // the wave's `closing` mark first; the closes took more than one turn (0.25 ms a fold, 0.7 ms a turn); each
      // later turn served the ping first
      expect(h.turns[0]![1]).toBe('closing');
      const closing = h.turns.filter((t) => t.some((b) => b.startsWith('closed')));
      expect(closing.length).toBeGreaterThan(1);
      expect(h.turns[1]![1]).toBe('ping');
      expect(h.turns[2]![1]).toBe('ping');
      // no work slice ran before the last close was folded
      const flat = h.turns.flatMap((t) => t.slice(1));
      expect(flat.indexOf('work')).toBeGreaterThan(flat.lastIndexOf('closed'));
      // every service orphaned (the watcher was told of each), the closing told nothing (their orphanings are queued
      // behind the first closes', built once every close is folded), nobody left marked
      const orphaned = h.fx.filter(([, f]) => f.type === 'change' && f.change.kind === 'modified');
      expect(orphaned).toHaveLength(300);
      expect(h.fx.filter(([, f]) => f.type === 'send' && f.conn === 2)).toHaveLength(300);
      expect(h.fx.filter(([, f]) => f.type === 'send' && f.conn >= 10)).toHaveLength(0);
      expect(h.state$.value.work.size).toBe(0);
      expect(h.state$.value.closing.size).toBe(0);
    });
  });

  it('a small wave of closes in one turn: closes orphaned at once tell nothing to the others', () => {
    // 5 clients (conns 10..14) with 1 service and a subscription to everything each, conn 2 watching: a close orphans
    // 1 x (1 + 6 subscriptions) units, under CLOSE_SLICE, so with no work queued it is orphaned in its own event
    const run = (marks: boolean) => {
      const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
      return ts.run(() => {
        const s0 = reduceAll(populated(0, 60), waveClients(5, 1), Infinity)[0];
        const inputs$ = new Subject<Event>();
        const h = harness(ts, s0, inputs$, { marks });
        const sub = h.loop$.subscribe();
        ts.schedule(() => {
          for (let c = 10; c < 15; c++) inputs$.next({ type: 'closed', now: 0.01, conn: c, cause: 'eof' });
        }, 10);
        ts.schedule(() => sub.unsubscribe(), 100);
        ts.flush();
        return {
          toClosing: h.fx.filter(([, f]) => f.type === 'send' && f.conn >= 10).length,
          toWatcher: h.fx.filter(([, f]) => f.type === 'send' && f.conn === 2).length,
        };
      });
    };
    // without the mark each close (orphaned at once: no work queued) was told to the subscribers closing after it in
    // the batch, 4 + 3 + 2 + 1
    expect(run(false)).toEqual({ toClosing: 10, toWatcher: 5 });
    expect(run(true)).toEqual({ toClosing: 0, toWatcher: 5 });
  });

  it('orphans due while a wave of closes is carried over turns: expiry starts at its tick, none in the closes', () => {
    // client 1 holds 20 services (TTL 1 s), watched by conn 2; 60 clients (conns 10..69) with 5 services (TTL 60 s)
    // and a subscription to everything each. Client 1 closes at 10 ms: its 20 services are due at 1.01 s; the wave of
    // 60 closes arrives in the turn before, so it is still being folded (carried from turn to turn) when they come due
    const run = (rule: CloseRule, marks: boolean) => {
      const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
      return ts.run(() => {
        const s0 = reduceAll(populated(20, 1), waveClients(), Infinity)[0];
        const inputs$ = new Subject<Event>();
        const h = harness(ts, s0, inputs$, { closeRule: rule, marks });
        const sub = h.loop$.subscribe();
        ts.schedule(() => inputs$.next({ type: 'closed', now: 0.01, conn: 1, cause: 'eof' }), 10);
        ts.schedule(() => {
          for (let c = 10; c < 70; c++) inputs$.next({ type: 'closed', now: 1.009, conn: c, cause: 'eof' });
        }, 1009);
        ts.schedule(() => sub.unsubscribe(), 5000);
        ts.flush();
        const frames = (kind: string): number[] =>
          h.fx.filter(([, f]) => f.type === 'change' && f.change.kind === kind).map(([, , frame]) => frame);
        const closing = h.turns.filter((t) => t.some((b) => b.startsWith('closed')) && Number(t[0]) >= 1010);
        // expiries told to subscribers of the wave (all of them closing)
        const toClosing = h.fx.filter(
          ([, f, frame]) =>
            frame >= 1010 &&
            f.type === 'send' &&
            f.conn >= 10 &&
            (f.msg as Record<string, unknown>)['match-type'] === 'disappeared',
        ).length;
        return { h, removed: frames('removed'), modified: frames('modified'), closing, toClosing };
      });
    };
    const cases = [
      ['after-queued', false],
      ['close-first', false],
      ['close-first', true],
    ] as const;
    for (const [rule, marks] of cases) {
      const { h, removed, modified, closing, toClosing } = run(rule, marks);
      expect(removed).toHaveLength(20);
      // the wave took several turns (0.25 ms a fold, 0.7 ms a turn); the expiry started in the turn of the deadline,
      // its tick first (after the wave's `closing` mark), folded before the closes carried into that turn
      expect(closing.length).toBeGreaterThan(3);
      expect(h.turns.find((t) => t[0] === '1010')!.slice(1, marks ? 3 : 2)).toEqual(
        marks ? ['closing', 'tick'] : ['tick'],
      );
      expect(Math.min(...removed)).toBe(1010);
      const lastClose = Number(closing[closing.length - 1]![0]);
      // and the wave's orphaning (300 services) came after, once its closes were all folded
      expect(Math.min(...modified.filter((f) => f > 1000))).toBeGreaterThanOrEqual(lastClose);
      if (rule === 'after-queued') {
        // schema version 5: each close event's budget went to the expiry before its close, so it was done before the
        // wave's last close was folded, and each expiry was told to every subscriber whose close was still to be
        // folded, 60 at first (a SLICE of 16 units a time)
        expect(Math.max(...removed)).toBeLessThan(lastClose);
        expect(toClosing).toBe(1029);
      } else {
        // now the closes expire nothing. Without the `closing` mark, the tick's slice (its 16 units: 1 visit + 15
        // notifications, one expiry told to the 60 subscribers still open, over the slice by its last) was told to
        // the carried wave, which the reducer did not know of; with it, nothing is told to the wave. The rest of the
        // expiry runs after the wave's last close (here in that close's turn with the mark, in the next without:
        // the closes fall into other chunks), for the watcher only, before the wave's orphaning
        expect(toClosing).toBe(marks ? 0 : 60);
        expect(Math.max(...removed)).toBe(marks ? lastClose : lastClose + 1);
        expect(Math.max(...removed)).toBeLessThanOrEqual(Math.min(...modified.filter((f) => f > 1000)));
      }
    }
  });

  it('with no budget left after the batch, one slice per turn still runs: the work always progresses', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const inputs$ = new Subject<Event>();
      // 24 services: the close orphans the first slice itself (48 units <= CLOSE_SLICE), two work slices follow
      const s0 = populated(24, 60);
      const h = harness(ts, s0, inputs$);
      const loop$ = domainLoop(
        inputs$,
        h.state$,
        (batch) => {
          const [next] = reduceAll(h.state$.value, batch, SLICE);
          h.turns.push([String(ts.now()), batch.map((e) => e.type).join('+')]);
          h.state$.next(next);
          return next;
        },
        () => ts.now() / 1000,
        { scheduler: ts, turn: (fn) => void ts.schedule(fn, 1), budgetMs: 0 },
      );
      const sub = loop$.subscribe();
      ts.schedule(() => inputs$.next({ type: 'closed', now: 0.005, conn: 1, cause: 'eof' }), 5);
      ts.schedule(() => sub.unsubscribe(), 100);
      ts.flush();
      expect(h.turns).toEqual([
        ['6', 'closed'],
        ['7', 'work'],
        ['8', 'work'],
      ]);
      expect(hasWork(h.state$.value)).toBe(false);
    });
  });

  it('orphans whose expiry is due expire within one tick, their fan-out drained in the turn of the tick', () => {
    // 10 services with TTL 1 s and 6 subscribers: expiring them is 10 x (1 + 6) units, five slices of 16
    const run = (budgetMs: number): { late: number[]; turns: number } => {
      const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
      let removed: number[] = [];
      let turns = 0;
      ts.run(() => {
        let s0 = populated(10, 1);
        const ev: Event[] = [];
        for (let c = 10; c < 15; c++) {
          ev.push(...hello(c, 0));
          ev.push({ type: 'message', now: 0, conn: c, msg: wire(request('subscribe', 1, { 'subscription-id': c })) });
        }
        s0 = reduceAll(s0, ev, Infinity)[0];
        const inputs$ = new Subject<Event>();
        const h = harness(ts, s0, inputs$, { budgetMs });
        const sub = h.loop$.subscribe();
        ts.schedule(() => inputs$.next({ type: 'closed', now: 0.01, conn: 1, cause: 'eof' }), 10);
        ts.schedule(() => sub.unsubscribe(), 5000);
        ts.flush();
        const gone = h.fx.filter(([, f]) => f.type === 'change' && f.change.kind === 'removed');
        removed = gone.map(([at]) => at);
        turns = new Set(gone.map(([, , frame]) => frame)).size;
        expect(h.state$.value.work.size).toBe(0);
        expect(hasWork(h.state$.value)).toBe(false);
        // every subscriber was told of every expiry
        const told = h.fx.filter(
          ([, f]) => f.type === 'send' && (f.msg as Record<string, unknown>)['match-type'] === 'disappeared',
        );
        expect(told).toHaveLength(10 * 6);
      });
      expect(removed).toHaveLength(10);
      // orphaned at the close's turn (frame 11: orphan-since 0.01 s, the close's time), TTL 1 s: due at 1.01 s
      return { late: removed.map((at) => Math.round((at - 1.01) * 1e6) / 1e3), turns };
    };
    // the tick fires at 1.01 s and is folded in the next turn (1 ms later in this harness), with the slices after it
    // at 0.25 ms each: every expiry done in that one turn, at most that 1 ms + the budget (2 ms) late
    const { late, turns } = run(2);
    expect(turns).toBe(1);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...late)).toBeLessThanOrEqual(3);
    // one slice per turn (no budget): the fan-out of 70 units takes 5 slices of 16, a turn (1 ms) each
    const slow = run(0);
    expect(slow.turns).toBe(4);
    expect(Math.max(...slow.late)).toBeGreaterThan(Math.max(...late) + 1);
  });
});

/**
 * The domain loop's scheduling of sliced work, on virtual time (issue 13): a turn folds its batch, then more `work`
 * slices while its time budget lasts, each slice a batch of its own; inputs that arrive meanwhile are folded at the
 * start of the next turn, before that turn's slices; an overdue orphan expires within one tick. The clock of a turn
 * is the scheduler's frame plus the simulated cost of what the turn folded so far (each fold costs COST ms).
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { domainLoop, drainTurns } from '../../lib/server/domain-loop';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { hasWork } from '../../lib/state/work';
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

/** A loop on `ts`: one turn per frame; each fold costs COST ms of the turn's clock. */
const harness = (ts: TestScheduler, s0: DomainState, inputs$: Subject<Event>, budgetMs = BUDGET) => {
  let frame = -1;
  let spent = 0;
  const clock = (): number => {
    if (ts.now() !== frame) [frame, spent] = [ts.now(), 0];
    return (frame + spent) / 1000;
  };
  const state$ = new BehaviorSubject(s0);
  const turns: string[][] = [];
  const fx: Array<[number, Effect, number]> = [];
  const fold = (batch: Event[]): DomainState => {
    clock();
    spent += COST;
    const [next, f] = reduceAll(state$.value, batch, SLICE);
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
  return { loop$, state$, turns, fx };
};

describe('drainTurns', () => {
  it('folds the batch, then one work event per slice while the budget lasts; no work, no slices', () => {
    let t = 0;
    const folded: string[] = [];
    // a fake domain: a number of slices left; each fold costs 1 ms of clock
    let left = 5;
    const fold = (batch: Event[]): number => {
      t += 0.001;
      folded.push(batch.map((e) => e.type).join('+'));
      if (batch.some((e) => e.type === 'work')) left--;
      return left;
    };
    const out: number[] = [];
    const batches$ = new Subject<Event[]>();
    batches$
      .pipe(
        drainTurns(
          fold,
          (n) => n > 0,
          () => t,
          2.5,
        ),
      )
      .subscribe((n) => out.push(n));
    batches$.next([{ type: 'tick', now: 0 }]);
    // 1 ms for the batch, then slices at 1 ms and 2 ms into the turn; at 3 ms the budget (2.5 ms) is spent
    expect(folded).toEqual(['tick', 'work', 'work']);
    expect(out).toEqual([3]);
    batches$.next([{ type: 'work', now: 0 }]);
    expect(folded.slice(3)).toEqual(['work', 'work', 'work']);
    expect(out).toEqual([3, 0]);
    batches$.next([{ type: 'tick', now: 0 }]);
    expect(folded.slice(6)).toEqual(['tick']);
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
          () => true,
          () => 0,
        ),
      )
      .subscribe((s) => out.push(s));
    batches$.next([{ type: 'work', now: 0 }]);
    expect(folded).toEqual(['work', 'work']);
    expect(out).toEqual(['stuck']);
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
      // 0.25 ms a fold); each later turn folds the work event the last one asked for with the inputs that arrived
      // meanwhile, then more slices; 10 slices in all
      expect(h.turns).toEqual([
        ['11', 'closed', 'work', 'work'],
        ['12', 'work+ping', 'work', 'work'],
        ['13', 'work+ping', 'work', 'work'],
        ['14', 'work', 'work'],
      ]);
      const orphaned = h.fx.filter(([, f]) => f.type === 'change' && f.change.kind === 'modified');
      expect(orphaned).toHaveLength(80);
      expect(h.state$.value.work.size).toBe(0);
      // every ping answered in the turn after it arrived, while the orphaning went on
      const pongs = h.fx.filter(([, f]) => f.type === 'send' && f.conn === 3);
      expect(pongs.map(([, , frame]) => frame)).toEqual([12, 13]);
    });
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
        const h = harness(ts, s0, inputs$, budgetMs);
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

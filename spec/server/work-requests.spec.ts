/**
 * The shell's scheduling of sliced work, on virtual time: every state with work left asks for one `work` event, and
 * through `bufferTurn` that event runs in a later turn, batched after the inputs that arrived meanwhile (so other
 * connections are served between slices). A real reducer drives the states, so the requests stop when it is done.
 */
import { List } from 'immutable';
import { BehaviorSubject, merge, scan, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { bufferTurn } from '../../lib/server/buffer-turn';
import { deadlineTicks, timerDeadline, WORK_RETRY_MAX_MS, workRequests } from '../../lib/server/deadline-ticks';
import { heapPush } from '../../lib/util/heap';
import { orphanQueuePush } from '../../lib/state/orphan-queue';
import type { Event } from '../../lib/state/events';
import type { DomainState, Job } from '../../lib/state/model';
import { hasWork } from '../../lib/state/work';
import { request, wire } from '../helpers/builders';

const idle = initialDomainState();
const busy: DomainState = {
  ...idle,
  work: List<Job>([
    { kind: 'subscriptions', conn: 1, taId: 1n, snap: idle.subscriptions, gone: idle.unsubscribing, pos: 0 },
  ]),
};

describe('workRequests', () => {
  it('asks for one slice after every turn that changed the state and left work, none otherwise', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const states = cold('a-b-c-a', { a: idle, b: busy, c: { ...busy } });
      expectObservable(workRequests(states, () => 5)).toBe('--x-y', {
        x: { type: 'work', now: 5 },
        y: { type: 'work', now: 5 },
      });
    });
  });

  it('asks again, backing off, after turns that left pending work unchanged (a work event that threw was dropped)', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      // b: work pending; the next turns fold a work event that throws, so the state stays b (same reference)
      const states = cold('b 9ms b 9ms b 9ms c', { b: busy, c: idle });
      const w = { type: 'work', now: 5 };
      // at once after b, then 1 ms after the first unchanged turn, 2 ms after the second; c has no work: no request
      expectObservable(workRequests(states, () => 5)).toBe('x 10ms y 10ms z', { x: w, y: w, z: w });
    });
  });

  it('a turn that changes the state asks at once and cancels a pending retry; the retry delay is capped', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const states = cold('b 9ms b 9ms b 9ms b 9ms b 9ms b 4ms c', { b: busy, c: { ...busy } });
      const w = { type: 'work', now: 5 };
      // retries at +1, +2, +4, +8 ms; the one due at 50 + 16 is cancelled by c (55), which asks at once
      expectObservable(workRequests(states, () => 5)).toBe('x 10ms y 10ms z 11ms u 13ms v 6ms w', {
        x: w,
        y: w,
        z: w,
        u: w,
        v: w,
        w,
      });
    });
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold }) => {
      const at: number[] = [];
      workRequests(cold('b' + ' 1999ms b'.repeat(12), { b: busy }), () => 5).subscribe(() => at.push(ts.now()));
      ts.flush();
      // stuck 10 times: 2^9 ms after the turn; 11 and 12 times: capped at WORK_RETRY_MAX_MS
      expect(at.slice(-3)).toEqual([20_000 + 512, 22_000 + WORK_RETRY_MAX_MS, 24_000 + WORK_RETRY_MAX_MS]);
    });
  });

  it('slices run turn by turn, each batched after the other inputs of its turn, until the work is done', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold }) => {
      // a domain with 40 services of one client; the client closes at frame 1; a bystander pings on frames 2..4
      let s0 = initialDomainState(undefined, 7, 0);
      const ev: Event[] = [
        { type: 'accepted', now: 0, conn: 1, address: 'a', user: 'u', transport: 'tcp' },
        {
          type: 'message',
          now: 0,
          conn: 1,
          msg: wire(
            request('hello', 0, { 'client-id': 1, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 }),
          ),
        },
        { type: 'accepted', now: 0, conn: 2, address: 'b', user: 'v', transport: 'tcp' },
        {
          type: 'message',
          now: 0,
          conn: 2,
          msg: wire(
            request('hello', 0, { 'client-id': 2, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 }),
          ),
        },
      ];
      for (let i = 0; i < 40; i++)
        ev.push({
          type: 'message',
          now: 0,
          conn: 1,
          msg: wire(request('publish', 10 + i, { 'service-id': i, generation: 0, 'service-props': {}, ttl: 60 })),
        });
      [s0] = reduceAll(s0, ev);
      const ping = (ta: number): Event => ({ type: 'message', now: 0, conn: 2, msg: wire(request('ping', ta)) });
      const inputs = cold<Event>('-c-xyz', {
        c: { type: 'closed', now: 0, conn: 1, cause: 'eof' },
        x: ping(1),
        y: ping(2),
        z: ping(3),
      });
      const state$ = new BehaviorSubject(s0);
      const work$ = new Subject<Event>();
      workRequests(state$, () => 0).subscribe(work$);
      // one turn = one frame of virtual time
      const turn = (fn: () => void): void => void ts.schedule(fn, 1);
      const batches = merge(inputs, work$).pipe(
        bufferTurn(turn),
        scan(
          (acc, batch: Event[]) => {
            const [next] = reduceAll(acc.s, batch, 16);
            state$.next(next);
            return { s: next, kinds: batch.map((e) => e.type).join('+'), work: hasWork(next) };
          },
          { s: s0, kinds: '', work: false },
        ),
      );
      const shape = (o: { kinds: string; work: boolean }) => `${o.kinds}${o.work ? ' (more)' : ''}`;
      const out: string[] = [];
      batches.subscribe((o) => out.push(shape(o)));
      ts.flush();
      // the close orphans a slice (16 of 40) at once; each later turn has one more slice and the bystander's ping
      expect(out).toEqual(['closed (more)', 'work+message (more)', 'work+message', 'message']);
    });
  });
});

describe('deadlineTicks', () => {
  // an orphan queue with expiries at 5 s and 9 s, a connection timer at 7 s
  const queued = (now: number): DomainState => ({
    ...idle,
    now,
    orphanQueue: orphanQueuePush(orphanQueuePush(idle.orphanQueue, 5, 0, 1n), 9, 1, 2n),
    timerQueue: heapPush(idle.timerQueue, 7, 0, 1),
  });

  it('arms no timer for an orphan expiry already due (that is sliced work): the next one still to come', () => {
    expect(timerDeadline(queued(4))).toBe(5);
    expect(timerDeadline(queued(5))).toBe(7); // overdue at 5 s: the work events expire it
    expect(hasWork(queued(5))).toBe(true);
    expect(timerDeadline({ ...queued(8), timerQueue: idle.timerQueue })).toBeUndefined();
    expect(timerDeadline({ ...queued(4), timerQueue: heapPush(idle.timerQueue, 3, 0, 1) })).toBe(3);
  });

  it('ticks at the deadline; none for an expiry already overdue (the old deadline timer fired at once for it)', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const only = (now: number, at: number): DomainState => ({
        ...idle,
        now,
        orphanQueue: orphanQueuePush(idle.orphanQueue, at, 0, 1n),
      });
      // a (0 ms): an expiry due at 5 ms; b (10 ms): the state's time is 10 ms and an expiry of 6 ms is still queued
      const states = cold('a 9ms b', { a: only(0, 0.005), b: only(0.01, 0.006) });
      expectObservable(deadlineTicks(states, () => ts.now() / 1000, ts)).toBe('5ms x', {
        x: { type: 'tick', now: 0.005 },
      });
    });
  });
});

/**
 * Expiry of a wave of 5,000 orphans on virtual time (issue 13, expiry on time): 1,000 clients with 5 services (TTL
 * 2 s) close at t = 1 s, 100 more with 40 services each (too big to orphan at once) at t = 2.9 s, and a watcher
 * subscribed to everything stays. When the first
 * wave's expiry is due (t = 3 s), the second wave's orphaning is still queued (no `work` event ran for it): the
 * deadline timer is armed for t = 3 s regardless (queued work does not hide a deadline), the expiry starts in the
 * first event at t = 3 s and goes before the queued orphaning in every event (each event's budget goes to overdue
 * expiries first), in slices of at most SLICE units per event, and each orphan is told to the watcher once.
 */
import { TestScheduler } from 'rxjs/testing';

import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { deadlineTicks, timerDeadline } from '../../lib/server/deadline-ticks';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { hasWork, SLICE } from '../../lib/state/work';
import { request, wire } from '../helpers/builders';
import { BehaviorSubject } from 'rxjs';

const CLIENTS = 1000;
const PER = 5;
const LATE = 100;
const LATE_PER = 40;
const WATCHER = 1;

const message = (now: number, conn: number, json: string): Event => ({ type: 'message', now, conn, msg: wire(json) });
const client = (conn: number, now: number): Event[] => {
  const ev: Event[] = [
    { type: 'accepted', now, conn, address: `a${conn}`, user: 'u', transport: 'tcp' },
    message(
      now,
      conn,
      request('hello', 0, { 'client-id': conn, 'protocol-minimum-version': 2, 'protocol-maximum-version': 2 }),
    ),
  ];
  return ev;
};

/** Fold `events`, then `work` events at `now` until none is left; the effects of it all. */
const settle = (
  s: DomainState,
  events: Event[],
  now: number,
): [DomainState, Array<ReturnType<typeof reduceAll>[1]>] => {
  const all: Array<ReturnType<typeof reduceAll>[1]> = [];
  let [next, fx] = reduceAll(s, events);
  all.push(fx);
  while (hasWork(next)) {
    [next, fx] = reduceAll(next, [{ type: 'work', now }]);
    all.push(fx);
  }
  return [next, all];
};

describe('expiry of a wave of 5,000 orphans', () => {
  it('starts at its deadline although later orphaning is queued, goes first, and is sliced', () => {
    const ev: Event[] = [...client(WATCHER, 0), message(0, WATCHER, request('subscribe', 1, { 'subscription-id': 1 }))];
    for (let c = 2; c < 2 + CLIENTS + LATE; c++) {
      ev.push(...client(c, 0));
      for (let i = 0; i < (c < 2 + CLIENTS ? PER : LATE_PER); i++)
        ev.push(
          message(
            0,
            c,
            request('publish', 10 + i, { 'service-id': c * 100 + i, generation: 0, 'service-props': {}, ttl: 2 }),
          ),
        );
    }
    let [s] = settle(initialDomainState(undefined, 7, 0), ev, 0);
    // wave 1 at t = 1 s, orphaned completely (its work events at 1 s); wave 2 at t = 2.9 s, its orphaning left queued
    const wave = (from: number, n: number, at: number): Event[] =>
      Array.from({ length: n }, (_, i) => ({ type: 'closed', now: at, conn: from + i, cause: 'eof' }) as const);
    [s] = settle(s, wave(2, CLIENTS, 1), 1);
    [s] = reduceAll(s, wave(2 + CLIENTS, LATE, 2.9));
    expect(s.work.size).toBe(LATE); // every orphaning of the second wave is queued
    // the deadline the timer is armed for: the first wave's expiry, although work is queued
    expect(hasWork(s)).toBe(true);
    expect(timerDeadline(s)).toBe(3);
    // on virtual time (from 2.5 s: binary-exact times), the deadline ticks fire at exactly 3 s
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      const state$ = new BehaviorSubject({ ...s, now: 2.9 });
      expectObservable(
        deadlineTicks(state$, () => 2.5 + ts.now() / 1000, ts),
        '^ 600ms !',
      ).toBe('500ms a', {
        a: { type: 'tick', now: 3 },
      });
    });
    // from t = 3 s: the tick, then work events; every event expires first, within its budget
    const wave1 = new Set<bigint>();
    for (let c = 2; c < 2 + CLIENTS; c++) for (let i = 0; i < PER; i++) wave1.add(BigInt(c * 100 + i));
    const told = new Map<bigint, number>();
    let events = 0;
    let expiredDone = false;
    let orphanedBeforeExpiryDone = 0;
    let e: Event = { type: 'tick', now: 3 };
    for (;;) {
      const [next, fx] = reduceAll(s, [e]);
      events++;
      let expired = 0;
      let orphaned = 0;
      for (const f of fx) {
        if (f.type === 'change' && f.change.kind === 'removed') {
          expect(wave1.has(f.change.before.id)).toBe(true);
          expired++;
        }
        if (f.type === 'change' && f.change.kind === 'modified') orphaned++;
        if (f.type === 'send') {
          const m = f.msg as Record<string, unknown>;
          if (m['match-type'] === 'disappeared') {
            const id = m['service-id'] as bigint;
            told.set(id, (told.get(id) ?? 0) + 1);
          }
        }
      }
      // sliced: a service visited and its notification to the watcher, 2 units each
      expect(expired).toBeLessThanOrEqual(SLICE / 2);
      if (!expiredDone) {
        if (told.size < wave1.size) orphanedBeforeExpiryDone += orphaned;
        else expiredDone = true;
      }
      s = next;
      if (!hasWork(s)) break;
      e = { type: 'work', now: 3 };
    }
    expect(events).toBeGreaterThanOrEqual((CLIENTS * PER) / (SLICE / 2));
    expect(told.size).toBe(CLIENTS * PER);
    expect([...told.values()].every((n) => n === 1)).toBe(true);
    // no orphaning of the second wave ran until every due expiry was done
    expect(orphanedBeforeExpiryDone).toBe(0);
    expect(s.services.size).toBe(LATE * LATE_PER); // the second wave's orphans, expiring at 4.9 s
    expect([...s.services.values()].every((v) => v.orphanSince === 2.9)).toBe(true);
  });
});

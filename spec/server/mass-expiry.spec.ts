/**
 * Mass kill on virtual time (issue 13 follow-up): the shell's loop — deadline ticks, work requests, `bufferTurn`,
 * the real reducer with a small slice — after many closes in one batch whose orphaning is sliced over `work`
 * events. Every orphan must expire at its own TTL (within one tick), with no other input arriving to wake the
 * domain up, and every orphan is told exactly once to a subscriber that outlives the kill.
 */
import { BehaviorSubject, merge, scan, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { bufferTurn } from '../../lib/server/buffer-turn';
import { deadlineTicks, workRequests } from '../../lib/server/deadline-ticks';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { request, wire } from '../helpers/builders';

const CLIENTS = 60;
const PER = 5;
const SLICE = 16;
/** TTL per client: three different TTLs, so expiries of one batch interleave with the orphaning slices. */
const ttlOf = (c: number): number => [1, 2, 3][c % 3]!;

const hello = (conn: number, client: number, now: number): Event[] => [
  { type: 'accepted', now, conn, address: `a${conn}`, user: `u${conn}`, transport: 'tcp' },
  {
    type: 'message',
    now,
    conn,
    msg: wire(
      request('hello', 0, { 'client-id': client, 'protocol-minimum-version': 2, 'protocol-maximum-version': 2 }),
    ),
  },
];

const populated = (): DomainState => {
  const ev: Event[] = [...hello(1000, 1000, 0)];
  ev.push({ type: 'message', now: 0, conn: 1000, msg: wire(request('subscribe', 1, { 'subscription-id': 1 })) });
  for (let c = 1; c <= CLIENTS; c++) {
    ev.push(...hello(c, c, 0));
    for (let i = 0; i < PER; i++)
      ev.push({
        type: 'message',
        now: 0,
        conn: c,
        msg: wire(
          request('publish', 10 + i, {
            'service-id': c * 100 + i,
            generation: 0,
            'service-props': {},
            ttl: ttlOf(c),
          }),
        ),
      });
    ev.push({
      type: 'message',
      now: 0,
      conn: c,
      msg: wire(request('subscribe', 2, { 'subscription-id': 100 + c })),
    });
  }
  let s = initialDomainState(undefined, 7, 0);
  [s] = reduceAll(s, ev, SLICE);
  return s;
};

describe('mass kill on virtual time', () => {
  it('every orphan of a batch of closes, orphaned in slices, expires at its TTL within one tick', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const clock = (): number => ts.now() / 1000;
      const s0 = populated();
      // every client closes in one turn at t = 1 s; the watcher (conn 1000) stays, and nothing else arrives
      const kill: Record<string, Event> = {};
      for (let c = 1; c <= CLIENTS; c++) kill[`k${c}`] = { type: 'closed', now: 1, conn: c, cause: 'eof' };
      const inputs$ = new Subject<Event>();
      ts.schedule(() => {
        for (const e of Object.values(kill)) inputs$.next(e);
      }, 1000);
      const state$ = new BehaviorSubject(s0);
      const orphanedAt = new Map<bigint, number>();
      const goneAt = new Map<bigint, number>();
      const told = new Map<bigint, number>();
      const sub = merge(inputs$, deadlineTicks(state$, clock, ts), workRequests(state$, clock))
        .pipe(
          bufferTurn((fn) => void ts.schedule(fn, 0)),
          scan(([s], batch: Event[]) => reduceAll(s, batch, SLICE), [s0, []] as readonly [DomainState, unknown]),
        )
        .subscribe(([s, fx]) => {
          for (const f of fx as ReturnType<typeof reduceAll>[1]) {
            if (f.type === 'change' && f.change.kind === 'modified' && f.change.after.orphanSince !== undefined)
              orphanedAt.set(f.change.after.id, s.now);
            if (f.type === 'change' && f.change.kind === 'removed') goneAt.set(f.change.before.id, s.now);
            if (f.type === 'send' && f.conn === 1000) {
              const id = (f.msg as Record<string, unknown>)['service-id'] as bigint;
              told.set(id, (told.get(id) ?? 0) + 1);
            }
          }
          if (s !== state$.value) state$.next(s);
        });
      // idle timers re-arm forever: stop the loop well after the last expiry (t = 4 s)
      ts.schedule(() => sub.unsubscribe(), 10_000);
      ts.flush();
      expect(orphanedAt.size).toBe(CLIENTS * PER);
      expect(goneAt.size).toBe(CLIENTS * PER);
      const late: number[] = [];
      for (let c = 1; c <= CLIENTS; c++)
        for (let i = 0; i < PER; i++) {
          const id = BigInt(c * 100 + i);
          late.push(goneAt.get(id)! - (1 + ttlOf(c)));
          expect(told.get(id)).toBe(2); // modified (orphaned), disappeared
        }
      // a timer is rounded up to the next millisecond: "within one tick"
      expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...late)).toBeLessThanOrEqual(0.001);
      expect(state$.value.work.size).toBe(0);
    });
  });
});

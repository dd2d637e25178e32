/**
 * The server's timer rules on virtual time (issue 11, item 2): the handshake deadline (§8.5), idle limits with track
 * queries and the idle timeout (§8.3, §8.4) and orphan expiry (§7.6), run through the domain loop the daemon runs
 * (lib/server/domain-loop.ts: deadline ticks from the state's earliest deadline, turns, the reducer) on a
 * TestScheduler. The daemon's real-socket specs (spec/integration/daemon-liveness.spec.ts) check the same rules on
 * the wire with tolerant bounds; the timing itself is proven here, to the millisecond, without a wall clock.
 */
import fc from 'fast-check';
import { BehaviorSubject, filter, type Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { domainLoop } from '../../lib/server/domain-loop';
import type { Event } from '../../lib/state/events';
import type { DomainSettings, DomainState } from '../../lib/state/model';
import { request, toJson, wire, type JsonIn } from '../helpers/builders';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** One effect the test looks at: `send` as conn:cmd:msg-type:detail, `close` as conn:close:reason. */
type Out = string;

const describeEffects = (fx: ReturnType<typeof reduceAll>[1]): Out[] =>
  fx.flatMap((e): Out[] => {
    if (e.type === 'close') return [`${e.conn}:close:${e.reason}`];
    if (e.type !== 'send') return [];
    const m = e.msg as Record<string, string | bigint | undefined>;
    const detail = m['track-type'] ?? m['match-type'] ?? '';
    const id = m['service-id'] === undefined ? '' : `:${m['service-id']}`;
    return [`${e.conn}:${m['ta-cmd']}:${m['msg-type']}:${detail}${id}`];
  });

/** A domain loop on `ts`: inputs scheduled at virtual times; every effect out of the reducer on `out$`. */
const domainOn = (ts: TestScheduler, settings: Partial<DomainSettings> = {}, seed = 7) => {
  const inputs$ = new Subject<Event>();
  const state$ = new BehaviorSubject<DomainState>(initialDomainState({ ...defaultSettings, ...settings }, seed, 0));
  const out$ = new Subject<Out>();
  const clock = (): number => ts.now() / 1000;
  const fold = (batch: Event[]): DomainState => {
    const [next, fx] = reduceAll(state$.value, batch);
    if (next !== state$.value) state$.next(next);
    for (const o of describeEffects(fx)) out$.next(o);
    return next;
  };
  const loop$ = domainLoop(inputs$, state$, fold, clock, { scheduler: ts, turn: (fn) => void ts.schedule(fn) });
  const sub = loop$.subscribe();
  /** At virtual time `ms` (absolute), `ev` happens. */
  const at = (ms: number, ev: (now: number) => Event): void =>
    void ts.schedule(() => inputs$.next(ev(ms / 1000)), ms - ts.now());
  const msg = (ms: number, conn: number, json: string): void =>
    at(ms, (now) => ({ type: 'message', now, conn, msg: wire(json) }));
  const d = {
    out$,
    /** Effects concerning `conn` whose text matches `re`. */
    of: (conn: number, re: RegExp): Observable<Out> => out$.pipe(filter((o) => o.startsWith(`${conn}:`) && re.test(o))),
    /** Stop the loop at `ms` (its timers would otherwise run forever). */
    stopAt: (ms: number): void => void ts.schedule(() => sub.unsubscribe(), ms - ts.now()),
    accept: (ms: number, conn: number): void =>
      at(ms, (now) => ({ type: 'accepted', now, conn, address: `tcp:127.0.0.1:${conn}`, user: 'u', transport: 'tcp' })),
    hello: (ms: number, conn: number, version = 3, clientId = conn): void =>
      msg(
        ms,
        conn,
        request('hello', 0, {
          'client-id': clientId,
          'protocol-minimum-version': version,
          'protocol-maximum-version': version,
        }),
      ),
    connect: (ms: number, conn: number, version = 3): void => {
      d.accept(ms, conn);
      d.hello(ms, conn, version);
    },
    track: (ms: number, conn: number, ta = 5): void => msg(ms, conn, request('track', ta)),
    reply: (ms: number, conn: number, ta = 5): void =>
      msg(ms, conn, toJson({ 'ta-cmd': 'track', 'ta-id': ta, 'msg-type': 'inform', 'track-type': 'reply' })),
    ping: (ms: number, conn: number, ta: number): void => msg(ms, conn, request('ping', ta)),
    publish: (ms: number, conn: number, id: number, ttl: number, generation = 0, props: Record<string, JsonIn> = {}) =>
      msg(ms, conn, request('publish', 100 + id, { 'service-id': id, generation, 'service-props': props, ttl })),
    subscribe: (ms: number, conn: number, subId: number): void =>
      msg(ms, conn, request('subscribe', 50 + subId, { 'subscription-id': subId })),
    close: (ms: number, conn: number): void => at(ms, (now) => ({ type: 'closed', now, conn, cause: 'eof' })),
  };
  return d;
};

describe('handshake deadline (§8.5)', () => {
  it('closes a connection without hello 2.5 s after it was accepted, each on its own deadline', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts);
      d.accept(0, 1);
      d.accept(1000, 2);
      d.stopAt(10000);
      expectObservable(d.out$.pipe(filter((o) => o.includes(':close:'))), '^ 9000ms !').toBe('2500ms a 999ms b', {
        a: '1:close:handshake timeout',
        b: '2:close:handshake timeout',
      });
    });
  });

  it('a hello 1 ms before the deadline keeps the connection; the configured deadline applies', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts, { handshakeTimeout: 1 });
      d.accept(0, 1);
      d.hello(999, 1);
      d.accept(0, 2);
      d.stopAt(5000);
      expectObservable(d.out$.pipe(filter((o) => /:close:|:hello:/.test(o))), '^ 4000ms !').toBe('999ms h 0ms c', {
        h: '1:hello:complete:',
        c: '2:close:handshake timeout',
      });
    });
  });
});

describe('idle limits and track queries (§8.3, §8.4)', () => {
  /** Virtual times of the outputs of `conn` matching `re`, with a run of `body` up to `until`. */
  const timesOf = (
    seed: number,
    settings: Partial<DomainSettings>,
    until: number,
    body: (d: ReturnType<typeof domainOn>) => void,
    conn: number,
    re: RegExp,
  ): Array<[number, string]> => {
    const ts = scheduler();
    const got: Array<[number, string]> = [];
    ts.run(() => {
      const d = domainOn(ts, settings, seed);
      d.of(conn, re).subscribe((o) => got.push([ts.now(), o]));
      body(d);
      d.stopAt(until);
    });
    return got;
  };

  it('a tracked v3 client is queried after jitter(½·max_idle, 10 %) of silence; unanswered, it is closed ½·max_idle later', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const got = timesOf(
          seed,
          { idleMin: 2, idleMax: 4 },
          20000,
          (d) => {
            d.connect(0, 1);
            d.track(300, 1);
          },
          1,
          /:track:notify:query|:close:/,
        );
        expect(got.map(([, o]) => o)).toEqual(['1:track:notify:query', '1:close:idle timeout']);
        const [[q], [closed]] = got as [[number, string], [number, string]];
        expect(q - 300).toBeGreaterThanOrEqual(1800); // ½ · 4 s · (1 ± 10 %) after the track request
        expect(q - 300).toBeLessThanOrEqual(2200 + 1); // the tick lands on the next whole ms
        // ½ · max_idle later (the tick lands on the first whole ms at or after the deadline)
        expect(closed - q).toBeGreaterThanOrEqual(2000);
        expect(closed - q).toBeLessThanOrEqual(2001);
      }),
      { numRuns: 50 },
    );
  });

  it('a reply keeps the client: the next query comes after another quiet period, never a close', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const ts = scheduler();
        const got: Array<[number, string]> = [];
        ts.run(() => {
          const d = domainOn(ts, { idleMin: 2, idleMax: 4 }, seed);
          d.connect(0, 1);
          d.track(0, 1);
          // the client answers every query 100 ms after it arrives
          d.of(1, /:track:notify:query|:close:/).subscribe((o) => {
            got.push([ts.now(), o]);
            if (o.endsWith('query')) d.reply(ts.now() + 100, 1);
          });
          d.stopAt(30000);
        });
        expect(got.length).toBeGreaterThanOrEqual(12);
        expect(got.every(([, o]) => o === '1:track:notify:query')).toBe(true);
        for (let i = 1; i < got.length; i++) {
          const gap = got[i]![0] - (got[i - 1]![0] + 100);
          expect(gap).toBeGreaterThanOrEqual(1800);
          expect(gap).toBeLessThanOrEqual(2201);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('any message postpones the query: a client that pings every second is never queried nor closed', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts, { idleMin: 2, idleMax: 4 });
      d.connect(0, 1);
      d.track(0, 1);
      for (let t = 1000, ta = 10; t < 20000; t += 1000, ta++) d.ping(t, 1, ta);
      d.stopAt(20000);
      expectObservable(d.of(1, /:track:notify:query|:close:/), '^ 19999ms !').toBe('');
    });
  });

  it('an untracked silent v3 client is closed after max_idle (the warning at ½·max_idle ± 10 %, then ½·max_idle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const got = timesOf(seed, { idleMin: 2, idleMax: 4 }, 20000, (d) => d.connect(0, 1), 1, /:close:|:track:/);
        expect(got.map(([, o]) => o)).toEqual(['1:close:idle timeout']);
        expect(got[0]![0]).toBeGreaterThanOrEqual(3800);
        expect(got[0]![0]).toBeLessThanOrEqual(4201);
      }),
      { numRuns: 50 },
    );
  });

  it('a service TTL below max_idle lowers it (clamped at idle min)', () => {
    const got = timesOf(
      11,
      { idleMin: 2, idleMax: 30 },
      60000,
      (d) => {
        d.connect(0, 1);
        d.publish(0, 1, 1, 3); // TTL 3 s: max_idle 3
      },
      1,
      /:close:/,
    );
    expect(got).toHaveLength(1);
    expect(got[0]![0]).toBeGreaterThanOrEqual(0.5 * 3000 * 0.9 + 1500);
    expect(got[0]![0]).toBeLessThanOrEqual(0.5 * 3000 * 1.1 + 1500 + 1);
  });

  it('a v2 client is never closed for idleness (TCP keepalive is its liveness)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts, { idleMin: 1, idleMax: 2 });
      d.connect(0, 1, 2);
      d.stopAt(60000);
      expectObservable(d.of(1, /:close:|:track:/), '^ 59999ms !').toBe('');
    });
  });
});

describe('orphan expiry (§7.6)', () => {
  it('a closed client’s services become orphans at once and disappear when their TTLs have run out', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts);
      d.connect(0, 1);
      d.connect(0, 2);
      d.subscribe(0, 2, 1);
      d.publish(10, 1, 1, 3);
      d.publish(10, 1, 2, 1);
      d.publish(10, 1, 3, 0);
      d.close(1000, 1);
      d.stopAt(10000);
      expectObservable(d.of(2, /:subscribe:notify:/), '^ 9000ms !').toBe('10ms (abc) 985ms (defg) 994ms h 1999ms i', {
        a: '2:subscribe:notify:appeared:1',
        b: '2:subscribe:notify:appeared:2',
        c: '2:subscribe:notify:appeared:3',
        // the orphans, in attachment order; TTL 0 disappears in the same step
        d: '2:subscribe:notify:modified:1',
        e: '2:subscribe:notify:modified:2',
        f: '2:subscribe:notify:modified:3',
        g: '2:subscribe:notify:disappeared:3',
        h: '2:subscribe:notify:disappeared:2',
        i: '2:subscribe:notify:disappeared:1',
      });
    });
  });

  it('an orphan reclaimed by its client before the TTL runs out does not expire', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const d = domainOn(ts);
      d.connect(0, 1);
      d.connect(0, 2);
      d.subscribe(0, 2, 1);
      d.publish(0, 1, 1, 2);
      d.close(1000, 1);
      // the same client (id 1) comes back on connection 3 and republishes with a new generation (its TTL was 2 s)
      d.accept(1500, 3);
      d.hello(1500, 3, 3, 1);
      d.publish(1500, 3, 1, 2, 1);
      d.stopAt(10000);
      // (until 5 s: connection 3, silent, is closed for idleness ~4 s after its hello and orphans it again)
      expectObservable(d.of(2, /:subscribe:notify:/), '^ 5000ms !').toBe('a 999ms b 499ms c', {
        a: '2:subscribe:notify:appeared:1',
        b: '2:subscribe:notify:modified:1',
        c: '2:subscribe:notify:modified:1',
      });
    });
  });
});

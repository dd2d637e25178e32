/**
 * Every timing rule of the client, on virtual time (`TestScheduler.run`) against scripted servers: reconnect
 * back-off (growth and jitter bounds), the greeting timeout, track queries and the dead-server timeout, server
 * queries, the request timeout, client-side orphan expiry in the merged view, the domain file rescan, and what a
 * late subscriber sees. No wall clock is involved: one spec covers minutes of virtual time in milliseconds.
 */
import fc from 'fast-check';
import { defer, map, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { clientInternals, type RxpafClient } from '../../lib/client/client';
import type { ClientOptions, ConnectionState } from '../../lib/client/core/types';
import { PafConnectionError, PafTimeoutError } from '../../lib/errors';
import type { Match } from '../../lib/model';
import { fakeService, FakeNet, virtualClient } from './virtual-net';

const A = 'tcp:127.0.0.1:1001';
const B = 'tcp:127.0.0.1:1002';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Connection states without the error objects (their messages are checked separately). */
const brief = (c: ConnectionState): string =>
  c.state === 'connected'
    ? `up${c.protocolVersion}`
    : c.state === 'connecting'
      ? 'connecting'
      : c.error === undefined
        ? 'down'
        : `down:${c.error.message}`;

/** A match as type:id:generation(:orphan-since). */
const m = (x: Match): string =>
  `${x.type}:${x.service.id}:${x.service.generation}${x.service.orphanSince === undefined ? '' : `:o${x.service.orphanSince}`}`;

/** Run `body` on virtual time with a fresh network; the client is closed at `closeAt` so the run ends. */
const run = (
  options: ClientOptions,
  closeAt: number,
  body: (h: {
    ts: TestScheduler;
    net: FakeNet;
    client: () => RxpafClient;
    helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0];
  }) => void,
  extra: Parameters<typeof virtualClient>[3] = {},
): void => {
  const ts = scheduler();
  ts.run((helpers) => {
    const net = new FakeNet(ts);
    let c: RxpafClient | undefined;
    const client = (): RxpafClient => (c ??= virtualClient(ts, net, options, extra));
    body({ ts, net, client, helpers });
    client();
    ts.schedule(() => void c!.close(), closeAt);
  });
};

describe('reconnect back-off (§13.3)', () => {
  it('retries a refusing server every reconnectMin when min = max', () => {
    run({ addresses: [A], reconnectMin: 1, reconnectMax: 1 }, 3500, ({ net, client, helpers }) => {
      net.server(A).accepting = false;
      // subscribed before the client's first step: its connect attempts, each refused at once
      const states = defer(() => client().connections$).pipe(map(brief), take(7));
      const d = `down:${A}: unable to connect: connection refused`;
      helpers.expectObservable(states).toBe('(cd) 996ms (cd) 996ms (cd) 996ms (c|)', { c: 'connecting', d });
    });
  });

  it('starts at min × (1 + rand), doubles, and stays at max, for any seed', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.999999, noNaN: true }), (seedDraw) => {
        let net!: FakeNet;
        run(
          { addresses: [A], reconnectMin: 1, reconnectMax: 8 },
          60000,
          (h) => {
            net = h.net;
            net.server(A).accepting = false;
          },
          { random: () => seedDraw },
        );
        const gaps = net.attempts.slice(1).map((x, i) => x.at - net.attempts[i]!.at);
        expect(gaps[0]).toBeGreaterThanOrEqual(1000);
        expect(gaps[0]).toBeLessThan(2000);
        for (let i = 1; i < gaps.length; i++) {
          const doubled = Math.min(2 * gaps[i - 1]!, 8000);
          expect(Math.abs(gaps[i]! - doubled)).toBeLessThanOrEqual(1);
        }
        expect(gaps[gaps.length - 1]).toBe(8000);
      }),
      { numRuns: 40 },
    );
  });

  it('the jitter differs between clients (seeds), so a restarted server is not hit in lockstep', () => {
    const firstGap = (seedDraw: number): number => {
      let net!: FakeNet;
      run(
        { addresses: [A], reconnectMin: 1, reconnectMax: 8 },
        5000,
        (h) => ((net = h.net), (net.server(A).accepting = false)),
        {
          random: () => seedDraw,
        },
      );
      return net.attempts[1]!.at - net.attempts[0]!.at;
    };
    const gaps = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map(firstGap));
    expect(gaps.size).toBeGreaterThan(3);
  });

  it('resets to the minimum after a successful hello', () => {
    run({ addresses: [A], reconnectMin: 1, reconnectMax: 1 }, 12000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      s.accepting = false;
      ts.schedule(() => (s.accepting = true), 2500); // attempts at 0, 1000, 2000 refused; 3000 connects
      ts.schedule(() => s.live!.drop(), 5000); // the server drops the link: retried 1 s later
      const states = defer(() => client().connections$).pipe(map(brief));
      const refused = `down:${A}: unable to connect: connection refused`;
      const dropped = `down:${A}: server closed the connection`;
      helpers.expectObservable(states, '^ 6500ms !').toBe('(cd) 996ms (cd) 996ms (cd) 996ms (cu) 1996ms e 999ms (cu)', {
        c: 'connecting',
        d: refused,
        u: 'up3',
        e: dropped,
      });
    });
  });
});

describe('greeting timeout (§13.4)', () => {
  it('gives up on a server that accepts but never answers hello after idleMin, then retries', () => {
    run({ addresses: [A], idleMin: 2, reconnectMin: 1, reconnectMax: 1 }, 5500, ({ net, client, helpers }) => {
      net.server(A).greeting = false;
      const states = defer(() => client().connections$).pipe(map(brief));
      const t = `down:${A}: greeting timeout`;
      helpers.expectObservable(states, '^ 5200ms !').toBe('c 1999ms t 999ms c 1999ms t', { c: 'connecting', t });
    });
  });
});

/** The virtual times at which the client sent `inform` track queries to `address`. */
const queryTimes = (net: FakeNet, address: string): number[] =>
  net
    .server(address)
    .conns.flatMap((c) => c.sent.filter((x) => x.msg['msg-type'] === 'inform' && x.msg['track-type'] === 'query'))
    .map((x) => x.at);

describe('track: client-side liveness (§13.4)', () => {
  it('queries a silent server after jitter(0.5·max_idle, 10 %) + 0.1 s and restarts the link 0.5·max_idle later', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.999999, noNaN: true }), (seedDraw) => {
        let net!: FakeNet;
        const downs: number[] = [];
        run(
          { addresses: [A], idleMin: 1, idleMax: 4, reconnectMin: 100, reconnectMax: 100 },
          20000,
          (h) => {
            net = h.net;
            net.server(A).answerQueries = false;
            h.client().connections$.subscribe((c) => {
              if (c.state === 'disconnected' && c.error !== undefined) {
                expect(c.error.message).toBe(`${A}: no reply to track query`);
                downs.push(h.ts.now());
              }
            });
          },
          { random: () => seedDraw },
        );
        const [q] = queryTimes(net, A);
        expect(q).toBeGreaterThanOrEqual(1900); // the server was last heard from at 0 (hello, track accept)
        expect(q).toBeLessThanOrEqual(2300);
        expect(downs).toEqual([q! + 2000]);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps a live server: one query per quiet period, each reply counting as activity', () => {
    let net!: FakeNet;
    run({ addresses: [A], idleMin: 1, idleMax: 4 }, 60000, (h) => {
      net = h.net;
    });
    const qs = queryTimes(net, A);
    const gaps = qs.slice(1).map((t, i) => t - qs[i]!);
    expect(qs.length).toBeGreaterThan(20);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1900);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2300);
    expect(net.server(A).conns).toHaveLength(1); // never restarted
  });

  it('any message from the server postpones the query', () => {
    let net!: FakeNet;
    run({ addresses: [A], idleMin: 1, idleMax: 4 }, 10000, (h) => {
      net = h.net;
      // the server answers a ping every second: the client never needs to ask whether it is alive
      for (let t = 1000; t < 10000; t += 1000)
        h.ts.schedule(() => void clientInternals(h.client()).transact('ping', {}).subscribe(), t);
    });
    expect(queryTimes(net, A)).toEqual([]);
  });

  it('the lowest TTL of the own services lowers max_idle', () => {
    let net!: FakeNet;
    run({ addresses: [A], idleMin: 1, idleMax: 30 }, 30000, (h) => {
      net = h.net;
      h.ts.schedule(
        () =>
          void h
            .client()
            .publish({ name: 'short' }, { ttl: 2 })
            .catch(() => undefined),
        0,
      );
    });
    const qs = queryTimes(net, A);
    const gaps = qs.slice(1).map((t, i) => t - qs[i]!);
    expect(gaps.length).toBeGreaterThan(10);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000); // jitter(1 s, 10 %) + 0.1 s
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1200);
  });

  it('restarts the link when the track was not accepted by the time the first query is due', () => {
    const downs: Array<[number, string]> = [];
    run({ addresses: [A], idleMin: 1, idleMax: 4, reconnectMin: 100, reconnectMax: 100 }, 10000, (h) => {
      h.net.server(A).trackAccept = false;
      h.client().connections$.subscribe((c) => {
        if (c.error !== undefined) downs.push([h.ts.now(), c.error.message]);
      });
    });
    expect(downs).toHaveLength(1);
    expect(downs[0]![1]).toBe(`${A}: track not accepted`);
    expect(downs[0]![0]).toBeGreaterThanOrEqual(1900);
    expect(downs[0]![0]).toBeLessThanOrEqual(2300);
  });

  it('answers a server query at once, on the same track transaction', () => {
    run({ addresses: [A] }, 2000, ({ ts, net, client, helpers }) => {
      ts.schedule(() => net.server(A).query(), 1000);
      helpers
        .expectObservable(
          defer(() => clientInternals(client()).serverQueries$),
          '^ 1500ms !',
        )
        .toBe('1000ms a', { a: A });
      ts.schedule(() => {
        const track = net.server(A).live!.sentOf('track');
        const ta = String(track[0]!['ta-id']);
        expect(
          track.map(
            (x) => `${String(x['msg-type'])}:${(x['track-type'] as string | undefined) ?? ''}:${String(x['ta-id'])}`,
          ),
        ).toEqual([`request::${ta}`, `inform:reply:${ta}`]);
      }, 1001);
    });
  });

  it('a v2 connection has no track transaction (TCP keepalive instead)', () => {
    let net!: FakeNet;
    run({ addresses: [A], idleMax: 4 }, 20000, (h) => {
      net = h.net;
      net.server(A).version = 2;
    });
    const conn = net.server(A).conns[0]!;
    expect(net.server(A).conns).toHaveLength(1);
    expect(conn.sentOf('track')).toEqual([]);
    expect(conn.keepAlive).toBe(true);
  });
});

describe('request timeout', () => {
  it('fails with PafConnectionError when no server connects in time', () => {
    run({ addresses: [A], requestTimeout: 3 }, 4000, ({ net, client, helpers }) => {
      net.server(A).accepting = false;
      const ping = defer(() => clientInternals(client()).transact('ping', {}));
      helpers.expectObservable(ping).toBe('3000ms #', undefined, expect.any(PafConnectionError));
    });
  });

  it('fails with PafTimeoutError when the server does not answer in time', () => {
    run({ addresses: [A], requestTimeout: 3 }, 5000, ({ ts, net, client, helpers }) => {
      ts.schedule(() => (net.server(A).answering = false), 10);
      const ping = defer(() => clientInternals(client()).transact('ping', {}));
      helpers.expectObservable(ping, '100ms ^').toBe('3100ms #', undefined, expect.any(PafTimeoutError));
    });
  });

  it('waits for a server that connects later, within the timeout', () => {
    run(
      { addresses: [A], requestTimeout: 3, reconnectMin: 1, reconnectMax: 1 },
      5000,
      ({ ts, net, client, helpers }) => {
        net.server(A).accepting = false;
        ts.schedule(() => (net.server(A).accepting = true), 1500);
        const ping = defer(() => clientInternals(client()).transact('ping', {})).pipe(map((x) => x['msg-type']));
        helpers.expectObservable(ping).toBe('2000ms (c|)', { c: 'complete' });
      },
    );
  });
});

describe('orphan expiry in the merged view', () => {
  it('a lost server’s services become orphans and disappear when their TTL has run out', () => {
    run({ addresses: [A], reconnectMin: 1, reconnectMax: 1 }, 8000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      s.upsert(fakeService(1n, { name: 'x' }, { ttl: 5n }));
      ts.schedule(() => {
        s.accepting = false;
        s.live!.drop();
      }, 1000);
      helpers
        .expectObservable(defer(() => client().matches$('(name=x)')).pipe(map(m)))
        .toBe('a 999ms b 4999ms c 1999ms |', { a: 'appeared:1:0', b: 'modified:1:0:o1', c: 'disappeared:1:0:o1' });
    });
  });

  it('stays live while one server still has it; expires when the last one has been lost for its TTL', () => {
    run({ addresses: [A, B], reconnectMin: 1, reconnectMax: 1 }, 9000, ({ ts, net, client, helpers }) => {
      for (const x of [A, B]) net.server(x).upsert(fakeService(1n, { name: 'x' }, { ttl: 5n }));
      const lose = (x: string, at: number): void =>
        void ts.schedule(() => {
          net.server(x).accepting = false;
          net.server(x).live!.drop();
        }, at);
      lose(A, 1000);
      lose(B, 2000);
      helpers
        .expectObservable(defer(() => client().matches$()).pipe(map(m)))
        // A's report counts until 6 s (lost at 1 s + TTL), B's until 7 s: the orphan time moves to B's loss
        .toBe('a 1999ms b 3999ms c 999ms d 1999ms |', {
          a: 'appeared:1:0',
          b: 'modified:1:0:o1',
          c: 'modified:1:0:o2',
          d: 'disappeared:1:0:o2',
        });
    });
  });

  it('a server that comes back in time and still has the service cancels the expiry', () => {
    run({ addresses: [A], reconnectMin: 2, reconnectMax: 2 }, 9000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      s.upsert(fakeService(1n, { name: 'x' }, { ttl: 5n }));
      ts.schedule(() => s.live!.drop(), 1000); // reconnected 2 s later
      helpers
        .expectObservable(defer(() => client().matches$()).pipe(map(m)))
        .toBe('a 999ms b 1999ms c 5999ms |', { a: 'appeared:1:0', b: 'modified:1:0:o1', c: 'modified:1:0' });
    });
  });
});

describe('domain file rescan (§13.1)', () => {
  it('picks up a changed server list at the next rescan (interval ± 20 %)', () => {
    const files = new Map([['/domains/test', `${A}\n`]]);
    run(
      { domain: 'test', domainsDir: '/domains', rescanInterval: 2, reconnectMin: 1, reconnectMax: 1 },
      6000,
      ({ ts, client, helpers }) => {
        ts.schedule(() => files.set('/domains/test', `# moved\n${B}\n`), 3000);
        const states = defer(() => client().connections$).pipe(
          map((c) => `${c.address === A ? 'A' : 'B'}:${brief(c)}`),
        );
        // random() = 0.5: rescans every 2 s exactly (0, 2000, 4000)
        helpers.expectObservable(states, '^ 5000ms !').toBe('(cu) 3996ms (dxy)', {
          c: 'A:connecting',
          u: 'A:up3',
          d: 'A:down',
          x: 'B:connecting',
          y: 'B:up3',
        });
      },
      { random: () => 0.5, files },
    );
  });

  it('waits for a domain file that does not exist yet, and drops every server when it is removed', () => {
    const files = new Map<string, string>();
    run(
      { domain: 'later', domainsDir: '/d', rescanInterval: 1 },
      5000,
      ({ ts, client, helpers }) => {
        ts.schedule(() => files.set('/d/later', A), 1500);
        ts.schedule(() => files.delete('/d/later'), 3500);
        const states = defer(() => client().connections$).pipe(map(brief));
        helpers
          .expectObservable(states, '^ 4500ms !')
          .toBe('2000ms (cu) 1996ms d', { c: 'connecting', u: 'up3', d: 'down' });
      },
      { random: () => 0.5, files },
    );
  });
});

describe('domain file rescan, any sequence of changes (§13.1)', () => {
  const C = 'tcp:127.0.0.1:1003';
  type Content = { kind: 'servers'; servers: string[]; json: boolean } | { kind: 'missing' } | { kind: 'malformed' };
  const content: fc.Arbitrary<Content> = fc.oneof(
    fc.record({
      kind: fc.constant('servers' as const),
      servers: fc.shuffledSubarray([A, B, C]),
      json: fc.boolean(),
    }),
    fc.constant({ kind: 'missing' as const }),
    fc.constant({ kind: 'malformed' as const }),
  );
  const serversOf = (c: Content): string[] => (c.kind === 'servers' ? [...c.servers].sort() : []);
  const write = (files: Map<string, string>, c: Content): void => {
    const path = '/d/prop';
    if (c.kind === 'missing') files.delete(path);
    else if (c.kind === 'malformed') files.set(path, '{ "servers": [');
    else
      files.set(
        path,
        c.json ? JSON.stringify({ servers: c.servers.map((address) => ({ address })) }) : c.servers.join('\n'),
      );
  };

  it('after each rescan the client has a link to exactly the servers of the file, each up; a removed one is closed', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        content,
        fc.array(content, { minLength: 1, maxLength: 8 }),
        (r, interval, first, changes) => {
          // random() = r for every draw: the rescan period is interval × (0.8 + 0.4 r), exactly
          const period = interval * 1000 * (0.8 + 0.4 * r);
          const files = new Map<string, string>();
          write(files, first);
          const seen: Array<{ want: string[]; links: string[]; up: string[]; openOnRemoved: number }> = [];
          const steps = [first, ...changes];
          run(
            { domain: 'prop', domainsDir: '/d', rescanInterval: interval, reconnectMin: 0.1, reconnectMax: 0.1 },
            Math.ceil((steps.length + 1) * period),
            ({ ts, net, client }) => {
              client();
              steps.forEach((c, k) => {
                // a change half-way between two rescans, checked a quarter of a period after the next one
                if (k > 0) ts.schedule(() => write(files, c), Math.round((k - 0.5) * period));
                ts.schedule(
                  () => {
                    const states = clientInternals(client()).connectionStates();
                    const want = serversOf(c);
                    seen.push({
                      want,
                      links: states.map((x) => x.address).sort(),
                      up: states
                        .filter((x) => x.state === 'connected')
                        .map((x) => x.address)
                        .sort(),
                      openOnRemoved: [A, B, C]
                        .filter((x) => !want.includes(x))
                        .reduce((n, x) => n + net.server(x).conns.filter((cn) => !cn.closed).length, 0),
                    });
                  },
                  Math.round((k + 0.25) * period),
                );
              });
            },
            { random: () => r, files },
          );
          expect(seen).toEqual(
            steps.map((c) => ({ want: serversOf(c), links: serversOf(c), up: serversOf(c), openOnRemoved: 0 })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('what a late subscriber sees', () => {
  it('first `appeared` for everything currently matching (from the shared state), then live matches', () => {
    run({ addresses: [A] }, 1000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      s.upsert(fakeService(1n, { name: 'x' }));
      s.upsert(fakeService(2n, { name: 'x' }));
      ts.schedule(() => s.upsert(fakeService(3n, { name: 'x' })), 100);
      ts.schedule(() => s.upsert(fakeService(1n, { name: 'x' }, { generation: 1n })), 300);
      const early = defer(() => client().matches$('(name=x)')).pipe(map(m));
      const late = defer(() => client().matches$('(name=x)')).pipe(map(m));
      const values = { a: 'appeared:1:0', b: 'appeared:2:0', c: 'appeared:3:0', d: 'modified:1:1' };
      helpers.expectObservable(early).toBe('(ab) 96ms c 199ms d 699ms |', values);
      helpers.expectObservable(late, '200ms ^').toBe('200ms (abc) 95ms d 699ms |', values);
      // one subscription on the wire for both
      ts.schedule(() => expect(s.live!.sentOf('subscribe')).toHaveLength(1), 500);
    });
  });
});

describe('services$ and membership$', () => {
  it('services$ emits the current set once per step (≤ 128 events): an initial sync of 500 matches is 4 emissions, not 500', () => {
    run({ addresses: [A] }, 1000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      for (let i = 1n; i <= 500n; i++) s.upsert(fakeService(i, { name: 'bulk' }));
      ts.schedule(() => s.remove(7n), 100);
      const sizes = defer(() => client().services$('(name=bulk)')).pipe(map((x) => x.size));
      // the 500 notifications arrive at once; each step folds at most 128 events (the rest waits for the next turn)
      helpers.expectObservable(sizes).toBe('(eabcd) 93ms f 899ms |', { e: 0, a: 126, b: 254, c: 382, d: 500, f: 499 });
    });
  });

  it('membership$ reports online, orphan and gone, and drops a gone entry after reporting it once', () => {
    run({ addresses: [A] }, 1000, ({ ts, net, client, helpers }) => {
      const s = net.server(A);
      s.upsert(fakeService(1n, { g: 'm' }));
      ts.schedule(() => s.upsert(fakeService(1n, { g: 'm' }, { orphanSince: 5 })), 100);
      ts.schedule(() => s.remove(1n), 200);
      ts.schedule(() => s.upsert(fakeService(2n, { g: 'm' })), 300);
      const states = defer(() => client().membership$('(g=m)')).pipe(
        map((x) => [...x].map(([id, st]) => `${id}:${st}`).join(',')),
      );
      helpers
        .expectObservable(states)
        .toBe('(ea) 96ms o 99ms g 99ms n 699ms |', { e: '', a: '1:online', o: '1:orphan', g: '1:gone', n: '2:online' });
    });
  });
});

/**
 * The client's observables are cold and independent per subscription, and consumers of the same filter share one
 * server subscription (ref-counted; the last unsubscribe unsubscribes on the wire). On virtual time against a
 * scripted server.
 */
import { defer, map, Subject, take, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import type { RxpafClient } from '../../lib/client/client';
import { PafClosedError, PafFilterError } from '../../lib/errors';
import { toJson } from '../../lib/json';
import type { MergeMap } from '../../lib/client/core/merge';
import { matchesOf, type GroupBatch } from '../../lib/client/views';
import type { Match, Service } from '../../lib/model';
import { fakeService, FakeNet, virtualClient } from './virtual-net';

const A = 'tcp:127.0.0.1:1001';

const m = (x: Match): string => `${x.type}:${x.service.id}`;

const setup = (): { ts: TestScheduler } => ({
  ts: new TestScheduler((actual, expected) => expect(actual).toEqual(expected)),
});

/** Wire messages of one kind sent by the client, as `msg-type:subscription-id`. */
const wire = (net: FakeNet, cmd: string): string[] =>
  net
    .server(A)
    .conns.flatMap((c) => c.sentOf(cmd))
    .map((x) => `${String(x['msg-type'])}:${String(x['subscription-id'])}`);

/** Every message the client sent to server A, as `ta-cmd:msg-type` (track traffic aside), from virtual time `since`. */
const sentSince = (net: FakeNet, since: number): string[] =>
  net
    .server(A)
    .conns.flatMap((c) => c.sent)
    .filter((x) => x.at >= since && x.msg['ta-cmd'] !== 'track')
    .map((x) => `${String(x.msg['ta-cmd'])}:${String(x.msg['msg-type'])}`);

describe('sharing one server subscription per filter', () => {
  it('counted on the wire: a second consumer sends nothing, the first leaving sends nothing, the last sends one unsubscribe', () => {
    const { ts } = setup();
    const seen = [0, 0, 0];
    const wire: Record<string, string[]> = {};
    ts.run(() => {
      const net = new FakeNet(ts);
      for (let i = 1n; i <= 50n; i++) net.server(A).upsert(fakeService(i, { name: 'x' }));
      const client = virtualClient(ts, net, { addresses: [A] });
      const subs: Subscription[] = [];
      ts.schedule(() => subs.push(client.matches$('(name=x)').subscribe(() => seen[0]!++)), 100);
      ts.schedule(() => (wire.first = sentSince(net, 100)), 199);
      // two more consumers of the filter, one of them through another view (services$)
      ts.schedule(() => subs.push(client.matches$('(name=x)').subscribe(() => seen[1]!++)), 200);
      ts.schedule(() => subs.push(client.services$('(name=x)').subscribe(() => seen[2]!++)), 250);
      ts.schedule(() => net.server(A).upsert(fakeService(51n, { name: 'x' })), 300);
      ts.schedule(() => (wire.joined = sentSince(net, 200)), 399);
      ts.schedule(() => (subs[0]!.unsubscribe(), subs[1]!.unsubscribe()), 400);
      ts.schedule(() => (wire.left = sentSince(net, 400)), 499);
      ts.schedule(() => subs[2]!.unsubscribe(), 500);
      ts.schedule(() => (wire.last = sentSince(net, 500)), 599);
      ts.schedule(() => void client.close(), 1000);
    });
    // (the hello went out before 100)
    expect(wire).toEqual({
      first: ['subscribe:request'],
      joined: [],
      left: [],
      last: ['unsubscribe:request'],
    });
    // each consumer saw the 50, then the 51st (services$: its first set, then one emission)
    expect(seen).toEqual([51, 51, 2]);
  });

  it('two consumers of one filter share it; the last unsubscribe unsubscribes on the wire', () => {
    const { ts } = setup();
    ts.run(({ expectObservable }) => {
      const net = new FakeNet(ts);
      net.server(A).upsert(fakeService(1n, { name: 'x' }));
      const client = virtualClient(ts, net, { addresses: [A] });
      const subs: Subscription[] = [];
      ts.schedule(() => subs.push(client.matches$('(name=x)').subscribe()), 100);
      ts.schedule(() => subs.push(client.services$('(name=x)').subscribe()), 200);
      ts.schedule(() => {
        expect(wire(net, 'subscribe')).toEqual(['request:1001']); // ids are 1000 (client), 1001, ...
        subs[0]!.unsubscribe();
      }, 300);
      ts.schedule(() => {
        expect(wire(net, 'unsubscribe')).toEqual([]);
        subs[1]!.unsubscribe();
      }, 400);
      ts.schedule(() => expect(wire(net, 'unsubscribe')).toEqual(['request:1001']), 401);
      // a new consumer later opens a new subscription (new id) and still sees the current state
      expectObservable(defer(() => client.matches$('(name=x)')).pipe(map(m)), '500ms ^ 100ms !').toBe('500ms a', {
        a: 'appeared:1',
      });
      ts.schedule(() => expect(wire(net, 'subscribe')).toEqual(['request:1001', 'request:1002']), 550);
      ts.schedule(() => void client.close(), 1000);
    });
  });

  it('filters with the same canonical form share; different ones do not', () => {
    const { ts } = setup();
    ts.run(() => {
      const net = new FakeNet(ts);
      const client = virtualClient(ts, net, { addresses: [A] });
      ts.schedule(() => {
        client.matches$('(a>+5)').subscribe();
        client.matches$('(a>5)').subscribe();
        client.matches$('(a>6)').subscribe();
        client.matches$().subscribe();
      }, 10);
      ts.schedule(() => {
        const filters = net
          .server(A)
          .live!.sentOf('subscribe')
          .map((x) => x.filter ?? '-');
        expect(filters).toEqual(['(a>+5)', '(a>6)', '-']);
      }, 20);
      ts.schedule(() => void client.close(), 100);
    });
  });
});

describe('membership$ memory stays bounded (a gone entry is dropped once reported)', () => {
  it('3,000 services come and go, 10 at a time: each reported gone exactly once, no emission beyond 10 entries', () => {
    const { ts } = setup();
    const ROUNDS = 300;
    const BATCH = 10;
    let maxSize = 0;
    let emissions = 0;
    const online = new Set<bigint>();
    const gone = new Map<bigint, number>();
    let last: ReadonlyMap<bigint, string> = new Map();
    ts.run(() => {
      const net = new FakeNet(ts);
      const s = net.server(A);
      for (let r = 0; r < ROUNDS; r++) {
        const ids = Array.from({ length: BATCH }, (_, i) => BigInt(r * BATCH + i + 1));
        ts.schedule(() => ids.forEach((id) => s.upsert(fakeService(id, { g: 'churn' }))), 10 + r * 10);
        ts.schedule(() => ids.forEach((id) => s.remove(id)), 15 + r * 10);
      }
      const client = virtualClient(ts, net, { addresses: [A] });
      client.membership$('(g=churn)').subscribe((m) => {
        emissions++;
        maxSize = Math.max(maxSize, m.size);
        last = m;
        for (const [id, st] of m)
          if (st === 'gone') gone.set(id, (gone.get(id) ?? 0) + 1);
          else online.add(id);
      });
      ts.schedule(() => void client.close(), 10 + ROUNDS * 10 + 100);
    });
    expect(emissions).toBe(1 + 2 * ROUNDS); // the empty start, then one per step
    expect(online.size).toBe(ROUNDS * BATCH);
    expect(gone.size).toBe(ROUNDS * BATCH);
    expect([...gone.values()].every((n) => n === 1)).toBe(true);
    // what a consumer holds is the last step only: the last 10, gone (dropped from the next emission)
    expect(maxSize).toBe(BATCH);
    expect([...last.values()]).toEqual(Array.from({ length: BATCH }, () => 'gone'));
  });
});

describe('cold and independent per subscription (issue 10, item 6)', () => {
  it('matches$ does nothing until subscribed; each subscription of one Observable is its own consumer', () => {
    const { ts } = setup();
    ts.run(({ expectObservable }) => {
      const net = new FakeNet(ts);
      const s = net.server(A);
      s.upsert(fakeService(1n, { name: 'x' }));
      ts.schedule(() => s.upsert(fakeService(2n, { name: 'x' })), 300);
      const client = virtualClient(ts, net, { addresses: [A] });
      const matches = client.matches$('(name=x)'); // no effect yet
      ts.schedule(() => expect(wire(net, 'subscribe')).toEqual([]), 50);
      const values = { a: 'appeared:1', b: 'appeared:2' };
      expectObservable(matches.pipe(map(m)), '100ms ^ 400ms !').toBe('100ms a 199ms b', values);
      expectObservable(matches.pipe(map(m)), '200ms ^ 400ms !').toBe('200ms a 99ms b', values);
      ts.schedule(() => void client.close(), 1000);
    });
  });

  it('services$, membership$ and connections$ give every subscription its own full view', () => {
    const { ts } = setup();
    ts.run(({ expectObservable }) => {
      const net = new FakeNet(ts);
      net.server(A).upsert(fakeService(1n, { name: 'x' }));
      const client = virtualClient(ts, net, { addresses: [A] });
      const services = client.services$('(name=x)').pipe(map((x) => [...x.keys()].join()));
      const members = client.membership$('(name=x)').pipe(map((x) => [...x.values()].join()));
      const links = client.connections$.pipe(map((c) => c.state));
      // the first consumer opens the subscription: the empty set, then the servers' answer (same frame);
      // later consumers (also of another view of the same filter) get the current set
      expectObservable(services, '100ms ^ 300ms !').toBe('100ms (ea)', { e: '', a: '1' });
      expectObservable(services, '200ms ^ 300ms !').toBe('200ms a', { a: '1' });
      expectObservable(members, '150ms ^ 300ms !').toBe('150ms a', { a: 'online' });
      expectObservable(members, '250ms ^ 300ms !').toBe('250ms a', { a: 'online' });
      expectObservable(links, '100ms ^ 10ms !').toBe('100ms a', { a: 'connected' });
      expectObservable(links, '200ms ^ 10ms !').toBe('200ms a', { a: 'connected' });
      ts.schedule(() => void client.close(), 1000);
    });
  });

  it('a bad filter errors on subscribe (not on the call) with PafFilterError', () => {
    const { ts } = setup();
    ts.run(({ expectObservable }) => {
      const client = virtualClient(ts, new FakeNet(ts), { addresses: [A] });
      const bad = client.matches$('(name=x');
      expectObservable(bad).toBe('#', undefined, expect.any(PafFilterError));
      expectObservable(client.services$('name=x')).toBe('#', undefined, expect.any(PafFilterError));
      ts.schedule(() => void client.close(), 10);
    });
  });

  it('after close every observable ends: subscriptions complete, new ones fail with PafClosedError', () => {
    const { ts } = setup();
    ts.run(({ expectObservable }) => {
      const client: RxpafClient = virtualClient(ts, new FakeNet(ts), { addresses: [A] });
      expectObservable(client.matches$('(a=b)')).toBe('100ms |');
      expectObservable(client.connections$.pipe(map((c) => c.state)), '^ 200ms !').toBe('(ab) 96ms (c|)', {
        a: 'connecting',
        b: 'connected',
        c: 'disconnected',
      });
      expectObservable(client.matches$('(a=b)'), '150ms ^').toBe('150ms #', undefined, expect.any(PafClosedError));
      expectObservable(client.connections$, '150ms ^').toBe('150ms |');
      ts.schedule(() => void client.close(), 100);
    });
  });
});

describe('snapshots are read-only maps that serialise with toJson', () => {
  it('services$ emits a ReadonlyMap keyed by id; toJson writes ids exactly', () => {
    const { ts } = setup();
    let seen: ReadonlyMap<bigint, unknown> | undefined;
    ts.run(() => {
      const net = new FakeNet(ts);
      net.server(A).upsert(fakeService(2n ** 62n + 1n, { name: 'big' }));
      const client = virtualClient(ts, net, { addresses: [A] });
      client.services$().subscribe((x) => (seen = x));
      ts.schedule(() => void client.close(), 10);
    });
    expect(seen!.size).toBe(1);
    expect([...seen!.keys()]).toEqual([2n ** 62n + 1n]);
    expect(seen!.has(2n ** 62n + 1n)).toBe(true);
    const json = toJson(seen);
    expect(json).toContain('"4611686018427387905":{"id":4611686018427387905');
    let n = 0;
    seen!.forEach((_v, k, map) => {
      expect(map.get(k)).toBeDefined();
      n++;
    });
    expect(n).toBe(1);
  });
});

describe('matchesOf: a consumer that stops in the middle of a batch', () => {
  const service = (id: bigint): Service => ({ id, generation: 0n, props: { n: [id] }, ttl: 5, clientId: 1n });
  /** `n` items that count how many were taken from them. */
  const counted = <T>(n: number, item: (i: number) => T): { items: Iterable<T>; pulled: () => number } => {
    let pulled = 0;
    return {
      items: {
        *[Symbol.iterator]() {
          for (let i = 1; i <= n; i++) {
            pulled++;
            yield item(i);
          }
        },
      },
      pulled: () => pulled,
    };
  };

  it('is not walked through the rest of a large current view', () => {
    const view = counted(10_000, (i) => ({ record: service(BigInt(i)) }));
    const batches = new Subject<GroupBatch>();
    const got: string[] = [];
    matchesOf(batches)
      .pipe(take(2))
      .subscribe((x) => got.push(m(x)));
    batches.next({ view: { values: () => view.items } as unknown as MergeMap, changes: [] });
    expect(got).toEqual(['appeared:1', 'appeared:2']);
    expect(view.pulled()).toBeLessThanOrEqual(3);
  });

  it('is not walked through the rest of a large step', () => {
    const changes = counted(10_000, (i): Match => ({ type: 'appeared', service: service(BigInt(i)) }));
    const batches = new Subject<GroupBatch>();
    const got: string[] = [];
    matchesOf(batches)
      .pipe(take(2))
      .subscribe((x) => got.push(m(x)));
    batches.next({ view: { values: () => [] } as unknown as MergeMap, changes: [] }); // the first view: empty
    batches.next({ view: { values: () => [] } as unknown as MergeMap, changes: changes.items as readonly Match[] });
    expect(got).toEqual(['appeared:1', 'appeared:2']);
    expect(changes.pulled()).toBeLessThanOrEqual(3);
  });
});

/**
 * Issue 9, item 4: "every rejection and error is a typed `PafError` subclass with a stable `code`". `messageOf`
 * first (what an error text shows of any thrown value), then every way the public API rejects, throws or errors
 * (numbered, as docs/audits/issue-9.md counts them), each through the public entry point, each checked for its class,
 * `instanceof PafError` and its code. Real servers (in-process and rxpafd) where a server is involved; the two
 * timeouts on virtual time against scripted servers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, Observable, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  createClient,
  createServer,
  PafArgumentError,
  PafClosedError,
  PafConfigError,
  PafConnectionError,
  PafDomainError,
  PafError,
  PafFilterError,
  PafReplayError,
  PafRequestError,
  PafTimeoutError,
  PafTransportError,
  PafUnpublishedError,
  parseFilter,
  readLines$,
  replay$,
  toJson,
  type ConnectionState,
  type RxpafClient,
  type RxpafServer,
} from 'rxpaf';

import { messageOf } from '../lib/errors';
import { helloMsg, waitFor } from './helpers/daemon';
import { RawClient } from './helpers/raw-client';
import { FakeNet, virtualClient } from './client/virtual-net';

describe('messageOf', () => {
  it("shows an error's message, and any object's string message (errors of another realm)", () => {
    expect(messageOf(new PafArgumentError('bad server'))).toBe('bad server');
    expect(messageOf(new TypeError('x is not a function'))).toBe('x is not a function');
    expect(messageOf({ message: 'from a worker', stack: '...' })).toBe('from a worker');
  });

  it('shows other objects as JSON (bigints as digits), never as [object Object]', () => {
    expect(messageOf({ code: 7, id: 2n ** 63n - 1n })).toBe('{"code":7,"id":"9223372036854775807"}');
    expect(messageOf([1, 'a'])).toBe('[1,"a"]');
    expect(messageOf({ message: 42 })).toBe('{"message":42}');
  });

  it('falls back to the object tag when an object cannot be written as JSON (a cycle)', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(messageOf(cyclic)).toBe('[object Object]');
  });

  it('shows primitives by String', () => {
    expect(messageOf('plain text')).toBe('plain text');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(null)).toBe('null');
    expect(messageOf(undefined)).toBe('undefined');
    expect(messageOf(Symbol('s'))).toBe('Symbol(s)');
  });
});

/** The class and code every error kind has; a code never changes once published. */
const CODES: ReadonlyArray<[new (...args: never[]) => PafError, string]> = [
  [PafRequestError, 'PAF_REQUEST_FAILED'],
  [PafFilterError, 'PAF_INVALID_FILTER'],
  [PafConnectionError, 'PAF_CONNECTION'],
  [PafTimeoutError, 'PAF_TIMEOUT'],
  [PafClosedError, 'PAF_CLOSED'],
  [PafUnpublishedError, 'PAF_UNPUBLISHED'],
  [PafArgumentError, 'PAF_INVALID_ARGUMENT'],
  [PafTransportError, 'PAF_TRANSPORT'],
  [PafConfigError, 'PAF_CONFIG'],
  [PafReplayError, 'PAF_REPLAY'],
  [PafDomainError, 'PAF_DOMAIN_FAILED'],
];

/** What a caught value is, for one `toEqual`: its class name, whether it is a PafError, its code. */
const kind = (e: unknown): [string, boolean, unknown] => [
  (e as Error | undefined)?.constructor?.name ?? typeof e,
  e instanceof PafError,
  (e as { code?: unknown } | undefined)?.code,
];
const expected = (cls: new (...args: never[]) => PafError): [string, boolean, string] => [
  cls.name,
  true,
  CODES.find(([c]) => c === cls)![1],
];

/** The rejection of a promise (fails if it resolves). */
const rejection = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('resolved instead of rejecting');
};
/** What a function throws (fails if it returns). */
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('returned instead of throwing');
};
/** The error an observable errors with (fails if it completes). */
const errorOf = (o: Observable<unknown>): Promise<unknown> => rejection(lastValueFrom(o, { defaultValue: undefined }));

describe('the error classes', () => {
  it.each(CODES.map(([cls, code]) => ({ name: cls.name, cls, code })))(
    '$name is a PafError (and an Error) with the stable code $code and its own name',
    ({ cls, code }) => {
      const e: PafError =
        cls === PafRequestError
          ? new PafRequestError('ping', 'x')
          : cls === PafFilterError
            ? new PafFilterError('(', 'r', 1)
            : cls === PafReplayError
              ? new PafReplayError(1, 'r')
              : cls === PafDomainError
                ? new PafDomainError(0, 'main', new Error('r'))
                : new (cls as new (m: string) => PafError)('m');
      expect([e instanceof Error, e instanceof PafError, e.code, e.name]).toEqual([true, true, code, cls.name]);
    },
  );
});

describe('every rejection path gives a typed PafError', () => {
  let server: RxpafServer;
  let limited: RxpafServer;
  let addr: string;
  let limitedAddr: string;
  let client: RxpafClient;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-errors-'));
    server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    addr = server.domains[0]!.addresses[0]!;
    limited = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      limits: { user: { services: 0, subscriptions: 0 } },
    });
    limitedAddr = limited.domains[0]!.addresses[0]!;
    client = createClient({ addresses: [addr] });
    await client.ping();
  });
  afterAll(async () => {
    await client.close();
    await server.close();
    await limited.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // the filter language
  it('1. parseFilter of a malformed filter throws PafFilterError (with the filter, reason and position)', () => {
    const e = thrown(() => parseFilter('(name=db'));
    expect(kind(e)).toEqual(expected(PafFilterError));
    expect(e).toMatchObject({ filter: '(name=db', position: 8 });
  });

  // client: local argument checks (rejections, never synchronous throws)
  it('2. publish of properties that are not an object rejects with PafArgumentError', async () => {
    for (const bad of [null, 'name=x', ['x']]) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = client.publish(bad as never))).not.toThrow();
      expect(kind(await rejection(p!))).toEqual(expected(PafArgumentError));
    }
  });

  it('3. publish of a non-integer number, NaN or a boolean property rejects with PafArgumentError', async () => {
    for (const v of [1.5, Number.NaN, 2 ** 53, true])
      expect(kind(await rejection(client.publish({ x: v as never })))).toEqual(expected(PafArgumentError));
  });

  it('4. publish of an integer property outside int64 rejects with PafArgumentError; the int64 bounds are carried exactly', async () => {
    for (const v of [2n ** 64n, 2n ** 63n, -(2n ** 63n) - 1n]) {
      const e = await rejection(client.publish({ a: v }));
      expect(kind(e)).toEqual(expected(PafArgumentError));
      expect((e as Error).message).toContain('int64');
    }
    const edge = await client.publish({ max: 2n ** 63n - 1n, min: -(2n ** 63n) });
    const listed = (await client.listServices()).find((s) => s.id === edge.id);
    expect(listed?.props).toEqual({ max: [2n ** 63n - 1n], min: [-(2n ** 63n)] });
    expect(kind(await rejection(edge.modify({ a: [1n, 2n ** 64n] })))).toEqual(expected(PafArgumentError));
    await edge.unpublish();
  });

  it('5. publish with a negative, fractional or non-number TTL rejects with PafArgumentError', async () => {
    for (const ttl of [-1, 0.5, '10'])
      expect(kind(await rejection(client.publish({ a: 'x' }, { ttl: ttl as never })))).toEqual(
        expected(PafArgumentError),
      );
  });

  it('6. publish with an id or generation outside 0 … 2^63−1 (or not a bigint) rejects with PafArgumentError', async () => {
    for (const o of [{ id: 2n ** 63n }, { id: -1n }, { id: 5 as never }, { generation: -1n }])
      expect(kind(await rejection(client.publish({ a: 'x' }, o)))).toEqual(expected(PafArgumentError));
  });

  it('7. publishing an id this client already publishes rejects with PafArgumentError', async () => {
    const s = await client.publish({ a: 'twice' });
    expect(kind(await rejection(client.publish({ a: 'twice' }, { id: s.id })))).toEqual(expected(PafArgumentError));
    await s.unpublish();
  });

  it('8. a server selector that is neither an index nor an address rejects with PafArgumentError', async () => {
    for (const server of [-1, 1.5, {}])
      expect(kind(await rejection(client.ping(server as never)))).toEqual(expected(PafArgumentError));
    expect(kind(await rejection(client.listClients({} as never)))).toEqual(expected(PafArgumentError));
  });

  it('9. modify with bad properties and setTtl with a bad TTL reject with PafArgumentError', async () => {
    const s = await client.publish({ a: 'm' });
    expect(kind(await rejection(s.modify({ a: 0.5 })))).toEqual(expected(PafArgumentError));
    expect(kind(await rejection(s.setTtl(-5)))).toEqual(expected(PafArgumentError));
    expect(s.generation).toBe(0n); // nothing was sent
    await s.unpublish();
  });

  // client: a malformed filter, before anything is sent
  it('10. matches$, services$ and membership$ of a malformed filter error with PafFilterError', async () => {
    for (const o of [client.matches$('(a='), client.services$('(&)'), client.membership$('name=x')])
      expect(kind(await errorOf(o))).toEqual(expected(PafFilterError));
  });

  it('11. listServices with a malformed filter rejects with PafFilterError', async () => {
    expect(kind(await rejection(client.listServices('(a')))).toEqual(expected(PafFilterError));
  });

  // client: the life of a published service
  it('12. modify and setTtl after unpublish reject with PafUnpublishedError (also while the unpublish is in flight)', async () => {
    const s = await client.publish({ a: 'gone' });
    const unpublishing = s.unpublish();
    const during = rejection(s.modify({ a: 'again' }));
    await unpublishing;
    expect(kind(await during)).toEqual(expected(PafUnpublishedError));
    expect(kind(await rejection(s.modify({ a: 'again' })))).toEqual(expected(PafUnpublishedError));
    expect(kind(await rejection(s.setTtl(3)))).toEqual(expected(PafUnpublishedError));
    await expect(s.unpublish()).resolves.toBeUndefined(); // unpublishing twice is no error
  });

  // client: a server says no
  it('13. publish refused by a server (resource limit) rejects with PafRequestError and its fail-reason', async () => {
    const c = createClient({ addresses: [limitedAddr] });
    try {
      const e = await rejection(c.publish({ a: 'over' }));
      expect(kind(e)).toEqual(expected(PafRequestError));
      expect(e).toMatchObject({ command: 'publish', failReason: 'insufficient-resources' });
    } finally {
      await c.close();
    }
  });

  it('14. a subscription refused by a server errors matches$ with PafRequestError', async () => {
    const c = createClient({ addresses: [limitedAddr] });
    try {
      const e = await errorOf(c.matches$('(a=b)'));
      expect(kind(e)).toEqual(expected(PafRequestError));
      expect(e).toMatchObject({ command: 'subscribe', failReason: 'insufficient-resources' });
    } finally {
      await c.close();
    }
  });

  // client: closed
  it('15. every request after close rejects with PafClosedError; requests pending at close too', async () => {
    const c = createClient({ addresses: ['tcp:127.0.0.1:1'], reconnectMin: 5, reconnectMax: 5 }); // never connects
    const pending = [rejection(c.ping()), rejection(c.publish({ a: 'pending' })), rejection(c.listServices())];
    await c.close();
    for (const e of await Promise.all(pending)) expect(kind(e)).toEqual(expected(PafClosedError));
    for (const p of [c.ping(), c.publish({ a: 'late' }), c.listServices(), c.listClients(), c.listSubscriptions()])
      expect(kind(await rejection(p))).toEqual(expected(PafClosedError));
  });

  it('16. a service handle of a closed client rejects modify with PafClosedError', async () => {
    const c = createClient({ addresses: [addr] });
    const s = await c.publish({ a: 'closing' });
    await c.close();
    expect(kind(await rejection(s.modify({ a: 'after' })))).toEqual(expected(PafClosedError));
  });

  // client: connections
  it('17. a link that cannot connect reports a PafError in connections$ (refused, or an unusable address)', async () => {
    for (const address of ['tcp:127.0.0.1:1', 'bogus:1', 'tls:127.0.0.1:1']) {
      const c = createClient({ addresses: [address], reconnectMin: 5, reconnectMax: 5 });
      try {
        const down = await firstValueFrom(
          c.connections$.pipe((o) => new Observable<ConnectionState>((s) => o.subscribe((x) => x.error && s.next(x)))),
        );
        expect([address, down.error instanceof PafError]).toEqual([address, true]);
        expect(['PAF_CONNECTION', 'PAF_TRANSPORT']).toContain(down.error!.code);
      } finally {
        await c.close();
      }
    }
  });

  /**
   * Run `body` on virtual time against scripted servers (the client is closed at `closeAt`, so the run ends); `body`
   * returns how to get the outcome once the run is over.
   */
  const onVirtualTime = (
    closeAt: number,
    options: Parameters<typeof virtualClient>[2],
    body: (net: FakeNet, client: RxpafClient, ts: TestScheduler) => () => Promise<unknown>,
  ): Promise<unknown> => {
    const ts = new TestScheduler(() => undefined);
    let outcome!: () => Promise<unknown>;
    ts.run(() => {
      const net = new FakeNet(ts);
      const c = virtualClient(ts, net, options);
      outcome = body(net, c, ts);
      ts.schedule(() => void c.close(), closeAt);
    });
    return outcome();
  };

  it('18. a request no server can take within requestTimeout rejects with PafConnectionError (virtual time)', async () => {
    const e = await onVirtualTime(10_000, { addresses: ['tcp:127.0.0.1:1001'], requestTimeout: 3 }, (net, c) => {
      net.server('tcp:127.0.0.1:1001').accepting = false;
      const p = rejection(c.ping());
      return () => p;
    });
    expect(kind(e)).toEqual(expected(PafConnectionError));
  });

  it('19. a request a connected server does not answer within requestTimeout rejects with PafTimeoutError (virtual time)', async () => {
    const e = await onVirtualTime(10_000, { addresses: ['tcp:127.0.0.1:1001'], requestTimeout: 3 }, (net, c, ts) => {
      let p!: Promise<unknown>;
      ts.schedule(() => {
        net.server('tcp:127.0.0.1:1001').answering = false;
        p = rejection(c.ping());
      }, 100);
      return () => p;
    });
    expect(kind(e)).toEqual(expected(PafTimeoutError));
  });

  // in-process server
  it('20. createServer on an unusable address rejects with PafTransportError', async () => {
    for (const a of ['bogus:1', 'tcp:nohost', 'tcp:127.0.0.1:99999'])
      expect([a, ...kind(await rejection(createServer({ domains: [{ sockets: [{ addr: a }] }] })))]).toEqual([
        a,
        ...expected(PafTransportError),
      ]);
  });

  it('21. createServer on an address in use rejects with PafTransportError (errno EADDRINUSE)', async () => {
    const e = await rejection(createServer({ domains: [{ sockets: [{ addr }] }] }));
    expect(kind(e)).toEqual(expected(PafTransportError));
    expect(e).toMatchObject({ errno: 'EADDRINUSE' });
  });

  it('22. createServer with TLS files that are missing or unreadable rejects with PafTransportError', async () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    for (const tls of [
      { cert: join(dir, 'none.pem'), key: junk, tc: junk },
      { cert: junk, key: junk, tc: junk },
    ])
      expect(
        kind(await rejection(createServer({ domains: [{ sockets: [{ addr: 'tls:127.0.0.1:0', tls }] }] }))),
      ).toEqual(expected(PafTransportError));
  });

  it('23. createServer with unusable settings or output limits rejects with PafConfigError', async () => {
    const bad = [
      { domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { protocolMin: 3, protocolMax: 2 } }] },
      { domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { protocolMax: 4 } }] },
      { domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }], outputLimits: { hardBytes: -1 } },
    ];
    for (const o of bad) expect(kind(await rejection(createServer(o)))).toEqual(expected(PafConfigError));
  });

  it("24. a server domain's matches$ and services$ of a malformed filter error with PafFilterError", async () => {
    const d = server.domains[0]!;
    for (const o of [d.matches$('(a='), d.services$('(|)')])
      expect(kind(await errorOf(o))).toEqual(expected(PafFilterError));
  });

  it("24a. a failed domain's observables error with PafDomainError, the one onDomainFailure receives", async () => {
    process.env.RXPAF_FAILPOINT = 'pipeline'; // the documented test hook (§11.5): the pipeline throws at a message
    const reported: unknown[] = [];
    let failing: RxpafServer;
    try {
      failing = await createServer({
        domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
        onDomainFailure: (_d, e) => reported.push(e),
      });
    } finally {
      delete process.env.RXPAF_FAILPOINT;
    }
    try {
      const d = failing.domains[0]!;
      const ended = [d.changes$, d.matches$(), d.services$(), d.connections$].map(errorOf);
      const c = await RawClient.open(d.addresses[0]!);
      c.send(helloMsg(1));
      await c.waitClosed();
      const errors = await Promise.all(ended);
      for (const e of errors) expect(kind(e)).toEqual(expected(PafDomainError));
      await waitFor(() => reported.length > 0, 2000, 'onDomainFailure'); // once its sockets are closed
      expect(reported).toEqual([errors[0]]);
      expect(new Set([...errors, ...reported]).size).toBe(1);
    } finally {
      await failing.close();
    }
  });

  // replay
  it('25. replay$ of a log line that cannot be replayed errors with PafReplayError (its 1-based line)', async () => {
    const steps: unknown[] = [];
    const e = await rejection(
      lastValueFrom(
        replay$(new Observable<string>((s) => (s.next('{"not":"a record"}'), s.complete()))).pipe(toArray()),
      ),
    );
    expect(kind(e)).toEqual(expected(PafReplayError));
    expect(e).toMatchObject({ line: 1 });
    expect(steps).toEqual([]);
  });

  it('26. readLines$ of a file that cannot be read errors with PafReplayError (not a raw ENOENT)', async () => {
    const e = await errorOf(readLines$([join(dir, 'missing.ndjson')]));
    expect(kind(e)).toEqual(expected(PafReplayError));
    expect((e as Error).message).toContain('missing.ndjson');
    expect((e as { cause?: { code?: string } }).cause?.code).toBe('ENOENT');
  });

  // JSON
  it('27. toJson of a cyclic value throws PafArgumentError', () => {
    const a: { self?: unknown } = {};
    a.self = a;
    expect(kind(thrown(() => toJson(a)))).toEqual(expected(PafArgumentError));
  });
});

/**
 * Robustness of the daemon (spec §3.5, §15.3, §10.3): every malformed message of upstream's
 * test_misbehaving_clients (and a few byte-level ones) closes only the offending connection; a client that never
 * reads does not slow down the others and gets all its notifications, in order, when it reads again; 1,000
 * concurrent clients are served.
 */
import {
  Daemon,
  helloMsg,
  killAllDaemons,
  list,
  msg,
  ping,
  publish,
  RawTcp,
  sleep,
  subscribe,
} from '../helpers/daemon';
import { RawClient, type Msg } from '../helpers/raw-client';

jest.setTimeout(30000);

const frameHeader = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** What the misbehaving client sends after its valid hello: a frame payload, or raw bytes on the stream. */
type Malformed = { frame: string | Buffer } | { bytes: Buffer };

const MALFORMED: ReadonlyArray<readonly [string, Malformed]> = [
  ['an unknown command', { frame: msg('no-such-command', 5, 'request') }],
  ['a ping with msg-type fail', { frame: msg('ping', 5, 'fail') }],
  ['a ta-id of -42', { frame: '{"ta-cmd":"ping","ta-id":-42,"msg-type":"request"}' }],
  ['a hello with ta-id 2^63', { frame: helloMsg(7, 2, 3, 2n ** 63n) }],
  ['a hello with client-id 2^99', { frame: helloMsg(2n ** 99n, 2, 3, 5) }],
  ['a services request with an extra client-id field', { frame: msg('services', 5, 'request', { 'client-id': 5 }) }],
  [
    'a hello without ta-id',
    {
      frame:
        '{"ta-cmd":"hello","msg-type":"request","client-id":7,"protocol-minimum-version":2,"protocol-maximum-version":3}',
    },
  ],
  ['a subscribe without subscription-id', { frame: msg('subscribe', 5, 'request') }],
  [
    'a publish whose props value is a string',
    {
      frame: msg('publish', 5, 'request', {
        'service-id': 1,
        generation: 0,
        'service-props': { name: 'foo' },
        ttl: 5,
      }),
    },
  ],
  ['a non-JSON blob', { frame: 'this is { not JSON' }],
  ['an empty JSON array', { frame: '[]' }],
  ['a UTF-16 encoded ping', { frame: Buffer.from('\ufeff' + msg('ping', 5, 'request'), 'utf16le') }],
  ['a zero-length frame', { bytes: frameHeader(0) }],
  ['a frame header announcing 300000 bytes', { bytes: Buffer.concat([frameHeader(300000), Buffer.from('{"ta')]) }],
];

describe('rxpafd and misbehaving clients (upstream test_misbehaving_clients)', () => {
  let daemon: Daemon;
  let bystander: RawClient;
  let taId = 100;
  const BYSTANDER_SERVICE = 4242;

  beforeAll(async () => {
    daemon = await Daemon.start(['tcp:127.0.0.1:0']);
    bystander = await RawClient.open(daemon.addr());
    expect(await bystander.hello(1, 2, 2)).toMatchObject({ 'msg-type': 'complete' });
    expect(await subscribe(bystander, 1, 77, '(bad=*)')).toMatchObject({ 'msg-type': 'accept' });
    expect(await publish(bystander, 2, BYSTANDER_SERVICE, { own: ['yes'] }, { ttl: 60 })).toMatchObject({
      'msg-type': 'complete',
    });
  });
  afterAll(async () => {
    bystander.close();
    const exit = await daemon.stop();
    await killAllDaemons();
    expect(exit.code).toBe(0);
  });

  it.each(MALFORMED)('%s: closes only that connection, orderly', async (_what, bad) => {
    const id = ++taId;
    const raw = await RawTcp.open(daemon.port());
    raw.sendFrame(helloMsg(id));
    expect(await raw.next()).toMatchObject({ 'ta-cmd': 'hello', 'msg-type': 'complete' });
    // A service, so that the bystander's subscription sees the misbehaving client's disconnect.
    raw.sendFrame(
      msg('publish', 1, 'request', { 'service-id': id, generation: 0, 'service-props': { bad: ['x'] }, ttl: 0 }),
    );
    expect(await raw.next()).toMatchObject({ 'ta-cmd': 'publish', 'msg-type': 'complete' });
    expect(await bystander.next()).toMatchObject({ 'match-type': 'appeared', 'service-id': BigInt(id) });

    if ('frame' in bad) raw.sendFrame(bad.frame);
    else raw.sendBytes(bad.bytes);
    const closed = await raw.waitClose(4000);
    expect(closed).toMatchObject({ ended: true, error: undefined });
    expect(closed.afterMs).toBeLessThan(2000); // not the handshake or idle deadline
    expect(raw.queued).toBe(0); // no response to the bad message

    // Disconnect processing ran: orphaned (TTL 0), then removed; the bystander's subscription is intact.
    const orphaned = await bystander.next();
    expect(orphaned).toMatchObject({ 'match-type': 'modified', 'service-id': BigInt(id) });
    expect(typeof orphaned['orphan-since']).toBe('number');
    expect({ ...(await bystander.next()) }).toEqual({
      'ta-cmd': 'subscribe',
      'ta-id': 1n,
      'msg-type': 'notify',
      'match-type': 'disappeared',
      'service-id': BigInt(id),
    });
    expect(await ping(bystander, ++taId)).toBeLessThan(1000);
    const services = await list(bystander, 'services', ++taId);
    expect(services.map((m) => [m['service-id'], m['client-id'], m['orphan-since']])).toEqual([
      [BigInt(BYSTANDER_SERVICE), 1n, undefined],
    ]);
    const subs = await list(bystander, 'subscriptions', ++taId);
    expect(subs.map((m) => [m['subscription-id'], m['client-id']])).toEqual([[77n, 1n]]);
    expect((await list(bystander, 'clients', ++taId)).map((m) => m['client-id'])).toEqual([1n]);
  });

  it('a malformed message before hello closes the connection too', async () => {
    const raw = await RawTcp.open(daemon.port());
    raw.sendFrame('{"ta-cmd":"ping","ta-id":-1,"msg-type":"request"}');
    const closed = await raw.waitClose(4000);
    expect(closed).toMatchObject({ ended: true, error: undefined });
    expect(closed.afterMs).toBeLessThan(2000);
    expect(raw.bytes).toBe(0);
    expect(await ping(bystander, ++taId)).toBeLessThan(1000);
  });

  it('a valid request that cannot be executed gets a fail and the connection stays open', async () => {
    const raw = await RawTcp.open(daemon.port());
    raw.sendFrame(msg('ping', 3, 'request'));
    expect(await raw.next()).toEqual({ 'ta-cmd': 'ping', 'ta-id': 3, 'msg-type': 'fail', 'fail-reason': 'no-hello' });
    raw.sendFrame(helloMsg(++taId));
    expect(await raw.next()).toMatchObject({ 'msg-type': 'complete' });
    raw.sendFrame(msg('unpublish', 4, 'request', { 'service-id': 999999 }));
    expect(await raw.next()).toMatchObject({ 'msg-type': 'fail', 'fail-reason': 'non-existent-service-id' });
    raw.sendFrame(msg('ping', 5, 'request'));
    expect(await raw.next()).toMatchObject({ 'ta-id': 5, 'msg-type': 'complete' });
    raw.destroy();
  });
});

describe('rxpafd and a client that never reads (§15.3)', () => {
  afterEach(killAllDaemons);

  it('keeps serving others promptly and delivers all 20,000 notifications in order once it reads', async () => {
    const N = 20000;
    // ~700 bytes per notification: 14 MB in all, far more than the socket buffers hold, so the server must queue.
    const PAD = 'p'.repeat(600);
    const daemon = await Daemon.start(['tcp:127.0.0.1:0']);
    const slow = await RawTcp.open(daemon.port());
    slow.sendFrame(helloMsg(1));
    expect(await slow.next()).toMatchObject({ 'msg-type': 'complete' });
    slow.sendFrame(msg('subscribe', 1, 'request', { 'subscription-id': 1 }));
    expect(await slow.next()).toMatchObject({ 'ta-cmd': 'subscribe', 'msg-type': 'accept' });
    slow.pause();

    const publisher = await RawClient.open(daemon.addr());
    const observer = await RawClient.open(daemon.addr());
    expect(await publisher.hello(2)).toMatchObject({ 'msg-type': 'complete' });
    expect(await observer.hello(3)).toMatchObject({ 'msg-type': 'complete' });

    // The observer pings continuously while the publisher produces N notifications for the slow client.
    const latencies: number[] = [];
    let publishing = true;
    const pinger = (async () => {
      for (let i = 10; publishing; i++) {
        latencies.push(await ping(observer, i, 5000));
        await sleep(20);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    const WINDOW = 256;
    let completed = 0;
    let sent = 0;
    const send = (): void => {
      sent++;
      publisher.send(
        msg('publish', sent, 'request', {
          'service-id': sent,
          generation: 0,
          'service-props': { n: [sent], pad: [PAD] },
          ttl: 600,
        }),
      );
    };
    while (sent < Math.min(WINDOW, N)) send();
    while (completed < N) {
      const m = await publisher.next(10000);
      expect(m['msg-type']).toBe('complete');
      completed++;
      if (sent < N) send();
    }
    publishing = false;
    expect(await pinger).toBeUndefined();
    // Nothing was read meanwhile; the server buffers the rest (far more than the socket buffers hold).
    expect(slow.queued).toBe(0);
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(await ping(observer, 1)).toBeLessThan(500);

    // The slow client's process holds at most its stream buffer: the rest waits in the kernel and in the server.
    expect(slow.socket.readableLength).toBeLessThan(1024 * 1024);
    slow.read();
    const t0 = Date.now();
    for (let i = 1; i <= N; i++) {
      const m = await slow.next(15000 - (Date.now() - t0));
      if (m['service-id'] !== i || m['match-type'] !== 'appeared') {
        throw new Error(`notification ${i} out of order: ${JSON.stringify(m)}`);
      }
    }
    expect(slow.bytes).toBeGreaterThan(N * 600);
    expect(Date.now() - t0).toBeLessThan(10000);
    slow.sendFrame(msg('ping', 2, 'request'));
    expect(await slow.next()).toEqual({ 'ta-cmd': 'ping', 'ta-id': 2, 'msg-type': 'complete' });
    expect(slow.closed).toBe(false);
    slow.destroy();
    publisher.close();
    observer.close();
    expect((await daemon.stop()).code).toBe(0);
  });
});

describe('rxpafd with 1,000 concurrent clients', () => {
  afterEach(killAllDaemons);

  it('answers every hello and ping; clients lists all 1,000', async () => {
    const N = 1000;
    const daemon = await Daemon.start(['tcp:127.0.0.1:0']);
    const t0 = Date.now();
    let nextId = 10000;
    // Each client says hello right after connecting (an idle connection would meet the handshake deadline).
    const clients = await daemon.openPaced(
      N,
      async () => {
        const c = await RawClient.open(daemon.addr());
        const answer = await c.hello(nextId++, 2, 3);
        if (answer['msg-type'] !== 'complete') throw new Error(`hello failed: ${JSON.stringify(answer)}`);
        return c;
      },
      16,
    );
    expect(Date.now() - t0).toBeLessThan(15000);
    try {
      const pings = await Promise.all(clients.map((c) => ping(c, 1, 10000)));
      expect(pings).toHaveLength(N);
      const listed = await list(clients[N - 1]!, 'clients', 2);
      expect(listed).toHaveLength(N);
      const ids = new Set<unknown>(listed.map((m: Msg) => m['client-id']));
      expect(ids.size).toBe(N);
      expect(ids.has(10000n) && ids.has(BigInt(10000 + N - 1))).toBe(true);
    } finally {
      clients.forEach((c) => c.close());
    }
    expect((await daemon.stop()).code).toBe(0);
  });
});

/**
 * Slow consumers over real sockets (tolerant bounds; the exact timing rules are in output-limits.spec.ts):
 *  - a subscriber that stops reading while notifications keep coming is cut as a `slow consumer` once its queued
 *    output passes the limits: logged, counted as `slow_reader`, its services orphaned, bystanders served promptly;
 *  - a client that only sends requests without reading is held by back-pressure instead and receives every reply
 *    once it reads (upstream test_slow_client).
 */
import { Metrics } from '../../lib/http/metrics';
import { createServer, type RxpafServer } from '../../lib/server/create-server';
import type { ConnectionNotice } from '../../lib/server/domain-runtime';
import type { Logger } from '../../lib/log/logger';
import { Daemon, helloMsg, killAllDaemons, list, msg, ping, RawTcp, sleep, waitFor } from '../helpers/daemon';
import { MemoryWatch } from '../helpers/memory';
import { RawClient } from '../helpers/raw-client';

const MiB = 1024 * 1024;
const PAD = 'p'.repeat(600);

interface Rig {
  server: RxpafServer;
  port: number;
  addr: string;
  notices: ConnectionNotice[];
  logs: Array<{ msg: string; fields: Record<string, unknown> }>;
  metrics: Metrics;
}

const rig = async (outputLimits: { hardBytes: number; softBytes: number; softSeconds: number }): Promise<Rig> => {
  const logs: Rig['logs'] = [];
  const method =
    (level: 'debug' | 'info' | 'warning' | 'error' | 'critical') =>
    (_category: string, m: string, fields?: Record<string, unknown>): void => {
      if (level !== 'debug') logs.push({ msg: m, fields: { level, ...fields } });
    };
  const logger: Logger = {
    debug: method('debug'),
    info: method('info'),
    warning: method('warning'),
    error: method('error'),
    critical: method('critical'),
    isEnabled: (level) => level !== 'debug',
    close: () => Promise.resolve(),
  };
  const metrics = new Metrics({ domains: ['d'], version: 'test', lagSampleMs: 0, defaultMetrics: false });
  const server = await createServer({
    domains: [{ name: 'd', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
    outputLimits,
    logger,
    observer: metrics.observer,
  });
  const notices: ConnectionNotice[] = [];
  server.domains[0]!.connections$.subscribe((n) => notices.push(n));
  const addr = server.domains[0]!.addresses[0]!;
  return { server, addr, port: Number(addr.split(':').pop()), notices, logs, metrics };
};

const slowReaderCount = async (m: Metrics): Promise<number> => {
  const got = await m.registry.getSingleMetric('rxpaf_connections_closed_total')!.get();
  return got.values.find((v) => v.labels.reason === 'slow_reader')?.value ?? 0;
};

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('slow consumers (real sockets)', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.server.close();
    r = undefined;
  });

  it('a subscriber that stops reading is cut as a slow consumer; its service is orphaned; bystanders are served', async () => {
    r = await rig({ hardBytes: 4 * MiB, softBytes: 2 * MiB, softSeconds: 1 });
    const slow = await RawTcp.open(r.port);
    slow.sendFrame(helloMsg(1));
    expect(await slow.next()).toMatchObject({ 'msg-type': 'complete' });
    slow.sendFrame(
      msg('publish', 1, 'request', { 'service-id': 1, generation: 0, 'service-props': { own: [1] }, ttl: 60 }),
    );
    expect(await slow.next()).toMatchObject({ 'ta-cmd': 'publish', 'msg-type': 'complete' });
    slow.sendFrame(msg('subscribe', 2, 'request', { 'subscription-id': 1, filter: '(pad=*)' }));
    expect(await slow.next()).toMatchObject({ 'ta-cmd': 'subscribe', 'msg-type': 'accept' });
    slow.pause();
    const slowConn = r.notices.find((n) => n.type === 'accepted')!.conn;

    const publisher = await RawClient.open(r.addr);
    const bystander = await RawClient.open(r.addr);
    expect(await publisher.hello(2)).toMatchObject({ 'msg-type': 'complete' });
    expect(await bystander.hello(3)).toMatchObject({ 'msg-type': 'complete' });
    const latencies: number[] = [];
    let running = true;
    const pinger = (async () => {
      for (let i = 10; running; i++) {
        latencies.push(await ping(bystander, i, 5000));
        await sleep(5);
      }
    })();
    const cut = (): boolean => r!.notices.some((n) => n.type === 'closed' && n.conn === slowConn);
    const t0 = performance.now();
    let id = 100;
    // publish in windows of 64 until the slow subscriber is cut (bounded: 40 MB of notifications at most)
    while (!cut() && id < 60_000) {
      for (let k = 0; k < 64; k++, id++)
        publisher.send(
          msg('publish', id, 'request', { 'service-id': id, generation: 0, 'service-props': { pad: [PAD] }, ttl: 60 }),
        );
      for (let k = 0; k < 64; k++) expect((await publisher.next(10000))['msg-type']).toBe('complete');
    }
    const cutAfter = performance.now() - t0;
    running = false;
    await pinger;
    expect(cut()).toBe(true);
    expect(r.notices).toContainEqual({ type: 'closed', conn: slowConn, by: 'server', reason: 'slow consumer' });
    const line = r.logs.find((l) => l.fields.reason === 'slow consumer');
    expect(line).toMatchObject({
      msg: 'closing connection',
      fields: { conn: slowConn, domain: 'd', level: 'warning' },
    });
    // the limit that cut it: the soft one after its grace, or the hard one (the queue never exceeded hard + a batch)
    expect(['soft', 'hard']).toContain(line!.fields.limit);
    expect(Number(line!.fields.pendingBytes)).toBeGreaterThan(2 * MiB);
    expect(Number(line!.fields.pendingBytes)).toBeLessThan(4 * MiB + 64 * 700 + 4096);
    // its service is an orphan, like after any disconnect
    await waitFor(() => r!.server.domains[0]!.snapshot().services.get(1n)?.orphanSince !== undefined, 2000, 'orphan');
    expect(await slowReaderCount(r.metrics)).toBe(1);
    // the slow client gets what the kernel already held, then the end of the connection
    const closed = await slow.waitClose(5000);
    expect(closed.error === undefined || closed.error === 'ECONNRESET').toBe(true);
    expect(latencies.length).toBeGreaterThan(5);
    const p50 = quantile(latencies, 0.5);
    const max = Math.max(...latencies);
    console.log(
      `slow consumer cut after ${cutAfter.toFixed(0)} ms (${String(line!.fields.limit)} limit, ${String(line!.fields.pendingBytes)} bytes queued); ` +
        `bystander ping n=${latencies.length} p50 ${p50.toFixed(2)} ms max ${max.toFixed(2)} ms`,
    );
    // in-process, the clients share the server's event loop: latency is bounded in the daemon spec below
    expect(await ping(bystander, 1)).toBeLessThan(1000);
    publisher.close();
    bystander.close();
  }, 60000);

  it('a client that sends requests without reading is held by back-pressure and gets every reply once it reads', async () => {
    r = await rig({ hardBytes: 2 * MiB, softBytes: 1536 * 1024, softSeconds: 1 });
    const greedy = await RawTcp.open(r.port);
    greedy.sendFrame(helloMsg(1));
    expect(await greedy.next()).toMatchObject({ 'msg-type': 'complete' });
    greedy.pause();
    const N = 100_000; // ~5 MB of replies: more than the socket buffers and the limits hold
    const frames: Buffer[] = [];
    for (let i = 1; i <= N; i++) {
      const body = Buffer.from(msg('ping', i, 'request'));
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length);
      frames.push(head, body);
    }
    greedy.sendBytes(Buffer.concat(frames));
    const bystander = await RawClient.open(r.addr);
    expect(await bystander.hello(2)).toMatchObject({ 'msg-type': 'complete' });
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      latencies.push(await ping(bystander, 10 + i));
      await sleep(50); // 2 s in all: longer than the soft limit's grace
    }
    expect(greedy.closed).toBe(false);
    expect(r.notices.filter((n) => n.type === 'closed')).toEqual([]);
    greedy.read();
    const t0 = Date.now();
    for (let i = 1; i <= N; i++) {
      const m = await greedy.next(40000 - (Date.now() - t0));
      if (m['ta-id'] !== i || m['msg-type'] !== 'complete') throw new Error(`reply ${i} wrong: ${JSON.stringify(m)}`);
    }
    const reading = Date.now() - t0;
    expect(greedy.closed).toBe(false);
    expect(await slowReaderCount(r.metrics)).toBe(0);
    // tolerant bounds (a shared machine): ~0.3 s and a p50 under 1 ms here; a loop that handed its whole backlog
    // back each turn took 10-13 s and 68-90 ms (stop 37)
    expect(reading).toBeLessThan(5000);
    expect(quantile(latencies, 0.5)).toBeLessThan(20);
    console.log(
      `request-only client: ${N} replies after ${reading} ms of reading; bystander ping p50 ` +
        `${quantile(latencies, 0.5).toFixed(2)} ms max ${Math.max(...latencies).toFixed(2)} ms (in-process)`,
    );
    greedy.destroy();
    bystander.close();
  }, 60000);
});

describe('slow consumers against rxpafd (bystander latency, log line)', () => {
  afterEach(killAllDaemons);

  it('cuts a subscriber that stops reading with a logged `slow consumer`; a bystander pings within 10 ms (p50)', async () => {
    const daemon = await Daemon.start(['--output-limits', '4m,2m,1', 'tcp:127.0.0.1:0']);
    const slow = await RawTcp.open(daemon.port());
    slow.sendFrame(helloMsg(1));
    expect(await slow.next()).toMatchObject({ 'msg-type': 'complete' });
    slow.sendFrame(
      msg('publish', 1, 'request', { 'service-id': 1, generation: 0, 'service-props': { own: [1] }, ttl: 60 }),
    );
    expect(await slow.next()).toMatchObject({ 'ta-cmd': 'publish', 'msg-type': 'complete' });
    slow.sendFrame(msg('subscribe', 2, 'request', { 'subscription-id': 1, filter: '(pad=*)' }));
    expect(await slow.next()).toMatchObject({ 'ta-cmd': 'subscribe', 'msg-type': 'accept' });
    slow.pause();
    const publisher = await RawClient.open(daemon.addr());
    const bystander = await RawClient.open(daemon.addr());
    expect(await publisher.hello(2)).toMatchObject({ 'msg-type': 'complete' });
    expect(await bystander.hello(3)).toMatchObject({ 'msg-type': 'complete' });
    await sleep(300);
    const mem = MemoryWatch.start(daemon.pid);
    const latencies: number[] = [];
    let running = true;
    const pinger = (async () => {
      for (let i = 10; running; i++) {
        latencies.push(await ping(bystander, i, 5000));
        await sleep(5);
      }
    })();
    const cutLine = (): string | undefined =>
      daemon.stderr.split('\n').find((l) => l.includes('closing connection') && l.includes('slow consumer'));
    const t0 = performance.now();
    let id = 100;
    // a steady publisher (~3 MB/s of notifications for the slow subscriber), not one that saturates the server
    while (cutLine() === undefined && id < 60_000) {
      for (let k = 0; k < 32; k++, id++)
        publisher.send(
          msg('publish', id, 'request', { 'service-id': id, generation: 0, 'service-props': { pad: [PAD] }, ttl: 60 }),
        );
      for (let k = 0; k < 32; k++) expect((await publisher.next(10000))['msg-type']).toBe('complete');
      await sleep(5);
    }
    await waitFor(() => cutLine() !== undefined, 3000, 'the slow consumer line');
    const cutAfter = performance.now() - t0;
    // a few more pings after the cut
    await sleep(200);
    running = false;
    await pinger;
    expect(cutLine()).toMatch(/WARNING core closing connection .*reason="slow consumer"/);
    const [own] = await list(bystander, 'services', 5, { filter: '(own=1)' });
    expect(own).toMatchObject({ 'service-id': 1n });
    expect(typeof own!['orphan-since']).toBe('number');
    await slow.waitClose(5000);
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    // memory returns (issue 13): RSS back within 25 % of the idle baseline plus what the directory holds (the
    // services published stay: 2 KiB each, the daemon's RSS growth per service measured in bench/README is 1.7 KB;
    // the 600-byte pad is one interned string) within 60 s of the cut
    const services = id - 100 + 1;
    let pings = 100_000;
    const mr = await mem.settle({
      bound: 1.25 * mem.idle + 2 * services,
      withinMs: 60_000,
      keepAlive: () => ping(bystander, pings++, 5000),
    });
    console.log(
      `rxpafd: slow consumer cut after ${cutAfter.toFixed(0)} ms: ${cutLine()!.replace(/^.*closing connection /, '')}; ` +
        `bystander ping n=${latencies.length} p50 ${p50.toFixed(2)} ms p99 ${p99.toFixed(2)} ms max ${Math.max(...latencies).toFixed(2)} ms; ` +
        `${services} services; ${mr.figures}`,
    );
    expect(mr.after).toBeLessThanOrEqual(mr.bound);
    expect(latencies.length).toBeGreaterThan(20);
    expect(p50).toBeLessThan(10);
    expect(p99).toBeLessThan(100); // shared 2-core machine (the publisher and the pinger run here too)
    publisher.close();
    bystander.close();
    expect((await daemon.stop()).code).toBe(0);
  }, 120_000);
});

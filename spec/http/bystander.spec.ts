/**
 * HTTP work never slows the Pathfinder sockets: while HTTP clients hammer the listings, /metrics and watch syncs of
 * a directory of 10,000 services (six watches syncing over and over, and one more watch whose client never
 * reads), a bystander Pathfinder client keeps pinging, and the client that does not read is dropped. The bounds are
 * ratios to the HTTP work itself (so they hold on a loaded machine): a listing spans many event-loop turns and pings
 * are answered between its slices; no ping waits anywhere near as long as one listing takes, as it would if a
 * listing were written in one go. Figures are printed; bench/http.ts measures the same at 100,000 services with the
 * pinger in its own process.
 */
import { get as httpGet } from 'node:http';
import { connect as netConnect } from 'node:net';

import { msg, ping, transact } from '../helpers/daemon';
import type { RawClient } from '../helpers/raw-client';
import { connectClient, startStack, type Stack } from './helpers';

jest.setTimeout(120_000);

const SERVICES = 10_000;

/** GET `url`, discarding the body (the client's own work stays small); resolves with bytes and [start, end]. */
const download = (
  url: string,
  until?: (chunk: Buffer) => boolean,
): Promise<{ bytes: number; status: number; start: number; end: number }> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    let bytes = 0;
    const req = httpGet(url, { agent: false }, (res) => {
      const done = (): void => resolve({ bytes, status: res.statusCode!, start, end: performance.now() });
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (until?.(c) === true) {
          done();
          req.destroy();
        }
      });
      res.on('end', done);
    });
    req.on('error', reject);
  });

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('HTTP work and the Pathfinder sockets', () => {
  let stack: Stack;
  let owner: RawClient;
  let bystander: RawClient;
  beforeAll(async () => {
    stack = await startStack({
      domains: [{ name: 'big', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      http: { maxBlockedMs: 1000 },
    });
    owner = await connectClient(stack.addr(), 1);
    for (let i = 0; i < SERVICES; i += 500) {
      for (let id = i + 1; id <= i + 500; id++)
        owner.send(
          msg('publish', id, 'request', {
            'service-id': id,
            generation: 0,
            'service-props': { name: [`service-${id}`], addr: [`tls:10.1.${id % 250}.${id % 200}:4711`], zone: ['z1'] },
            ttl: 60,
          }),
        );
      for (let k = 0; k < 500; k++) expect((await owner.next(20_000))['msg-type']).toBe('complete');
    }
    bystander = await connectClient(stack.addr(), 2);
  });
  afterAll(async () => {
    owner.close();
    bystander.close();
    await stack.close();
  });

  it('answers a bystander promptly while HTTP clients list, scrape and sync 10,000 services, and drops one that does not read', async () => {
    const idle: number[] = [];
    for (let ta = 100_000; ta < 100_050; ta++) idle.push(await ping(bystander, ta));
    const base = `${stack.url}v1/domains/big`;
    const listings: Array<{ start: number; end: number }> = [];
    let running = true;
    let requests = 0;
    const loop = async (work: () => Promise<void>): Promise<void> => {
      while (running) {
        await work();
        requests++;
      }
    };
    const listOnce = async (): Promise<void> => {
      const r = await download(`${base}/services`);
      expect(r.status).toBe(200);
      expect(r.bytes).toBeGreaterThan(SERVICES * 100);
      listings.push(r);
    };
    const syncs = { all: 0, filtered: 0 };
    const syncOnce = (filter: string, key: keyof typeof syncs) => async (): Promise<void> => {
      let tail = ''; // the event's name may be split across chunks
      const r = await download(`${base}/watch${filter}`, (c) => {
        const text = tail + c.toString('latin1');
        tail = text.slice(-32);
        return text.includes('event: synced');
      });
      expect(r.status).toBe(200);
      syncs[key]++;
    };
    // a watch whose client sends its request and never reads: the server's writes stop draining, and it is dropped
    const stuck = netConnect(stack.http.port, '127.0.0.1');
    let stuckClosed = false;
    stuck.on('close', () => (stuckClosed = true));
    stuck.on('error', () => undefined); // the server's close may come as a reset: expected, not a failure
    await new Promise<void>((r) => stuck.once('connect', () => r()));
    stuck.write('GET /v1/domains/big/watch HTTP/1.1\r\nHost: x\r\n\r\n');
    stuck.pause();
    const hammer = [
      loop(listOnce),
      loop(listOnce),
      loop(listOnce),
      loop(async () => void (await download(`${stack.url}metrics`))),
      loop(async () => void (await download(`${stack.url}metrics`))),
      loop(async () => void (await download(`${base}/clients`))),
      loop(async () => void (await download(base))),
      ...Array.from({ length: 4 }, () => loop(syncOnce('', 'all'))),
      ...Array.from({ length: 2 }, () => loop(syncOnce('?filter=(name=service-1*)', 'filtered'))),
    ];
    const pings: Array<{ at: number; ms: number }> = [];
    const t0 = performance.now();
    for (let ta = 10; listings.length < 6; ta++) {
      const ms = await ping(bystander, ta, 10_000);
      pings.push({ at: performance.now(), ms });
    }
    const dropped = async (): Promise<number> =>
      Number(/^rxpaf_http_slow_clients_dropped_total (\d+)$/m.exec((await stack.metrics.scrape()).text)?.[1]);
    // the client that does not read is dropped once the server's writes have not drained for 1 s; a sync may fit in
    // the kernel's socket buffers, so a large service is modified until they are full (pings go on meanwhile)
    const blob = 'b'.repeat(64 * 1024);
    for (let ta = 200_000; (await dropped()) === 0 && performance.now() - t0 < 60_000; ta += 2) {
      pings.push({ at: performance.now(), ms: await ping(bystander, ta, 10_000) });
      const { own } = await transact(
        owner,
        ta + 1,
        msg('publish', ta + 1, 'request', {
          'service-id': SERVICES + 2,
          generation: ta,
          'service-props': { blob: [blob] },
          ttl: 60,
        }),
      );
      expect(own.at(-1)).toMatchObject({ 'msg-type': 'complete' });
    }
    running = false;
    await Promise.all(hammer);
    expect(await dropped()).toBe(1);
    stuck.resume(); // read what was buffered: the server closed the connection
    for (let i = 0; i < 250 && !stuckClosed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stuckClosed).toBe(true);
    expect(syncs.all).toBeGreaterThanOrEqual(4);
    expect(syncs.filtered).toBeGreaterThanOrEqual(2);
    const elapsed = performance.now() - t0;
    const listingMs = listings.map((l) => l.end - l.start);
    const medianListing = quantile(listingMs, 0.5);
    const pingMs = pings.map((p) => p.ms);
    const max = Math.max(...pingMs);
    // pings answered while each listing was being written: it does not hold the event loop
    const interleaved = listings.filter((l) => pings.some((p) => p.at > l.start && p.at < l.end)).length;
    console.log(
      `${requests} HTTP responses (${syncs.all + syncs.filtered} watch syncs) in ${(elapsed / 1000).toFixed(1)} s (listing of ${SERVICES} services: median ` +
        `${medianListing.toFixed(0)} ms); bystander: ${pings.length} pings, p50 ${quantile(pingMs, 0.5).toFixed(2)} ms, ` +
        `p99 ${quantile(pingMs, 0.99).toFixed(2)} ms, max ${max.toFixed(2)} ms (idle: p50 ${quantile(idle, 0.5).toFixed(2)} ms); ` +
        `${interleaved}/${listings.length} ` +
        `listings had pings answered while they were written`,
    );
    expect(pings.length).toBeGreaterThan(listings.length * 3);
    expect(interleaved).toBeGreaterThanOrEqual(listings.length * 0.75);
    expect(quantile(pingMs, 0.99)).toBeLessThan(medianListing / 3); // one scheduling hiccup of a loaded machine aside
    // and the directory was not disturbed: a publish still completes
    const { own } = await transact(
      bystander,
      5,
      msg('publish', 5, 'request', { 'service-id': SERVICES + 1, generation: 0, 'service-props': {}, ttl: 1 }),
    );
    expect(own.at(-1)).toMatchObject({ 'msg-type': 'complete' });
  });
});

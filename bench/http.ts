/**
 * `npm run bench:http`: what the HTTP side costs the Pathfinder sockets. Starts rxpafd (the built daemon) with and
 * without `--http`, fills it with 100,000 services over tcp, and measures from a separate pinger process the ping
 * round trip of a bystander Pathfinder client while HTTP clients list all services, sync a watch of all of them and
 * scrape /metrics. Also: idle RSS with and without --http, and publish throughput with and without the metrics
 * observer. Median of BENCH_RUNS (default 3) runs, min … max in brackets. The daemon of those phases carries a turn
 * probe (bench/turn-probe.ts): its longest event-loop turn in CPU time and its longest GC pause, which the pinger's
 * wall-clock round trips cannot separate from a loaded machine's scheduling.
 *
 * `node dist/bench/http.js pinger <addr>` is the pinger: back-to-back pings until its stdin closes, then one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';

import { decodeClientMessage } from '../lib/codec/decode';
import { Metrics } from '../lib/http/metrics';
import type { TurnReport } from './turn-probe';
import type { Effect } from '../lib/state/effects';
import type { Event } from '../lib/state/events';
import { connect } from '../lib/transport/connect';
import type { Connection } from '../lib/transport/transport';

const root = join(__dirname, '..', '..');
const daemonJs = join(root, 'bin', 'rxpafd.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 100_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};

/** A client that pipelines requests and resolves each on its first non-notify reply (ta-id as key). */
class Client {
  private readonly waiting = new Map<number, () => void>();
  private constructor(readonly conn: Connection) {
    conn.messages$.subscribe((b) => {
      const text = Buffer.from(b).toString();
      if (text.includes('"msg-type":"notify"')) return;
      const ta = Number(/"ta-id":(\d+)/.exec(text)?.[1]);
      this.waiting.get(ta)?.();
      this.waiting.delete(ta);
    });
  }
  static async open(addr: string, id: number): Promise<Client> {
    const c = new Client(await connect(addr));
    await c.request(
      0,
      `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${id},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
    );
    return c;
  }
  request(ta: number, json: string, flush = true): Promise<void> {
    return new Promise((r) => {
      this.waiting.set(ta, r);
      this.conn.send(json);
      if (flush) this.conn.flush();
    });
  }
  /** `n` requests, at most `window` in flight. */
  async pipeline(n: number, make: (i: number) => string, window = 1024): Promise<void> {
    for (let i = 0; i < n; i += window) {
      const batch: Array<Promise<void>> = [];
      for (let j = i; j < Math.min(n, i + window); j++) batch.push(this.request(1000 + j, make(j), false));
      this.conn.flush();
      await Promise.all(batch);
    }
  }
}

const publishJson = (i: number): string =>
  `{"ta-cmd":"publish","ta-id":${1000 + i},"msg-type":"request","service-id":${i + 1},"generation":0,` +
  `"service-props":{"name":["service-${i}"],"addr":["tls:10.10.${i % 250}.${i % 200}:4711"],"zone":["z${i % 7}"]},"ttl":30}`;

interface Daemon {
  readonly pid: number;
  readonly addr: string;
  readonly url: string | undefined;
  /** With the turn probe: start measuring its longest turn, then read the maxima since. */
  arm(): void;
  report(): Promise<TurnReport>;
  stop(): Promise<void>;
}

const startDaemon = (http: boolean, probe = false): Promise<Daemon> =>
  new Promise((resolve, reject) => {
    const preload = probe ? ['-r', join(__dirname, 'turn-probe.js')] : [];
    const args = [...preload, daemonJs, '-s', '-n', ...(http ? ['--http', '0'] : []), 'tcp:127.0.0.1:0'];
    const p = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe', ...(probe ? ['ipc' as const] : [])],
    });
    let err = '';
    p.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const addr = /addresses=(tcp:\S+)/.exec(err)?.[1];
      if (addr === undefined) return;
      resolve({
        pid: p.pid!,
        addr,
        url: /http listening url=(\S+)/.exec(err)?.[1],
        arm: () => void p.send('arm'),
        report: () =>
          new Promise((r) => {
            p.once('message', (m) => r(m as TurnReport));
            p.send('report');
          }),
        stop: () =>
          new Promise((r) => {
            p.once('exit', () => r());
            p.kill('SIGTERM');
          }),
      });
    });
    p.once('exit', (code) => reject(new Error(`rxpafd exited with ${code}: ${err}`)));
  });

const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

interface PingStats {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Start the pinger process; `stop()` resolves with its round-trip statistics (ms). */
const startPinger = async (addr: string): Promise<{ stop(): Promise<PingStats> }> => {
  const p: ChildProcess = spawn(process.execPath, [__filename, 'pinger', addr], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await sleep(10);
  await sleep(200);
  return {
    stop: () =>
      new Promise((resolve) => {
        p.once('exit', () => resolve(JSON.parse(out.slice(out.indexOf('{'))) as PingStats));
        p.stdin!.end();
      }),
  };
};

/** GET `url` and read the whole body; resolves with bytes read and seconds; `until` ends it early. */
const download = (url: string, until?: (chunk: string) => boolean): Promise<{ bytes: number; seconds: number }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    let bytes = 0;
    const req = httpGet(url, { agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (until?.(c.toString()) === true) {
          req.destroy();
          resolve({ bytes, seconds: (performance.now() - t0) / 1000 });
        }
      });
      res.on('end', () => resolve({ bytes, seconds: (performance.now() - t0) / 1000 }));
    });
    req.on('error', reject);
  });

/** The page's document as the dashboard check reads it (this file compiles without the DOM library). */
type InPage = { readonly document: { getElementById(id: string): { readonly textContent: string | null } | null } };

interface Row {
  readonly name: string;
  readonly unit: string;
  readonly values: number[];
}

/**
 * The metrics observer's own cost, in process: batches of 256 publish requests, each answered by a complete and
 * notifying two subscribers, tallied as the daemon does per event-loop turn. Nanoseconds per request.
 */
const observerCost = (): number => {
  const metrics = new Metrics({ domains: ['0'], version: 'bench', lagSampleMs: 0, defaultMetrics: false });
  const msg = decodeClientMessage(publishJson(0));
  if (msg._tag === 'Left') throw new Error('bad message');
  const events: Event[] = Array.from({ length: 256 }, (_, i) => ({ type: 'message', now: i, conn: 1, msg: msg.right }));
  const effects: Effect[] = [];
  for (let i = 0; i < 256; i++) {
    effects.push({ type: 'send', conn: 1, msg: { 'ta-cmd': 'publish', 'ta-id': BigInt(i), 'msg-type': 'complete' } });
    for (const conn of [2, 3])
      effects.push({
        type: 'send',
        conn,
        msg: {
          'ta-cmd': 'subscribe',
          'ta-id': 1n,
          'msg-type': 'notify',
          'match-type': 'disappeared',
          'service-id': 1n,
        },
      });
  }
  const reduced = metrics.observer.reduced!;
  const rounds = 4000;
  for (let i = 0; i < 200; i++) reduced(0, events, effects, 0.001); // warm up
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) reduced(0, events, effects, 0.001);
  const ns = ((performance.now() - t0) * 1e6) / (rounds * events.length);
  metrics.close();
  return ns;
};

const run = async (rows: Map<string, Row>): Promise<void> => {
  const put = (name: string, unit: string, v: number): void => {
    const r = rows.get(name) ?? { name, unit, values: [] };
    r.values.push(v);
    rows.set(name, r);
  };
  put('metrics observer cost per request (publish + complete + 2 notifications)', 'ns', observerCost());
  // idle RSS and publish throughput, with and without --http
  for (const http of [false, true]) {
    const d = await startDaemon(http);
    await sleep(1000);
    put(`idle RSS ${http ? 'with' : 'without'} --http`, 'MiB', rssMiB(d.pid));
    const c = await Client.open(d.addr, 1);
    const t0 = performance.now();
    await c.pipeline(50_000, publishJson);
    put(
      `publish/s ${http ? 'with' : 'without'} --http (metrics observer)`,
      '/s',
      50_000 / ((performance.now() - t0) / 1000),
    );
    c.conn.close();
    await d.stop();
  }
  // a full directory, then HTTP work while a bystander pings
  const d = await startDaemon(true, true);
  const owner = await Client.open(d.addr, 1);
  await owner.pipeline(SERVICES, publishJson);
  const phase = async (name: string, work: () => Promise<void>): Promise<void> => {
    const pinger = await startPinger(d.addr);
    d.arm();
    await work();
    const turns = await d.report();
    const lat = await pinger.stop();
    put(`ping p50 ${name}`, 'ms', lat.p50);
    put(`ping p99 ${name}`, 'ms', lat.p99);
    put(`ping max ${name}`, 'ms', lat.max);
    // the daemon's own view: its longest turn in CPU time (a loaded machine's scheduling delays are not in it)
    put(`daemon's longest turn, CPU, ${name}`, 'ms', turns.cpuMax);
    put(`daemon's longest turn without GC, CPU, ${name}`, 'ms', turns.cpuMaxNoGc);
    put(`daemon's longest GC pause ${name}`, 'ms', turns.gcMax);
  };
  const n = SERVICES.toLocaleString('en-US');
  await phase('idle', () => sleep(1500));
  let listing = { bytes: 0, seconds: 0 };
  await phase(
    `during GET services (${n})`,
    async () => void (listing = await download(`${d.url}v1/domains/0/services`)),
  );
  put(`GET services (${n}): time`, 's', listing.seconds);
  put(`GET services (${n}): size`, 'MiB', listing.bytes / 2 ** 20);
  let sync = { bytes: 0, seconds: 0 };
  await phase(`during watch sync (${n})`, async () => {
    sync = await download(`${d.url}v1/domains/0/watch`, (c) => c.includes('event: synced'));
  });
  put(`watch sync (${n}): time`, 's', sync.seconds);
  await phase('during 20 /metrics scrapes', async () => {
    for (let i = 0; i < 20; i++) await download(`${d.url}metrics`);
  });
  let pageMs = 0;
  await phase(`during a dashboard's sync (${n})`, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    const page = await browser.newPage();
    const t0 = performance.now();
    await page.goto(d.url!);
    const want = SERVICES.toLocaleString('en-US');
    await page.waitForFunction(
      (w) => (globalThis as unknown as InPage).document.getElementById('services-count')?.textContent === w,
      want,
      { timeout: 120_000, polling: 50 },
    );
    pageMs = performance.now() - t0;
    await browser.close();
  });
  put(`dashboard: page load until it shows ${n} services`, 's', pageMs / 1000);
  put(`RSS with ${n} services and --http`, 'MiB', rssMiB(d.pid));
  owner.conn.close();
  await d.stop();
};

const pinger = async (addr: string): Promise<void> => {
  const c = await Client.open(addr, 999);
  const lat: number[] = [];
  let running = true;
  process.stdin.on('end', () => (running = false));
  process.stdin.resume();
  process.stdout.write('ready\n');
  for (let ta = 1; running; ta++) {
    const t0 = performance.now();
    await c.request(ta, `{"ta-cmd":"ping","ta-id":${ta},"msg-type":"request"}`);
    lat.push(performance.now() - t0);
  }
  const stats: PingStats = { n: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: pct(lat, 1) };
  process.stdout.write(JSON.stringify(stats) + '\n', () => process.exit(0));
};

const fmt = (v: number, unit: string): string =>
  unit === '/s' || unit === 'ns'
    ? `${Math.round(v).toLocaleString('en-US')} ${unit}`
    : `${v.toFixed(unit === 'ms' ? 2 : 1)} ${unit}`;

const main = async (): Promise<void> => {
  if (process.argv[2] === 'pinger') return pinger(process.argv[3]!);
  const rows = new Map<string, Row>();
  for (let r = 0; r < RUNS; r++) await run(rows);
  const w = Math.max(...[...rows.keys()].map((k) => k.length));
  console.log(
    `rxpafd HTTP benchmark: median of ${RUNS} runs (min … max), pinger in its own process, node ${process.version}`,
  );
  for (const { name, unit, values } of rows.values())
    console.log(
      `${name.padEnd(w + 2)}${fmt(median(values), unit).padStart(12)}   (${fmt(Math.min(...values), unit)} … ${fmt(Math.max(...values), unit)})`,
    );
};

main().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});

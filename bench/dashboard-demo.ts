/**
 * A lived-in rxpafd for looking at the dashboard: starts the built daemon with `--http` and two domains, then plays
 * a small fleet of Pathfinder clients against it (v2 and v3, tracked ones, services modified now and then, a client
 * that drops its connection and leaves orphans behind). `docs/dashboard.png` is made with it:
 *
 *   npm run build && node dist/bench/dashboard-demo.js --seconds 150 --screenshot docs/dashboard.png
 *
 * Without `--screenshot` it prints the dashboard URL and runs until interrupted. Options: `--http <addr>` (default
 * 127.0.0.1:0), `--seconds <n>` (with --screenshot: how long to play before taking it).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { connect } from '../lib/transport/connect';
import type { Connection } from '../lib/transport/transport';

const root = join(__dirname, '..', '..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1]!;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Props = Readonly<Record<string, ReadonlyArray<string | number>>>;

/** One Pathfinder client of the fleet: hello, publish, answer track queries. */
class Peer {
  private ta = 1;
  private constructor(
    readonly conn: Connection,
    readonly id: bigint,
  ) {
    conn.messages$.subscribe({
      next: (b) => {
        const m = Buffer.from(b).toString();
        const ta = /"ta-id":(\d+)/.exec(m)?.[1];
        if (m.includes('"track-type":"query"'))
          this.send(`{"ta-cmd":"track","ta-id":${ta},"msg-type":"inform","track-type":"reply"}`);
      },
      error: () => undefined,
    });
  }
  static async open(addr: string, id: bigint, version: 2 | 3, track = false): Promise<Peer> {
    const p = new Peer(await connect(addr), id);
    p.send(
      `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${id},"protocol-minimum-version":2,"protocol-maximum-version":${version}}`,
    );
    if (track) p.send(`{"ta-cmd":"track","ta-id":${p.ta++},"msg-type":"request"}`);
    return p;
  }
  send(json: string): void {
    this.conn.send(json);
    this.conn.flush();
  }
  publish(id: bigint, props: Props, ttl: number, generation = 0): void {
    const wire = JSON.stringify(props);
    this.send(
      `{"ta-cmd":"publish","ta-id":${this.ta++},"msg-type":"request","service-id":${id},"generation":${generation},"service-props":${wire},"ttl":${ttl}}`,
    );
  }
  subscribe(id: number, filter: string): void {
    this.send(
      `{"ta-cmd":"subscribe","ta-id":${this.ta++},"msg-type":"request","subscription-id":${id},"filter":${JSON.stringify(filter)}}`,
    );
  }
  ping(): void {
    this.send(`{"ta-cmd":"ping","ta-id":${this.ta++},"msg-type":"request"}`);
  }
  close(): void {
    this.conn.close();
  }
}

const rnd = (bits = 63): bigint => {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(Math.random() * 65536));
  return v & ((1n << BigInt(bits)) - 1n);
};

const startDaemon = async (http: string, conf: string): Promise<{ url: string; addrs: string[][]; stop(): void }> => {
  const p = spawn(process.execPath, [join(root, 'bin', 'rxpafd.js'), '-s', '-n', '--http', http, '-f', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr.on('data', (b: Buffer) => (err += b.toString()));
  for (let i = 0; i < 300 && (err.match(/ listening domain=/g) ?? []).length < 2; i++) await sleep(20);
  const url = /http listening url=(\S+)/.exec(err)?.[1];
  if (url === undefined) throw new Error(`rxpafd did not start: ${err}`);
  const addrs = [...err.matchAll(/ listening domain=\S+ addresses="?([^"\n]+)"?/g)].map((m) => m[1]!.split(' '));
  return { url, addrs, stop: () => p.kill('SIGTERM') };
};

const main = async (): Promise<void> => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-demo-'));
  const conf = join(dir, 'rxpafd.yaml');
  writeFileSync(
    conf,
    [
      'domains:',
      '  - name: production',
      '    sockets: ["tcp:127.0.0.1:0", "ux:rxpaf-demo-production"]',
      '    idle: {min: 4, max: 12}',
      '  - name: staging',
      '    sockets: ["tcp:127.0.0.1:0"]',
    ].join('\n'),
  );
  const d = await startDaemon(arg('--http', '127.0.0.1:0'), conf);
  const prod = d.addrs[0]![0]!;
  const staging = d.addrs[1]![0]!;
  const seconds = Number(arg('--seconds', '150'));
  const shot = arg('--screenshot', '');
  console.log(`dashboard: ${d.url}`);

  const peers: Peer[] = [];
  const open = async (addr: string, version: 2 | 3, track = false): Promise<Peer> => {
    const p = await Peer.open(addr, rnd(), version, track);
    peers.push(p);
    return p;
  };
  const web = await open(prod, 3, true);
  const db = await open(prod, 3, true);
  const legacy = await open(prod, 2);
  const mon = await open(prod, 3);
  const batch = await open(prod, 3, true);
  const svc = {
    api1: rnd(),
    api2: rnd(),
    pg1: rnd(),
    pg2: rnd(),
    redis: rnd(),
    printer: rnd(),
    mq: rnd(),
    worker: rnd(),
    exporter: rnd(),
    sessions: rnd(),
  };
  web.publish(svc.api1, { name: ['api-gateway'], address: ['tls:10.20.1.11:8443'], region: ['eu-north'] }, 30);
  web.publish(svc.api2, { name: ['api-gateway'], address: ['tls:10.20.1.12:8443'], region: ['eu-west'] }, 30);
  db.publish(
    svc.pg1,
    { name: ['postgres'], role: ['primary'], address: ['tcp:10.20.4.2:5432'], version: ['16.4'] },
    15,
  );
  db.publish(svc.pg2, { name: ['postgres'], role: ['replica'], address: ['tcp:10.20.4.3:5432'], lag_ms: [12] }, 15);
  legacy.publish(svc.printer, { name: ['printer'], address: ['tcp:10.20.9.40:631'], floor: [3] }, 60);
  mon.subscribe(1, '(name=postgres)');
  mon.subscribe(2, '(|(name=api-gateway)(name=redis))');
  const cache = await open(prod, 3);
  cache.publish(svc.redis, { name: ['redis'], address: ['tcp:10.20.5.7:6379'], shard: [1, 2] }, 60);
  cache.publish(svc.sessions, { name: ['session-store'], address: ['tcp:10.20.5.8:11211'] }, 40);
  const st = await open(staging, 3);
  st.publish(rnd(), { name: ['api-gateway'], address: ['tcp:10.30.1.5:8080'], region: ['lab'] }, 10);
  st.subscribe(3, '(name=*)');

  // the fleet lives: generations go up, a batch worker comes and goes, the cache drops and leaves orphans
  let gen = 0;
  const started = Date.now();
  const end = shot === '' ? Infinity : started + seconds * 1000;
  const cacheDrop = started + Math.max(0, seconds - 20) * 1000;
  let cacheGone = false;
  for (let tick = 0; Date.now() < end; tick++) {
    if (tick % 4 === 0)
      db.publish(
        svc.pg2,
        { name: ['postgres'], role: ['replica'], address: ['tcp:10.20.4.3:5432'], lag_ms: [5 + (tick % 40)] },
        15,
        ++gen,
      );
    if (tick % 10 === 3)
      batch.publish(svc.worker, { name: ['batch-worker'], queue: ['invoices'], concurrency: [8] }, 10);
    if (tick % 10 === 8)
      batch.send(`{"ta-cmd":"unpublish","ta-id":${9000 + tick},"msg-type":"request","service-id":${svc.worker}}`);
    if (tick === 6) web.publish(svc.mq, { name: ['rabbitmq'], address: ['amqps:10.20.6.1:5671'] }, 45);
    if (tick === 10) web.publish(svc.exporter, { name: ['metrics-exporter'], address: ['http:10.20.2.9:9100'] }, 45);
    if (!cacheGone && Date.now() >= cacheDrop) {
      cacheGone = true;
      cache.close(); // its services become orphans and count down
    }
    for (const p of peers) if (!cacheGone || p !== cache) p.ping(); // activity keeps them from idling out
    await sleep(1000);
  }
  if (shot !== '') {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    const page = await browser.newPage({ viewport: { width: 1360, height: 960 } });
    await page.goto(`${d.url}#/production`);
    await page.waitForSelector('#status[data-state="live"]');
    await page.waitForTimeout(2500);
    await page.screenshot({ path: shot, fullPage: true });
    await browser.close();
    console.log(`screenshot: ${shot}`);
    peers.forEach((p) => p.close());
    d.stop();
  }
};

main().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});

/**
 * Mass disconnects with real child processes (issue 13):
 *  - N tracked clients (default 200; RXPAF_KILL_CLIENTS=1000 for the full scenario) with 5 services (TTL 2 s) and
 *    a `(name=*)` subscription each, held by child processes that are SIGKILLed at once: every service is orphaned
 *    within 1 s, every orphan expires close to its TTL, a bystander keeps getting prompt pings, RSS stays bounded;
 *  - the upstream-style storm: clients publishing, subscribing and tracked, 75 % SIGTERMed and 25 % SIGKILLed at
 *    once; a client connecting one second later is served (no reset). RXPAF_STORM_ROUNDS rounds (default 20) of
 *    RXPAF_STORM_CLIENTS clients (default 40); strict, its ping is also within the bystander's bound below.
 * Memory as the issue states it, RSS read from /proc without forcing a collection (what an operator sees): the peak
 * under 2x the pre-kill RSS, 30 s after the kill within 10 % of the pre-kill RSS, and within 60 s within 25 % of the
 * idle baseline (the directory is empty again). The live heap (after a full GC, the test hook of GC_DAEMON) is read
 * only at idle and once every RSS figure is taken, so the collections it forces change none of them.
 * The bystander whose pings are measured is a process of its own (spec/fixtures/pinger.cjs), and the observer only
 * timestamps what it receives during the kill (it parses it afterwards): this process's own work on the 10,000
 * notifications of a kill of 1,000 clients would otherwise be measured as the server's lateness.
 * Figures are printed. RXPAF_KILL_STRICT=1 asserts the issue's bounds: orphaned within 1 s and a bystander's worst
 * ping <= 50 ms, each plus RXPAF_KILL_SLACK_MS (default 150) for a shared machine; every orphan (the worst, not a
 * percentile) expires within 100 ms of its TTL plus RXPAF_KILL_EXPIRY_SLACK_MS (default 50). Without it the bounds
 * are the ones every build must meet (orphaned within 3 s, expiry p99 within 1 s, ping under 2 s, RSS peak < 2x).
 * RXPAF_KILL_PROBE=<file> preloads bench/turn-probe.ts into the daemon (build first) and arms it just before the kill:
 * the daemon's longest turns (CPU time of its main thread, GC) from the kill until every orphan expired are printed
 * with their times after the kill, and with RXPAF_KILL_PROFILE=1 a CPU profile of that time is written to
 * <file>.cpuprofile (figures only: not asserted).
 * Also printed, from the daemon's metrics (always on, no probe): its collections by kind (time, count, how many of
 * 10 ms or more) and its event loop's worst delay from ~0.2 s before the kill until every orphan expired.
 * The kill waits until the daemon is quiet (the subscriptions' initial matches are sliced work that goes on after
 * every client has its accepts): a kill during that work would measure the setup too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { connect } from '../../lib/transport/connect';
import { parseJson } from '../../lib/codec/json';
import { Daemon, killAllDaemons, ping, sleep, tempDir, waitFor } from '../helpers/daemon';
import { daemonMemory, GC_DAEMON, mib as mb, rssKiB } from '../helpers/memory';
import { RawClient } from '../helpers/raw-client';

const CHILD = join(__dirname, '..', '..', 'scripts', 'soak', 'storm-client.cjs');
const PINGER = join(__dirname, '..', 'fixtures', 'pinger.cjs');
const N = Number(process.env.RXPAF_KILL_CLIENTS ?? 200);
const ROUNDS = Number(process.env.RXPAF_STORM_ROUNDS ?? 20);
const STRICT = process.env.RXPAF_KILL_STRICT === '1';
const SLACK_MS = Number(process.env.RXPAF_KILL_SLACK_MS ?? 150);
const EXPIRY_SLACK_MS = Number(process.env.RXPAF_KILL_EXPIRY_SLACK_MS ?? 50);
/** [orphaned within s, expiry lateness ms (strict: the worst; otherwise p99), bystander max ping ms] */
const BOUNDS = STRICT ? [1 + SLACK_MS / 1000, 100 + EXPIRY_SLACK_MS, 50 + SLACK_MS] : [3, 1000, 2000];
const PROBE = process.env.RXPAF_KILL_PROBE;
const PER_CLIENT = 5;
const TTL = 2;

/** CPU time (user + system, clock ticks: 1/100 s) the process has used, from /proc. */
const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};
/**
 * The daemon's collections so far by kind (prom-client's `nodejs_gc_duration_seconds`: ms in all, how many, how many
 * of 10 ms or more) and the event loop's worst delay since the previous scrape (`nodejs_eventloop_lag_max_seconds`,
 * reset at each scrape), from one scrape of the metrics.
 */
interface GcKind {
  ms: number;
  n: number;
  over10: number;
}
interface GcScrape {
  readonly gc: Record<string, GcKind>;
  readonly lagMaxMs: number;
  /** The heap in use as the metrics endpoint reports it, garbage included (no collection forced). */
  readonly heapKiB: number;
}
const scrapeGc = async (metricsUrl: string): Promise<GcScrape> => {
  const text = await (await fetch(metricsUrl)).text();
  const gc: Record<string, GcKind> = {};
  const kind = (k: string): GcKind => (gc[k] ??= { ms: 0, n: 0, over10: 0 });
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)/gm))
    kind(m[1]!).ms = Number(m[2]) * 1000;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_count\{kind="(\w+)"\} (\S+)/gm))
    kind(m[1]!).n = Number(m[2]);
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_bucket\{le="0.01",kind="(\w+)"\} (\S+)/gm))
    kind(m[1]!).over10 = -Number(m[2]);
  for (const k of Object.values(gc)) k.over10 += k.n;
  return {
    gc,
    lagMaxMs: Number(/^nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000,
    heapKiB: Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 1024,
  };
};
/** `kind ms/n (k ≥ 10 ms)` for each kind that ran between two scrapes. */
const gcBetween = (a: GcScrape, b: GcScrape): string =>
  Object.entries(b.gc)
    .map(([k, v]) => ({
      k,
      ms: v.ms - (a.gc[k]?.ms ?? 0),
      n: v.n - (a.gc[k]?.n ?? 0),
      over10: v.over10 - (a.gc[k]?.over10 ?? 0),
    }))
    .filter((x) => x.n > 0)
    .map((x) => `${x.k} ${x.ms.toFixed(1)} ms/${x.n} (${x.over10} ≥ 10 ms)`)
    .join(', ');
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/** Start `procs` children holding `n` clients in all; resolves when every one printed `ready`. */
const startChildren = async (
  port: number,
  n: number,
  procs: number,
  firstId: number,
  perClient: number,
  filter: string,
): Promise<ChildProcess[]> => {
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  const per = Math.ceil(n / procs);
  for (let p = 0, id = firstId; p < procs && id < firstId + n; p++, id += per) {
    const k = Math.min(per, firstId + n - id);
    const child = spawn(
      process.execPath,
      [CHILD, String(port), String(k), String(id), String(perClient), filter, String(TTL)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().startsWith('ready')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`storm child exited ${code}: ${err}`)));
      }),
    );
  }
  await Promise.all(ready);
  return children;
};
const exited = (c: ChildProcess): Promise<void> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

describe('mass disconnects (child processes)', () => {
  afterEach(killAllDaemons);

  it(
    `${N} tracked clients with ${PER_CLIENT} services and a (name=*) subscription each, SIGKILLed at once`,
    async () => {
      // Idle limits of 60 s: setting up 1,000 (name=*) subscribers is 5 million notifications; on a loaded machine that
      // takes long enough that track queries queued behind them would time clients out before the kill (their
      // disconnects would then be measured as the kill's; with 30 s, 436 of 1,000 were at load 6). The test checks
      // that no client was closed before the kill.
      const dir = tempDir();
      // The HTTP listener (for the metrics) keeps a watch history of 100 changes instead of the default 10,000: the
      // kill makes 10,000 changes (orphaned, then expired), which the default history would rightly keep for
      // resuming watchers (about 6 MB of heap, bounded by the setting), and this test is about the rest of the heap.
      const conf = dir.file(
        'kill.conf',
        'http: {address: "127.0.0.1:0", history: 100}\ndomains:\n  - idle: {min: 60, max: 60}\n    sockets: [tcp:127.0.0.1:0]\n',
      );
      const daemon = await Daemon.start(['-f', conf], {
        entry: GC_DAEMON,
        env:
          PROBE === undefined
            ? {}
            : {
                NODE_OPTIONS: `-r ${join(__dirname, '..', '..', 'dist', 'bench', 'turn-probe.js')}`,
                RXPAF_TURN_PROBE_OUT: PROBE,
                RXPAF_TURN_PROBE_PROFILE: process.env.RXPAF_KILL_PROFILE,
              },
      });
      const metricsUrl = `${/INFO core http listening url=(\S+)/.exec(daemon.stderr)![1]}metrics`;
      // the observer sees every orphaning (modified, with orphan-since) and expiry (disappeared), timestamped on arrival
      const obs = await connect(daemon.addr());
      const seen = new Map<string, { orphanSince?: number; orphanedAt?: number; goneAt?: number }>();
      let appeared = 0;
      // from the kill on, what arrives is only timestamped (and parsed when the test looks at it)
      let deferred = false;
      const received: Array<readonly [number, Uint8Array]> = [];
      const take = (at: number, b: Uint8Array): void => {
        const j = parseJson(b);
        if (j._tag !== 'Right') return;
        const m = j.right as Record<string, unknown>;
        if (m['msg-type'] !== 'notify' || m['ta-cmd'] !== 'subscribe') return;
        const id = String(m['service-id']);
        const e = seen.get(id) ?? {};
        seen.set(id, e);
        if (m['match-type'] === 'appeared') appeared++;
        else if (m['match-type'] === 'modified' && m['orphan-since'] !== undefined) {
          e.orphanSince = Number(m['orphan-since']);
          e.orphanedAt = at;
        } else if (m['match-type'] === 'disappeared') e.goneAt = at;
      };
      const parseReceived = (): void => {
        if (deferred) parsedAfterKill += received.length;
        for (const [at, b] of received.splice(0)) take(at, b);
      };
      obs.messages$.subscribe((b) => {
        const at = (performance.timeOrigin + performance.now()) / 1000;
        if (deferred) received.push([at, b]);
        else take(at, b);
      });
      // messages received since the kill (parsed or not)
      let parsedAfterKill = 0;
      const arrived = (): number => received.length + parsedAfterKill;
      obs.send(
        '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":1,"protocol-minimum-version":2,"protocol-maximum-version":3}',
      );
      obs.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1,"filter":"(name=storm-*)"}');
      obs.flush();
      const bystander = await RawClient.open(daemon.addr());
      expect(await bystander.hello(2)).toMatchObject({ 'msg-type': 'complete' });
      const pinger = spawn(process.execPath, [PINGER, String(daemon.port()), '3'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let pingerOut = '';
      pinger.stdout.on('data', (d: Buffer) => (pingerOut += d.toString()));
      await waitFor(() => pingerOut.startsWith('ready\n'), 10_000, 'the bystander process is connected');

      await sleep(500);
      // idle: RSS first, then the live heap (the only collection forced before the kill, before any client)
      const idleRss = rssKiB(daemon.pid);
      const idle = { ...(await daemonMemory(daemon.pid, metricsUrl)), rss: idleRss };
      // the observer and the bystander hold no services (idle limit 60 s): they ping while the setup lasts
      let setup = true;
      const keepalive = (async () => {
        for (let i = 1_000_000; setup; i++) {
          obs.send(`{"ta-cmd":"ping","ta-id":${i},"msg-type":"request"}`);
          obs.flush();
          await ping(bystander, i, 20000);
          await sleep(5000);
        }
      })();
      const children = await startChildren(daemon.port(), N, 4, 1000, PER_CLIENT, '(name=*)');
      await waitFor(() => appeared >= N * PER_CLIENT, 60_000 + 150 * N, 'every service published');
      // quiet: under 10 % of a CPU over half a second (the initial matches of the subscriptions are done)
      for (let i = 0, a = cpuTicks(daemon.pid); i < 600; i++) {
        await sleep(500);
        const b = cpuTicks(daemon.pid);
        if (b - a <= 5) break;
        a = b;
      }
      setup = false;
      await keepalive;
      await sleep(500);
      const rssBefore = rssKiB(daemon.pid);
      const gcBefore = await scrapeGc(metricsUrl);
      const heapBefore = gcBefore.heapKiB;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKiB(daemon.pid))), 20);
      pinger.stdin.write('fast\n');
      await sleep(200);
      // connections the server closed itself before the kill (idle timeout, slow consumer): none
      const closedBefore = daemon.stderr.split('\n').filter((l) => l.includes('closing connection')).length;
      deferred = true;
      if (PROBE !== undefined) {
        process.kill(daemon.pid, 'SIGWINCH');
        // the profiler's start is a long turn of its own; without it, the kill comes before the probe slows down
        // (its sampler runs every 50 ms once the daemon has been quiet for 100 ms)
        await sleep(process.env.RXPAF_KILL_PROFILE === '1' ? 200 : 20);
      }
      const killAt = (performance.timeOrigin + performance.now()) / 1000;
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map(exited));
      const all = (f: (e: { orphanSince?: number; goneAt?: number }) => boolean): boolean => {
        parseReceived();
        return seen.size === N * PER_CLIENT && [...seen.values()].every(f);
      };
      // nothing is parsed before the kill's notifications (an orphaning and an expiry per service) have all arrived:
      // parsing thousands of them here while others are still coming would delay their arrival times, measured as
      // the server's lateness
      await waitFor(
        () => arrived() >= 2 * N * PER_CLIENT && all((e) => e.goneAt !== undefined),
        30000,
        'every orphan expired',
      );
      // the daemon's collections and its event loop's worst delay from ~0.2 s before the kill until every orphan expired
      const gcKill = await scrapeGc(metricsUrl);
      if (PROBE !== undefined) {
        process.kill(daemon.pid, 'SIGWINCH');
        await sleep(1000);
        const probe = JSON.parse(readFileSync(PROBE, 'utf8')) as {
          cpuMax: number;
          cpuMaxNoGc: number;
          wallMax: number;
          gcMax: number;
          gcTotal: number;
          gaps: Array<{ start: number; end: number; cpu: number; gc: boolean }>;
          major: Array<{ start: number; ms: number; kind: number }>;
          cpu: Array<{ start: number; main: number; process: number }>;
        };
        const at = (ms: number): string => (ms - killAt * 1000).toFixed(0);
        console.log(
          `turn probe: longest turn ${probe.cpuMax.toFixed(1)} ms CPU (${probe.cpuMaxNoGc.toFixed(1)} without GC), ` +
            `longest gap ${probe.wallMax.toFixed(1)} ms wall, GC max ${probe.gcMax.toFixed(1)} total ${probe.gcTotal.toFixed(0)} ms; ` +
            `turns over 2 ms CPU (ms after the kill: wall, CPU):\n` +
            probe.gaps
              .map((g) => `${at(g.start)}+${(g.end - g.start).toFixed(1)} ${g.cpu.toFixed(1)}${g.gc ? ' gc' : ''}`)
              .join('\n') +
            `\nother than scavenges (ms after the kill: pause, kind): ${probe.major.map((c) => `${at(c.start)}: ${c.ms.toFixed(1)} ${c.kind}`).join(', ')}` +
            `\nCPU per 50 ms (ms after the kill: main thread / whole process): ${probe.cpu
              .filter((b) => b.process >= 1)
              .map((b) => `${at(b.start)}: ${b.main.toFixed(0)}/${b.process.toFixed(0)}`)
              .join(', ')}`,
        );
      }
      await sleep(300);
      pinger.stdin.write('report\n');
      await exited(pinger);
      const [pingLine, worstLine] = pingerOut.slice('ready\n'.length).split('\n');
      const pings = JSON.parse(pingLine!) as number[];
      const worstPingAt = Number(worstLine) - killAt * 1000;
      clearInterval(sampler);
      // memory (issue 13), RSS without a forced collection: 30 s after the kill within 10 % of the pre-kill RSS; within
      // 60 s within 25 % of the idle baseline (the directory is empty again), sampled every second until it holds
      const untilAfterKill = async (s: number, done: () => boolean = () => false): Promise<void> => {
        for (let i = 100_000; !done() && performance.timeOrigin + performance.now() < (killAt + s) * 1000; i++) {
          await ping(bystander, i, 20000); // the bystander stays active (idle limit 60 s)
          await sleep(Math.min(1000, Math.max(0, (killAt + s) * 1000 - (performance.timeOrigin + performance.now()))));
        }
      };
      await untilAfterKill(30);
      const rssAt30 = rssKiB(daemon.pid);
      let rssAfter = rssAt30;
      await untilAfterKill(60, () => (rssAfter = rssKiB(daemon.pid)) <= 1.25 * idle.rss);
      const settledIn = (performance.timeOrigin + performance.now()) / 1000 - killAt;
      // the live heap last (a full collection: no RSS figure is taken after it)
      const after = await daemonMemory(daemon.pid, metricsUrl);
      // (the heap of a process that has worked keeps some JIT code and caches: 25 % or 4 MiB over the idle baseline)
      const heapBound = idle.heap + Math.max(0.25 * idle.heap, 4096);

      const entries = [...seen.values()];
      const orphanedWithin = Math.max(...entries.map((e) => e.orphanedAt! - killAt));
      const orphanSinceSpread = Math.max(...entries.map((e) => e.orphanSince! - killAt));
      const late = entries.map((e) => (e.goneAt! - (e.orphanSince! + TTL)) * 1000);
      const figures =
        `mass kill of ${N} clients (${N * PER_CLIENT} services): all orphaned within ${(orphanedWithin * 1000).toFixed(0)} ms ` +
        `(orphan-since at most ${(orphanSinceSpread * 1000).toFixed(0)} ms after the kill); expiry lateness min ${Math.min(...late).toFixed(1)} p50 ${quantile(late, 0.5).toFixed(1)} ms ` +
        `p99 ${quantile(late, 0.99).toFixed(1)} ms max ${Math.max(...late).toFixed(1)} ms; bystander ping n=${pings.length} ` +
        `p50 ${quantile(pings, 0.5).toFixed(2)} ms p99 ${quantile(pings, 0.99).toFixed(2)} ms max ${Math.max(...pings).toFixed(2)} ms (sent ${worstPingAt.toFixed(0)} ms after the kill); ` +
        `RSS (no forced GC) idle ${mb(idle.rss)}, before the kill ${mb(rssBefore)}, peak ${mb(rssPeak)}, 30 s after the kill ${mb(rssAt30)}, ` +
        `${settledIn.toFixed(0)} s after ${mb(rssAfter)} MB (${(rssAfter / 1024).toFixed(1)} MiB, bound ${((1.25 * idle.rss) / 1024).toFixed(1)}); heap in use before the kill ${mb(heapBefore)} MB; ` +
        `from 0.2 s before the kill to the last expiry: event loop delay max ${gcKill.lagMaxMs.toFixed(1)} ms, ` +
        `collections ${gcBetween(gcBefore, gcKill) || 'none'}; ` +
        `after a full GC: heap idle ${mb(idle.heap)}, after ${mb(after.heap)} MB, external idle ${mb(idle.external)}, after ${mb(after.external)} MB ` +
        `(heap by space, KiB idle -> after: ${Object.keys(after.spaces)
          .map((k) => `${k} ${(idle.spaces[k] ?? 0).toFixed(0)} -> ${after.spaces[k]!.toFixed(0)}`)
          .join(', ')}); ` +
        `closed by the server before the kill: ${closedBefore}`;
      console.log(figures);
      expect(closedBefore).toBe(0);
      expect(orphanedWithin).toBeLessThan(BOUNDS[0]!);
      expect(Math.min(...late)).toBeGreaterThan(-5); // never early (beyond clock rounding)
      // strict: the worst orphan; otherwise the 99th percentile (a shared CI machine may deschedule the daemon)
      expect(STRICT ? Math.max(...late) : quantile(late, 0.99)).toBeLessThan(BOUNDS[1]!);
      expect(Math.max(...pings)).toBeLessThan(BOUNDS[2]!);
      expect(rssPeak).toBeLessThan(2 * rssBefore);
      expect(rssAt30).toBeLessThanOrEqual(1.1 * rssBefore);
      expect(rssAfter).toBeLessThanOrEqual(1.25 * idle.rss);
      expect(after.heap).toBeLessThanOrEqual(heapBound);
      expect(await ping(bystander, 1)).toBeLessThan(1000);
      expect(daemon.stderr).not.toContain('CRITICAL');
      obs.close();
      bystander.close();
      expect((await daemon.stop()).code).toBe(0);
      dir.cleanup();
    },
    240_000 + 150 * N,
  );

  it(`upstream-style storm, ${ROUNDS} rounds: 75 % SIGTERM, 25 % SIGKILL, a client 1 s later is served`, async () => {
    const daemon = await Daemon.start(['tcp:127.0.0.1:0']);
    const clients = Number(process.env.RXPAF_STORM_CLIENTS ?? 40);
    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const children = await startChildren(daemon.port(), clients, 4, 100_000 * (round + 1), 1, '(name=*)');
      children.forEach((c, i) => c.kill(i % 4 === 3 ? 'SIGKILL' : 'SIGTERM'));
      await sleep(1000);
      const late = await RawClient.open(daemon.addr());
      expect(await late.hello(50_000 + round)).toMatchObject({ 'msg-type': 'complete' });
      latencies.push(await ping(late, 1));
      expect(late.closed).toBe(false);
      late.close();
      await Promise.all(children.map(exited));
    }
    console.log(
      `storm: ${ROUNDS} rounds of ${clients} clients (75 % SIGTERM, 25 % SIGKILL): the late client was served every time, ` +
        `ping p50 ${quantile(latencies, 0.5).toFixed(2)} ms max ${Math.max(...latencies).toFixed(2)} ms`,
    );
    expect(latencies).toHaveLength(ROUNDS);
    // strict: the late client's ping within the bystander's bound of the mass kill (50 ms + RXPAF_KILL_SLACK_MS)
    if (STRICT) expect(Math.max(...latencies)).toBeLessThan(BOUNDS[2]!);
    expect((await daemon.stop()).code).toBe(0);
  }, 240_000);
});

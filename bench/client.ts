/**
 * `npm run bench:client`: the client library against rxpafd (bin/rxpafd.js, a separate process), with the
 * publishing side in a third process (bench/client-publisher.ts) so that only the client under test runs here.
 *
 *  1. initial sync: a new client subscribes (`services$`) to a filter matching 10,000 and then 100,000 services;
 *     time until the set is complete (wall clock, and this process's CPU time), median of the runs, and the ratio
 *     100k / 10k (must be ≤ 12: O(N log N) or better);
 *  2. latency: publish on one client → `matches$` on another (both here), median and p99 (must be < 1 ms median),
 *     measured on the fresh daemon (before it holds the 100k services) and again with them in its directory;
 *  3. memory: RSS and heap growth per tracked service with 100,000 in `services$` (after GC);
 *     the longest event-loop stall of this process while the 100k sync runs, and while the link to the server is
 *     lost with the 100k services (through a TCP proxy that drops the connection): their orphan state is
 *     processed in slices, so no single turn holds the loop;
 *  4. `membership$` stays bounded: size of its map and heap growth after 20,000 services came and went;
 *  5. publish rate of one client (bench/client-publisher.ts, 1,024 publishes in flight): publishes per second (wall)
 *     and the publisher's CPU time per publish, for the 100,000 that populate the daemon for 1–4 and, at the end, for
 *     10,000 services on a daemon of their own (goal ≥ 20,000/s; printed, not part of the exit status: it depends on the
 *     machine's load more than the other figures).
 *
 * Figures are printed as a table and as one JSON line; the exit status is 1 if a goal is missed.
 * Options (env): BENCH_RUNS (default 3), BENCH_N (default 100000), BENCH_LATENCY (default 2000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { filter, firstValueFrom, type Subscription } from 'rxjs';

import { createClient, type RxpafClient } from '../lib/client';

const root = join(__dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_N ?? 100000);
const SMALL = Math.min(10000, N / 10);
const LATENCY = Number(process.env.BENCH_LATENCY ?? 2000);
/** Publishes before the latency samples (JIT of client and daemon). */
const WARMUP = 1000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** Start rxpafd on an ephemeral port. */
const startDaemon = (): Promise<{ addr: string; proc: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'bin', 'rxpafd.js'), '-s', '-n', 'tcp:127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /addresses=(tcp:\S+)/.exec(err);
      if (m !== null) resolve({ addr: m[1]!, proc });
    });
    proc.once('exit', (code) => reject(new Error(`rxpafd exited with ${code}: ${err}`)));
  });

/** Run the publisher process; resolves with its first output line (and the process). */
const publisher = (args: readonly string[]): Promise<{ line: string; proc: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'dist', 'bench', 'client-publisher.js'), ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve({ line: out.split('\n')[0]!, proc });
    });
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`publisher exited with ${code}`))));
  });

const connected = (c: RxpafClient): Promise<unknown> =>
  firstValueFrom(c.connections$.pipe(filter((s) => s.state === 'connected')));

/** Time (ms) and this process's CPU time (ms) until a new client's services$ holds `n` services of `flt`. */
const syncOnce = async (addr: string, flt: string, n: number): Promise<{ wall: number; cpu: number }> => {
  const c = createClient({ addresses: [addr] });
  try {
    await connected(c);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await firstValueFrom(c.services$(flt).pipe(filter((m) => m.size >= n)));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wall, cpu: (cpu.user + cpu.system) / 1000 };
  } finally {
    await c.close();
  }
};

const latency = async (addr: string, tag: string): Promise<number[]> => {
  const pub = createClient({ addresses: [addr] });
  const sub = createClient({ addresses: [addr] });
  const out: number[] = [];
  let resolveNext: (() => void) | undefined;
  const s: Subscription = sub.matches$(`(bench=${tag})`).subscribe(() => resolveNext?.());
  try {
    await Promise.all([connected(pub), connected(sub)]);
    await (await pub.publish({ bench: 'warm' })).unpublish();
    for (let i = 0; i < LATENCY + WARMUP; i++) {
      const seen = new Promise<void>((r) => (resolveNext = r));
      const t0 = performance.now();
      pub.publish({ bench: tag, i }, { ttl: 1 }).catch(() => undefined); // answered after the match, or at close
      await seen;
      if (i >= WARMUP) out.push(performance.now() - t0);
    }
  } finally {
    s.unsubscribe();
    await Promise.all([pub.close(), sub.close()]);
  }
  return out;
};

/** RSS and heap growth per service while a client tracks `n` services (after GC). */
const memory = async (addr: string, flt: string, n: number): Promise<{ rss: number; heap: number }> => {
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const m0 = process.memoryUsage();
  const c = createClient({ addresses: [addr] });
  let last: ReadonlyMap<bigint, unknown> | undefined;
  const s = c.services$(flt).subscribe((m) => (last = m));
  try {
    await firstValueFrom(c.services$(flt).pipe(filter((m) => m.size >= n)));
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    const m1 = process.memoryUsage();
    if (last === undefined || last.size < n) throw new Error('services$ did not hold every service');
    return { rss: (m1.rss - m0.rss) / n, heap: (m1.heapUsed - m0.heapUsed) / n };
  } finally {
    s.unsubscribe();
    await c.close();
  }
};

/** A TCP proxy to `addr` whose connections can be dropped (a lost link, seen from the client). */
const proxy = async (addr: string): Promise<{ addr: string; drop: () => void; close: () => void }> => {
  const [host, port] = [addr.slice(4, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const srv = createServer((a) => {
    const b = netConnect(port, host);
    a.setNoDelay(true);
    b.setNoDelay(true);
    sockets.add(a).add(b);
    a.pipe(b).pipe(a);
    const end = (): void => void (a.destroy(), b.destroy());
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port: p } = srv.address() as { port: number };
  return {
    addr: `tcp:127.0.0.1:${p}`,
    drop: () => sockets.forEach((s) => s.destroy()),
    close: () => {
      sockets.forEach((s) => s.destroy());
      srv.close();
    },
  };
};

/** The longest event-loop stall (ms) while a client syncs `n` services, and while its link to them is lost. */
const stalls = async (
  addr: string,
  flt: string,
  n: number,
): Promise<{ sync: number; loss: number; lossTook: number }> => {
  const px = await proxy(addr);
  const c = createClient({ addresses: [px.addr], reconnectMin: 60, reconnectMax: 60 });
  const h = monitorEventLoopDelay({ resolution: 1 });
  try {
    await connected(c);
    // one consumer for the whole measurement, so the server subscription (and its 100k) stays
    let current: ReadonlyMap<bigint, { orphanSince?: number }> = new Map();
    const held = c.services$(flt).subscribe((m) => (current = m));
    h.enable();
    await firstValueFrom(c.services$(flt).pipe(filter((m) => m.size >= n)));
    const sync = h.max / 1e6;
    // count the orphan transitions as they come (cheap per match; the late consumer first gets the current set)
    let left = n;
    let done: () => void = () => undefined;
    const orphaned = new Promise<void>((r) => (done = r));
    const counting = c.matches$(flt).subscribe((m) => {
      if (m.type === 'modified' && m.service.orphanSince !== undefined && --left === 0) done();
    });
    if (current.size < n) throw new Error('the held services$ consumer lost the set');
    h.reset();
    const t0 = performance.now();
    px.drop();
    await orphaned;
    const took = performance.now() - t0;
    counting.unsubscribe();
    held.unsubscribe();
    // the histogram samples every ms: a loss handled in less than a sample interval shows as its whole duration
    return { sync, loss: h.count > 0 ? h.max / 1e6 : took, lossTook: took };
  } finally {
    h.disable();
    px.close();
    await c.close();
  }
};

/**
 * membership$ while 20 rounds of 1,000 services come and go: the largest map it emitted, the members left at the
 * end (none), how many `gone` it reported, and the heap growth.
 */
const churn = async (
  addr: string,
): Promise<{ maxSize: number; left: number; heapGrowth: number; seenGone: number }> => {
  const c = createClient({ addresses: [addr] });
  let maxSize = 0;
  let left = 0;
  let seenGone = 0;
  const s = c.membership$('(bench=churn)').subscribe((m) => {
    maxSize = Math.max(maxSize, m.size);
    left = 0;
    for (const v of m.values())
      if (v === 'gone') seenGone++;
      else left++;
  });
  try {
    await connected(c);
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const p = await publisher([addr, 'churn', '20', '1000']);
    await new Promise<void>((r) => p.proc.once('exit', () => r()));
    await c.ping(); // every notification before the ping's answer has been processed
    await new Promise((r) => setTimeout(r, 100));
    gc();
    return { maxSize, left, heapGrowth: process.memoryUsage().heapUsed - h0, seenGone };
  } finally {
    s.unsubscribe();
    await c.close();
  }
};

/** `ready <wall ms> <cpu ms>` of the publisher → publishes per second (wall) and CPU µs per publish. */
const rateOf = (line: string, n: number): { perSecond: number; cpuUs: number } => {
  const [, wall, cpu] = line.split(' ').map(Number);
  return { perSecond: (n * 1000) / wall!, cpuUs: (cpu! * 1000) / n };
};

/** Publish rate of one client publishing `n` services to a daemon of their own. */
const publishRate = async (n: number): Promise<{ perSecond: number; cpuUs: number }> => {
  const d = await startDaemon();
  try {
    const p = await publisher([d.addr, 'rate', String(n), 'rate']);
    await new Promise<void>((r) => (p.proc.exitCode === null ? p.proc.once('exit', () => r()) : r()));
    return rateOf(p.line, n);
  } finally {
    d.proc.kill('SIGTERM');
  }
};

const main = async (): Promise<void> => {
  const d = await startDaemon();
  await latency(d.addr, 'latency-warmup'); // a first run warms up the daemon and this process
  const fresh = await latency(d.addr, 'latency-fresh');
  const pub = await publisher([d.addr, 'populate', String(N)]);
  const populateMs = Number(pub.line.split(' ')[1]);
  const rateBig = rateOf(pub.line, N);
  try {
    const small: Array<{ wall: number; cpu: number }> = [];
    const big: Array<{ wall: number; cpu: number }> = [];
    for (let r = 0; r < RUNS; r++) {
      small.push(await syncOnce(d.addr, '(small=1)', SMALL));
      big.push(await syncOnce(d.addr, '(bench=sync)', N));
    }
    const lat = fresh;
    const loaded = await latency(d.addr, 'latency-loaded');
    const mem = await memory(d.addr, '(bench=sync)', N);
    const stall = await stalls(d.addr, '(bench=sync)', N);
    const ch = await churn(d.addr);
    // last, so that its processes (a daemon of their own) do not run beside the figures above
    const rateSmall = await publishRate(SMALL);
    const f = {
      n: N,
      small: SMALL,
      syncSmallMs: median(small.map((x) => x.wall)),
      syncBigMs: median(big.map((x) => x.wall)),
      syncSmallCpuMs: median(small.map((x) => x.cpu)),
      syncBigCpuMs: median(big.map((x) => x.cpu)),
      latencyMedianMs: median(lat),
      latencyP99Ms: percentile(lat, 99),
      latencyLoadedMedianMs: median(loaded),
      latencyLoadedP99Ms: percentile(loaded, 99),
      rssPerServiceBytes: mem.rss,
      heapPerServiceBytes: mem.heap,
      maxStallSyncMs: stall.sync,
      maxStallLossMs: stall.loss,
      lossProcessedMs: stall.lossTook,
      membershipMaxSize: ch.maxSize,
      membershipLeft: ch.left,
      membershipGoneReported: ch.seenGone,
      membershipHeapGrowthBytes: ch.heapGrowth,
      populateMs,
      publishRateSmall: rateSmall.perSecond,
      publishCpuUsSmall: rateSmall.cpuUs,
      publishRateBig: rateBig.perSecond,
      publishCpuUsBig: rateBig.cpuUs,
    };
    const ratio = f.syncBigMs / f.syncSmallMs;
    const cpuRatio = f.syncBigCpuMs / f.syncSmallCpuMs;
    const goals = {
      ratio: ratio <= 12,
      latency: f.latencyMedianMs < 1,
      membership: ch.left === 0 && ch.maxSize <= 2000 && ch.seenGone === 20000,
    };
    const k = (n: number): string => `${n / 1000}k`;
    const rate = (r: { perSecond: number; cpuUs: number }): string =>
      `${r.perSecond.toFixed(0)}/s, ${r.cpuUs.toFixed(1)} µs client CPU per publish (goal ≥ 20000/s: ${r.perSecond >= 20000 ? 'ok' : 'missed'})`;
    const rows: Array<[string, string]> = [
      [
        `initial sync, ${k(SMALL)} matches (wall / client CPU)`,
        `${f.syncSmallMs.toFixed(0)} ms / ${f.syncSmallCpuMs.toFixed(0)} ms`,
      ],
      [
        `initial sync, ${k(N)} matches (wall / client CPU)`,
        `${f.syncBigMs.toFixed(0)} ms / ${f.syncBigCpuMs.toFixed(0)} ms`,
      ],
      [
        `ratio ${k(N)} / ${k(SMALL)} (wall / CPU; goal ≤ 12)`,
        `${ratio.toFixed(1)}x / ${cpuRatio.toFixed(1)}x ${goals.ratio ? 'ok' : 'MISSED'}`,
      ],
      [
        `publish → match latency, median (goal < 1 ms)`,
        `${f.latencyMedianMs.toFixed(3)} ms ${goals.latency ? 'ok' : 'MISSED'}`,
      ],
      [`publish → match latency, p99`, `${f.latencyP99Ms.toFixed(3)} ms`],
      [
        `same, with ${k(N)} services in the server's directory`,
        `median ${f.latencyLoadedMedianMs.toFixed(3)} ms, p99 ${f.latencyLoadedP99Ms.toFixed(3)} ms`,
      ],
      [`RSS per tracked service (${k(N)} in services$)`, `${f.rssPerServiceBytes.toFixed(0)} bytes`],
      [`heap per tracked service`, `${f.heapPerServiceBytes.toFixed(0)} bytes`],
      [
        `longest event-loop stall: ${k(N)} sync / ${k(N)} lost with the link`,
        `${stall.sync.toFixed(1)} ms / ${stall.loss.toFixed(1)} ms`,
      ],
      [
        `membership$ while 20k services came and went (1k at a time)`,
        `≤ ${ch.maxSize} entries, ${ch.left} left, ${ch.seenGone} gone reported once each, heap ${(ch.heapGrowth / 1024).toFixed(0)} KiB ${goals.membership ? 'ok' : 'MISSED'}`,
      ],
      [`publish rate, one client, ${k(SMALL)} services (1,024 in flight)`, rate(rateSmall)],
      [`publish rate, one client, ${k(N)} services`, rate(rateBig)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(
      `rxpaf client benchmark: rxpafd in its own process, median of ${RUNS} runs, ${LATENCY} latency samples, node ${process.version}`,
    );
    console.log(`(populating ${k(N)} services from a third process took ${populateMs} ms)`);
    for (const [name, v] of rows) console.log(`${name.padEnd(w + 2)}${v}`);
    console.log(JSON.stringify(f));
    if (!goals.ratio || !goals.latency || !goals.membership) process.exitCode = 1;
  } finally {
    pub.proc.stdin!.end();
    d.proc.kill('SIGTERM');
  }
};

main().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});

/**
 * `npm run bench:mem [-- options]`: memory per service (issue 12 item 2), measured in-process after a forced GC
 * (run with `node --expose-gc`, which the npm script does).
 *
 * Two harnesses, both with the server benchmark's props (`bench/loadgen.ts` `disconnect`):
 * - `reducer`: 100,000 publish messages as JSON text through the codec (`decodeClientMessage`) and the reducer
 *   (`reduceAll`, batches of 256), nothing else; heap growth / N.
 * - `server`: the in-process server (`createServer`, what rxpafd runs) on tcp 127.0.0.1:0, fed by the benchmark's raw
 *   peer (bench/wire.ts) in this process, 1,024 in flight; heap growth / N and RSS growth / N (the peer's buffers are
 *   garbage by then).
 *
 * - `daemon`: rxpafd itself (`bin/rxpafd.js -n -l warning tcp:127.0.0.1:0`, a process of its own, as `npm run bench`
 *   runs it), fed by the same raw peer from this process; its VmRSS (/proc) growth / N read 0.5 s after the last
 *   reply and then at fixed times while the daemon is left quiet (`--settle <s>`, default 20), to show when V8 gives
 *   back what the burst took. Also its idle RSS (2 s after start). `--node-args "<flags>"` are given to its node.
 *
 * Options: `--mode reducer|server|daemon|both|all` (default both: reducer and server), `--n <count>` (100000),
 * `--runs <r>` (3; medians printed),
 * `--snapshot <file>` (write a heap snapshot of the last run's full directory; summarise it with
 * `node dist/bench/heap-summary.js <file>`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

import { decodeClientMessage } from '../lib/codec/decode';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';
import { createServer } from '../lib/server/create-server';
import { canConnect, cpuOf, encodeBatch, listeningPorts, parseAddr, RawPeer, rssOf } from './wire';

const TTL = 3600;
const publishJson = (taId: number, id: number, name: number): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":0,"service-props":{"name":["service-${name}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":${TTL}}`;
const helloJson = (clientId: number): string =>
  `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${clientId},"protocol-minimum-version":2,"protocol-maximum-version":2}`;

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
};
const mode = arg('mode', 'both');
const N = Number(arg('n', '100000'));
const RUNS = Number(arg('runs', '3'));
const SETTLE_S = Number(arg('settle', '20'));
const nodeArgs = arg('node-args', '')
  .split(/\s+/)
  .filter((a) => a !== '');
const snapshotFile = process.argv.includes('--snapshot') ? arg('snapshot', 'mem.heapsnapshot') : undefined;

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) g();
};
const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};
const rss = (): number => process.memoryUsage().rss;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verbose = process.argv.includes('--verbose');
/** With `--verbose`: the heap spaces' committed sizes and the process figures, to see where RSS goes. */
const spaces = (label: string): void => {
  if (!verbose) return;
  const mb = (x: number): string => (x / 1e6).toFixed(1);
  const m = process.memoryUsage();
  const sp = getHeapSpaceStatistics()
    .map((x) => `${x.space_name.replace('_space', '')} ${mb(x.physical_space_size)}/${mb(x.space_used_size)}`)
    .join(', ');
  process.stderr.write(
    `${label}: rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} MB; spaces (physical/used MB) ${sp}\n`,
  );
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const decode = (text: string) => {
  const m = decodeClientMessage(text);
  if (m._tag === 'Left') throw new Error(m.left.reason);
  return m.right;
};

/** Codec + reducer only. */
const reducerRun = (): { heapB: number; state: DomainState } => {
  const T0 = 1_700_000_000;
  let s = initialDomainState(defaultSettings, 1, T0);
  s = reduceAll(s, [
    { type: 'accepted', now: T0, conn: 1, address: 'tcp:127.0.0.1:1', user: 'ip:127.0.0.1', transport: 'tcp' },
    { type: 'message', now: T0, conn: 1, msg: decode(helloJson(1)) },
  ])[0];
  const h0 = heap();
  for (let i = 0; i < N; i += 256) {
    const evs: Event[] = [];
    for (let j = i; j < Math.min(N, i + 256); j++)
      evs.push({ type: 'message', now: T0 + j * 1e-5, conn: 1, msg: decode(publishJson(1000 + j, j + 1, j)) });
    s = reduceAll(s, evs)[0];
  }
  if (s.services.size !== N) throw new Error(`${s.services.size} services`);
  const h1 = heap();
  return { heapB: (h1 - h0) / N, state: s };
};

/** The in-process server over tcp. */
const serverRun = async (): Promise<{ heapB: number; rssB: number }> => {
  const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  const addr = parseAddr(server.domains[0]!.addresses[0]!);
  const owner = await RawPeer.hello(addr, 1);
  await sleep(100);
  const h0 = heap();
  const r0 = rss();
  spaces('before');
  // the peer's requests are garbage once sent (the load generator of `npm run bench` is another process)
  await owner.send(
    encodeBatch(N, (i) => publishJson(1000 + i, i + 1, i)),
    1024,
  );
  await sleep(500);
  if (server.domains[0]!.snapshot().services.size !== N) throw new Error('not every service published');
  spaces('after, before GC');
  const h1 = heap();
  const r1 = rss();
  spaces('after');
  if (snapshotFile !== undefined) process.stderr.write(`heap snapshot: ${writeHeapSnapshot(snapshotFile)}\n`);
  owner.close();
  await server.close();
  return { heapB: (h1 - h0) / N, rssB: (r1 - r0) / N };
};

/** Publishes of the second burst, after the quiet time. */
const AFTER = 20_000;
/** Seconds after the last reply at which the daemon's RSS is read (those up to `--settle`). */
const SAMPLES = [0.5, 1, 2, 4, 8, 12, 16, 20, 30, 45, 60];

/** rxpafd in a process of its own: idle RSS, then RSS growth / N over time after the burst. */
const daemonRun = async (): Promise<{ idleB: number; rssB: number[]; afterUs: number; afterWallUs: number }> => {
  const bin = join(__dirname, '..', '..', 'bin', 'rxpafd.js');
  const p = spawn(process.execPath, [...nodeArgs, bin, '-n', '-l', 'warning', 'tcp:127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    let port: number | undefined;
    for (let i = 0; port === undefined || !(await canConnect(port)); i++) {
      if (i > 400 || p.exitCode !== null) throw new Error('rxpafd did not start');
      await sleep(25);
      port = listeningPorts(p.pid!)[0];
    }
    await sleep(2000);
    const idleB = rssOf(p.pid!);
    const owner = await RawPeer.hello({ host: '127.0.0.1', port }, 1);
    await sleep(200);
    const r0 = rssOf(p.pid!);
    const batch = encodeBatch(N, (i) => publishJson(1000 + i, i + 1, i));
    await owner.send(batch, 1024);
    const t0 = performance.now();
    const rssB: number[] = [];
    for (const t of SAMPLES.filter((x) => x <= SETTLE_S)) {
      await sleep(t * 1000 - (performance.now() - t0));
      rssB.push((rssOf(p.pid!) - r0) / N);
    }
    // then a second burst: what being left quiet (memory settle, lib/cli/memory-settle.ts) costs the next one
    const more = encodeBatch(AFTER, (i) => publishJson(1000 + N + i, N + i + 1, N + i));
    const c0 = cpuOf(p.pid!);
    const w0 = performance.now();
    await owner.send(more, 1024);
    const afterUs = ((cpuOf(p.pid!) - c0) * 1e6) / AFTER;
    const afterWallUs = ((performance.now() - w0) * 1e3) / AFTER;
    owner.close();
    return { idleB, rssB, afterUs, afterWallUs };
  } finally {
    p.kill('SIGKILL');
  }
};

const main = async (): Promise<void> => {
  const f = (x: number): string => x.toFixed(0).padStart(6);
  if (mode === 'reducer' || mode === 'both' || mode === 'all') {
    const hs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { heapB, state } = reducerRun();
      hs.push(heapB);
      if (snapshotFile !== undefined && mode === 'reducer' && r === RUNS - 1) {
        process.stderr.write(`heap snapshot: ${writeHeapSnapshot(snapshotFile)}\n`);
        if (state.services.size !== N) throw new Error('unreachable');
      }
      gc();
    }
    console.log(`reducer  N=${N}: heap B/service median ${f(median(hs))}   runs ${hs.map(f).join(' ')}`);
  }
  if (mode === 'server' || mode === 'both' || mode === 'all') {
    const hs: number[] = [];
    const rs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const { heapB, rssB } = await serverRun();
      hs.push(heapB);
      rs.push(rssB);
      gc();
    }
    console.log(
      `server   N=${N}: heap B/service median ${f(median(hs))}   runs ${hs.map(f).join(' ')}\n` +
        `                  RSS  B/service median ${f(median(rs))}   runs ${rs.map(f).join(' ')}`,
    );
  }
  if (mode === 'daemon' || mode === 'all') {
    const runs: Array<{ idleB: number; rssB: number[]; afterUs: number; afterWallUs: number }> = [];
    for (let r = 0; r < RUNS; r++) runs.push(await daemonRun());
    const times = SAMPLES.filter((x) => x <= SETTLE_S);
    const idle = runs.map((x) => x.idleB / 1e6);
    console.log(
      `daemon   N=${N}: idle RSS median ${median(idle).toFixed(1)} MB   runs ${idle.map((x) => x.toFixed(1)).join(' ')}` +
        (nodeArgs.length > 0 ? `   (node ${nodeArgs.join(' ')})` : ''),
    );
    const cpu = runs.map((x) => x.afterUs);
    const wall = runs.map((x) => x.afterWallUs);
    console.log(
      `                  then ${AFTER} more publishes: daemon CPU µs/publish median ${median(cpu).toFixed(1)} (runs ${cpu.map((x) => x.toFixed(1)).join(' ')}), wall µs/publish ${median(wall).toFixed(1)} (runs ${wall.map((x) => x.toFixed(1)).join(' ')})`,
    );
    times.forEach((t, i) => {
      const xs = runs.map((x) => x.rssB[i]!);
      console.log(
        `                  RSS  B/service at +${String(t).padEnd(4)} s median ${f(median(xs))}   runs ${xs.map(f).join(' ')}`,
      );
    });
  }
};

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

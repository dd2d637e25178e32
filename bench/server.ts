/**
 * `npm run bench [-- options]`: the server benchmark of issue 12. Every scenario runs against a fresh server, driven
 * by a separate load-generator process (bench/loadgen.ts) over raw XCM tcp framing; with `--peer <tpafd>` each run
 * starts the peer server too, alternating which goes first, so that machine noise hits both. Prints the median of N
 * runs per figure as a table (tpafd | rxpafd | ratio | goal) and optionally writes every run as JSON.
 *
 *   --peer <path>   also measure this tpafd binary
 *   --runs <n>      runs per scenario and server (default 3)
 *   --json <file>   write the table and every run's figures as JSON
 *   --only <a,b>    only these scenarios (publish-unpublish, ping, notifications, subscriptions, subscribe-empty,
 *                   disconnect-5k, disconnect-100k, unpublish-out-of-order, connect-hello)
 *   --scale <f>     multiply every size by f (default 1)
 *   --smoke         --scale 0.02 --runs 1: a quick check that every scenario still runs (CI)
 *   --warm          before each measured scenario, the load generator's warm-up against the same server (every path
 *                   once: bench/loadgen.ts `warmUp`): the servers' steady state, where the default measures a fresh
 *                   server's first burst (for rxpafd, V8 compiling its hot paths meanwhile). The memory rows are
 *                   left out (the server is not idle then, and gives back the warm-up's memory during the scenario).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, listeningPorts } from './wire';

const root = join(__dirname, '..', '..');
const RXPAFD = join(root, 'bin', 'rxpafd.js');
const LOADGEN = join(__dirname, 'loadgen.js');

type ServerKind = 'tpafd' | 'rxpafd';
type Figures = Record<string, number>;

const SCENARIOS = [
  'publish-unpublish',
  'ping',
  'notifications',
  'subscriptions',
  'subscribe-empty',
  'disconnect-5k',
  'disconnect-100k',
  'unpublish-out-of-order',
  'connect-hello',
] as const;
type Scenario = (typeof SCENARIOS)[number];

type Options = {
  peer?: string;
  runs: number;
  json?: string;
  only: Scenario[];
  scale: number;
  /** Node options for rxpafd (`--node-flags '--flag --flag2'`), to A/B V8 flags. */
  nodeFlags: string[];
  /** Warm-up before each measured scenario (`--warm`). */
  warm: boolean;
  /** The load generator skips its own warm-up (`--cold-loadgen`, bench/self-warm.ts). */
  coldLoadgen: boolean;
};

const parseArgs = (argv: string[]): Options => {
  const o: Options = { runs: 3, only: [...SCENARIOS], scale: 1, nodeFlags: [], warm: false, coldLoadgen: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--peer') o.peer = val();
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--json') o.json = val();
    else if (a === '--scale') o.scale = Number(val());
    else if (a === '--node-flags')
      o.nodeFlags = val()
        .split(/\s+/)
        .filter((f) => f !== '');
    else if (a === '--warm') o.warm = true;
    else if (a === '--cold-loadgen') o.coldLoadgen = true;
    else if (a === '--smoke') {
      o.scale = 0.02;
      o.runs = 1;
    } else if (a === '--only') {
      o.only = val().split(',') as Scenario[];
      for (const s of o.only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!(o.runs >= 1) || !(o.scale > 0)) throw new Error('--runs and --scale must be positive');
  return o;
};

/** Servers and load generators running now, killed if the benchmark itself is interrupted. */
const live = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(sig, () => {
    for (const c of live) c.kill('SIGKILL');
    process.exit(130);
  });

/** `stderr`: what the server wrote there so far (`-l warning`: a crash's reason). */
type Running = { addr: string; pid: number; stderr: () => string; stop: () => Promise<void> };

/**
 * Start a server on `tcp:127.0.0.1:0` and learn its port from /proc (tpafd logs only the configured address), the same
 * way for both. Both run with `-n -l warning`: no syslog, and no log line per connection (tpafd without `-s` writes
 * none anyway; rxpafd would write them to stderr).
 */
const startServer = async (kind: ServerKind, opts: Options): Promise<Running> => {
  const addr0 = 'tcp:127.0.0.1:0';
  const p: ChildProcess =
    kind === 'rxpafd'
      ? spawn(process.execPath, [...opts.nodeFlags, RXPAFD, '-n', '-l', 'warning', addr0], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(opts.peer!, ['-n', '-l', 'warning', addr0], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(p);
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  let exited = false;
  p.once('exit', () => {
    exited = true;
    live.delete(p);
  });
  let port: number | undefined;
  for (let i = 0; port === undefined || !(await canConnect(port)); i++) {
    if (exited || i > 200) {
      p.kill('SIGKILL');
      throw new Error(`${kind} did not start listening on ${addr0}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
    port = listeningPorts(p.pid!)[0];
  }
  const addr = `tcp:127.0.0.1:${port}`;
  return {
    addr,
    pid: p.pid!,
    stderr: () => err,
    stop: () =>
      new Promise((res) => {
        if (exited) return res();
        const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
        p.once('exit', () => {
          clearTimeout(kill);
          res();
        });
        p.kill('SIGTERM');
      }),
  };
};

const runOnce = async (kind: ServerKind, scenario: Scenario, opts: Options): Promise<Figures> => {
  const server = await startServer(kind, opts);
  try {
    const lg = spawn(
      process.execPath,
      [
        LOADGEN,
        scenario,
        server.addr,
        String(server.pid),
        String(opts.scale),
        ...(opts.warm ? ['--warm'] : []),
        ...(opts.coldLoadgen ? ['--cold-loadgen'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    live.add(lg);
    let out = '';
    let err = '';
    lg.stdout.on('data', (b: Buffer) => (out += b.toString()));
    lg.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => lg.kill('SIGKILL'), 600_000);
    const code = await new Promise<number | null>((res) => lg.once('close', (c) => res(c)));
    clearTimeout(timer);
    live.delete(lg);
    if (code !== 0) {
      const said = server.stderr().trim();
      throw new Error(
        `loadgen ${scenario} against ${kind} failed (exit ${code}): ${err}` + (said ? `\n${kind} stderr: ${said}` : ''),
      );
    }
    return JSON.parse(out.trim().split('\n').pop()!) as Figures;
  } finally {
    await server.stop();
  }
};

/**
 * Figures of memory: not shown for warm servers (the server is not idle at the start, and what the warm-up allocated
 * is given back while the scenario runs: RSS growth can be negative).
 */
const MEMORY_KEYS = new Set(['idleRssB', 'bytesPerConnection', 'bytesPerService']);

const median = (xs: number[]): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type Row = {
  label: string;
  scenario: Scenario;
  /** Figures shown in the cell (several for p50/p99/max); the last one is compared and checked against the goal. */
  keys: string[];
  format: (v: number) => string;
  higherIsBetter: boolean;
  goal: number;
  goalText: string;
};

const int = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '—');
const sec = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(3)} s` : '—');
const mb = (v: number): string => (Number.isFinite(v) ? `${(v / 1048576).toFixed(1)} MB` : '—');

const ROWS: Row[] = [
  row('publish /s (1 client, 20k services)', 'publish-unpublish', ['publish'], int, true, 100_000, '≥ 100,000'),
  row('unpublish /s', 'publish-unpublish', ['unpublish'], int, true, 150_000, '≥ 150,000'),
  row('ping /s, pipelined', 'ping', ['ping'], int, true, 300_000, '≥ 300,000'),
  row(
    'notifications /s (100 subscribers × 2,000 publishes)',
    'notifications',
    ['notifications'],
    int,
    true,
    700_000,
    '≥ 700,000',
  ),
  row(
    'publish /s with 10k subscriptions',
    'subscriptions',
    ['publishWithSubscriptions'],
    int,
    true,
    50_000,
    '≥ 50,000',
  ),
  row(
    'subscribe /s (10k distinct filters, empty directory)',
    'subscribe-empty',
    ['subscribe'],
    int,
    true,
    100_000,
    '≥ 100,000',
  ),
  row(
    'subscribe /s (10k distinct filters, 10k services, 1 match each)',
    'subscriptions',
    ['subscribe'],
    int,
    true,
    100_000,
    '≥ 100,000',
  ),
  row(
    'owner of 5,000 services disconnects: all orphaned in',
    'disconnect-5k',
    ['orphanedS'],
    sec,
    false,
    0.03,
    '≤ 0.03 s',
  ),
  row(
    "… a bystander's ping p50 / p99 / max (ms)",
    'disconnect-5k',
    ['pingP50Ms', 'pingP99Ms', 'pingMaxMs'],
    ms,
    false,
    10,
    '≤ 10 ms',
  ),
  row(
    'owner of 100,000 services disconnects: all orphaned in',
    'disconnect-100k',
    ['orphanedS'],
    sec,
    false,
    Infinity,
    '',
  ),
  row(
    "… a bystander's ping p50 / p99 / max (ms)",
    'disconnect-100k',
    ['pingP50Ms', 'pingP99Ms', 'pingMaxMs'],
    ms,
    false,
    20,
    '≤ 20 ms',
  ),
  row(
    'unpublish /s, 100,000 services out of publication order',
    'unpublish-out-of-order',
    ['outOfOrderUnpublish'],
    int,
    true,
    Infinity,
    '',
  ),
  row(
    "… a bystander's ping p50 / p99 / max (ms)",
    'unpublish-out-of-order',
    ['outOfOrderPingP50Ms', 'outOfOrderPingP99Ms', 'outOfOrderPingMaxMs'],
    ms,
    false,
    20,
    '≤ 20 ms',
  ),
  row('connect + hello /s (2,000 clients)', 'connect-hello', ['connectHello'], int, true, 5_000, '≥ 5,000'),
  row(
    'bytes per connection, 2,000 idle clients after hello (RSS growth / N: 0.5 s after / 20 s quiet after the last hello)',
    'connect-hello',
    ['bytesPerConnection05', 'bytesPerConnection'],
    int,
    false,
    Infinity,
    '',
  ),
  row(
    'bytes per service at 100k services (RSS growth / N, from a settled start: 0.5 s after / 20 s quiet after the burst)',
    'disconnect-100k',
    ['bytesPerService05', 'bytesPerService'],
    int,
    false,
    600,
    '≤ 600',
  ),
  row('idle RSS', 'disconnect-5k', ['idleRssB'], mb, false, 45 * 1048576, '≤ 45 MB'),
];

/** Server CPU per operation, from the same runs: a figure a busy machine disturbs less than a rate. */
const CPU_ROWS: ReadonlyArray<readonly [string, Scenario, string]> = [
  ['publish', 'publish-unpublish', 'publishCpuUs'],
  ['unpublish', 'publish-unpublish', 'unpublishCpuUs'],
  ['ping', 'ping', 'pingCpuUs'],
  ['notification (per notification delivered)', 'notifications', 'notificationsCpuUs'],
  ['publish with 10k subscriptions', 'subscriptions', 'publishWithSubscriptionsCpuUs'],
  ['subscribe, empty directory', 'subscribe-empty', 'subscribeCpuUs'],
  ['subscribe, 10k services', 'subscriptions', 'subscribeCpuUs'],
  ['connect + hello', 'connect-hello', 'connectHelloCpuUs'],
  ['orphaning, per service (owner of 5,000 disconnects)', 'disconnect-5k', 'orphanCpuUs'],
  ['orphaning, per service (owner of 100,000 disconnects)', 'disconnect-100k', 'orphanCpuUs'],
  ['unpublish, 100,000 out of publication order', 'unpublish-out-of-order', 'outOfOrderUnpublishCpuUs'],
];
const cpu = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '—');

function row(
  label: string,
  scenario: Scenario,
  keys: string[],
  format: (v: number) => string,
  higherIsBetter: boolean,
  goal: number,
  goalText: string,
): Row {
  return { label, scenario, keys, format, higherIsBetter, goal, goalText };
}

const main = async (): Promise<void> => {
  const opts = parseArgs(process.argv.slice(2));
  const kinds: ServerKind[] = opts.peer === undefined ? ['rxpafd'] : ['tpafd', 'rxpafd'];
  if (opts.peer !== undefined) {
    const v = spawnSync(opts.peer, ['-v'], { encoding: 'utf8' });
    if (v.status !== 0) throw new Error(`${opts.peer} -v failed (missing libraries? see ldd): ${v.stderr}`);
  }
  const runs: Record<ServerKind, Partial<Record<Scenario, Figures[]>>> = { tpafd: {}, rxpafd: {} };
  for (const scenario of opts.only) {
    for (let r = 0; r < opts.runs; r++) {
      const order = r % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const f = await runOnce(kind, scenario, opts);
        (runs[kind][scenario] ??= []).push(f);
        process.stderr.write(`${scenario} run ${r + 1}/${opts.runs} ${kind}: ${JSON.stringify(f)}\n`);
      }
    }
  }
  const med = (kind: ServerKind, scenario: Scenario, key: string): number =>
    median((runs[kind][scenario] ?? []).map((f) => f[key] ?? NaN));
  /** Ratio > 1: rxpafd ahead. Taken run by run (run r of both servers ran back to back), then the median. */
  const pairedRatio = (scenario: Scenario, key: string, higherIsBetter: boolean): number => {
    const rx = runs.rxpafd[scenario] ?? [];
    const tp = runs.tpafd[scenario] ?? [];
    return median(
      rx.map((f, i) => {
        const a = f[key] ?? NaN;
        const b = tp[i]?.[key] ?? NaN;
        return higherIsBetter ? a / b : b / a;
      }),
    );
  };

  const table: Array<Record<string, string | number>> = [];
  const header = [
    'scenario',
    ...(opts.peer !== undefined ? ['tpafd'] : []),
    'rxpafd',
    ...(opts.peer !== undefined ? ['rxpafd vs tpafd'] : []),
    'goal',
    'goal met',
  ];
  const lines: string[][] = [];
  for (const r of ROWS) {
    if (!opts.only.includes(r.scenario) || (opts.warm && r.keys.some((k) => MEMORY_KEYS.has(k)))) continue;
    const cell = (kind: ServerKind): string => r.keys.map((k) => r.format(med(kind, r.scenario, k))).join(' / ');
    const key = r.keys[r.keys.length - 1]!;
    const rx = med('rxpafd', r.scenario, key);
    const ratio = pairedRatio(r.scenario, key, r.higherIsBetter);
    const met = r.goalText === '' ? '' : (r.higherIsBetter ? rx >= r.goal : rx <= r.goal) ? 'yes' : 'no';
    const ratioText = Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
    lines.push([
      r.label,
      ...(opts.peer !== undefined ? [cell('tpafd')] : []),
      cell('rxpafd'),
      ...(opts.peer !== undefined ? [ratioText] : []),
      r.goalText,
      met,
    ]);
    table.push({
      scenario: r.label,
      ...Object.fromEntries(r.keys.flatMap((k) => kinds.map((kind) => [`${kind}.${k}`, med(kind, r.scenario, k)]))),
      ...(opts.peer !== undefined ? { ratio } : {}),
      goal: r.goalText,
      met,
    });
  }
  console.log(
    `rxpafd server benchmark: median of ${opts.runs} run(s) per figure, scale ${opts.scale}, node ${process.version}, ` +
      (opts.warm ? 'warm servers (the warm-up first, against the same server); ' : 'fresh servers; ') +
      `load generator in its own process (raw XCM tcp framing), bystander in a worker thread. ` +
      (opts.peer !== undefined ? 'Ratio > 1×: rxpafd ahead (throughput rxpafd/tpafd; times, sizes tpafd/rxpafd).' : ''),
  );
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  const cpuLines: string[][] = [];
  for (const [label, scenario, key] of CPU_ROWS) {
    if (!opts.only.includes(scenario)) continue;
    const ratio = pairedRatio(scenario, key, false);
    cpuLines.push([
      label,
      ...kinds.map((k) => cpu(med(k, scenario, key))),
      ...(opts.peer !== undefined ? [Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—'] : []),
    ]);
    table.push({
      scenario: `server CPU per operation: ${label}`,
      ...Object.fromEntries(kinds.map((k) => [`${k}.${key}`, med(k, scenario, key)])),
      ...(opts.peer !== undefined ? { ratio } : {}),
    });
  }
  if (cpuLines.length > 0) {
    const h = [
      'server CPU µs per operation (user + system)',
      ...kinds,
      ...(opts.peer !== undefined ? ['rxpafd vs tpafd'] : []),
    ];
    console.log('');
    console.log(`| ${h.join(' | ')} |`);
    console.log(`|${h.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const l of cpuLines) console.log(`| ${l.join(' | ')} |`);
  }
  if (opts.json !== undefined)
    writeFileSync(
      opts.json,
      JSON.stringify({ date: new Date().toISOString(), node: process.version, options: opts, table, runs }, null, 2) +
        '\n',
    );
};

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

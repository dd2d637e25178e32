/**
 * `npm run bench`: starts rxpafd (the built daemon) and drives it from a separate load-generator process over tcp.
 * Each scenario runs against a fresh daemon, three times; the table shows the median (and the spread).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const daemon = join(root, 'bin', 'rxpafd.js');
const loadgen = join(root, 'dist', 'bench', 'loadgen.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Start a daemon on an ephemeral port; resolves with its address and a stop function. */
const startDaemon = (): Promise<{ addr: string; stop: () => Promise<void> }> =>
  new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [daemon, '-s', '-n', '-l', 'info', 'tcp:127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /addresses=(tcp:\S+)/.exec(err);
      if (m !== null)
        resolve({
          addr: m[1]!,
          stop: () =>
            new Promise((res) => {
              p.once('exit', () => res());
              p.kill('SIGTERM');
            }),
        });
    });
    p.once('exit', (code) => reject(new Error(`rxpafd exited with ${code}: ${err}`)));
  });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const scenario = async (name: string): Promise<Record<string, number[]>> => {
  const out: Record<string, number[]> = {};
  for (let r = 0; r < RUNS; r++) {
    const d = await startDaemon();
    const res = spawnSync(process.execPath, [loadgen, name, d.addr], { encoding: 'utf8', timeout: 300_000 });
    await d.stop();
    if (res.status !== 0) throw new Error(`loadgen ${name} failed: ${res.stderr}`);
    const vals = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, number>;
    for (const [k, v] of Object.entries(vals)) (out[k] ??= []).push(v);
  }
  return out;
};

const fmt = (n: number, unit: string): string =>
  unit === 'ms' ? `${n.toFixed(2)} ms` : `${Math.round(n).toLocaleString('en-US')} ${unit}`;

const main = async (): Promise<void> => {
  const rows: Array<[string, number[], string]> = [];
  const pu = await scenario('publish-unpublish');
  rows.push(['publish/s (1 client, 1,024 in flight)', pu.publish!, '/s']);
  rows.push(['unpublish/s (1 client, 1,024 in flight)', pu.unpublish!, '/s']);
  const n = await scenario('notifications');
  rows.push(['notifications/s (100 subscribers, 1 publisher)', n.notifications!, '/s']);
  const s = await scenario('publish-10k-subscriptions');
  rows.push(['publish/s with 10,000 subscriptions', s.publish!, '/s']);
  const l = await scenario('disconnect-latency');
  rows.push(['bystander ping, idle (median)', l.medianIdlePingMs!, 'ms']);
  rows.push(['bystander ping, worst while 5,000 services orphan', l.worstPingMs!, 'ms']);
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `rxpafd server benchmark: median of ${RUNS} runs (min … max), load generator in a separate process, node ${process.version}`,
  );
  for (const [k, vs, unit] of rows)
    console.log(
      `${k.padEnd(w + 2)}${fmt(median(vs), unit).padStart(14)}   (${fmt(Math.min(...vs), unit)} … ${fmt(Math.max(...vs), unit)})`,
    );
};

main().catch((e: unknown) => {
  console.error(String(e));
  process.exit(1);
});

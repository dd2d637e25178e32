/**
 * CI smoke of the server benchmark (bench/server.ts, `npm run bench -- --smoke`): every scenario runs once at a
 * fiftieth of its size against rxpafd and tpafd, so the harness cannot rot. It checks that every figure of the table
 * was measured, not how fast anything is (benchmarks are not tests). Runs dist/ (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peers } from '../interop/peers';

const ROOT = join(__dirname, '..', '..');

/** The benchmark in CI's smoke size with `args`: its output and the JSON it wrote; its run succeeded. */
const smoke = (args: string[]): { stdout: string; json: Record<string, unknown> } => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-bench-'));
  try {
    const json = join(dir, 'bench.json');
    const res = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'bench', 'server.js'), '--smoke', ...args, '--json', json],
      { encoding: 'utf8', timeout: 55_000 },
    );
    expect(res.stderr + (res.error?.message ?? '')).not.toMatch(/failed|Error/);
    expect(res.status).toBe(0);
    return { stdout: res.stdout, json: JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown> };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe('npm run bench -- --smoke', () => {
  it('measures every figure of the table for both servers', () => {
    const { stdout, json } = smoke(['--peer', join(peers(), 'sbin', 'tpafd')]);
    const out = json as {
      table: Array<Record<string, string | number>>;
      runs: Record<string, Record<string, unknown[]>>;
    };
    // 17 rows of issue 12's table, then 11 of server CPU per operation (which may round to 0 at this size); the
    // bytes per connection of 40 clients is an RSS difference of a few pages, which a settling daemon can make
    // negative: measured (finite) is all that is checked there
    expect(out.table).toHaveLength(28);
    out.table.forEach((row, i) => {
      const figures = Object.entries(row).filter(([k]) => k.startsWith('rxpafd.') || k.startsWith('tpafd.'));
      expect(figures.length).toBeGreaterThanOrEqual(2);
      for (const [k, v] of figures) expect([row.scenario, k, v]).toEqual([row.scenario, k, expect.any(Number)]);
      if (String(row.scenario).startsWith('bytes per connection'))
        for (const [, v] of figures) expect(Number.isFinite(v)).toBe(true);
      else for (const [, v] of figures) expect(v as number).toBeGreaterThanOrEqual(i < 17 ? Number.MIN_VALUE : 0);
    });
    expect(Object.keys(out.runs.rxpafd!)).toHaveLength(9);
    expect(Object.keys(out.runs.tpafd!)).toHaveLength(9);
    expect(stdout).toMatch(/\| scenario \| tpafd \| rxpafd \| rxpafd vs tpafd \| goal \| goal met \|/);
  }, 60_000);
});

describe('npm run bench -- --smoke --warm', () => {
  it('warms the server up first, then measures; no memory rows', () => {
    const { stdout, json } = smoke(['--warm', '--only', 'publish-unpublish,disconnect-5k,connect-hello']);
    const out = json as {
      options: { warm: boolean };
      table: Array<Record<string, string | number>>;
    };
    expect(out.options.warm).toBe(true);
    // publish, unpublish, orphaned in, bystander, connect + hello; then 4 rows of CPU per operation; the idle RSS
    // and the bytes per connection are not shown
    expect(out.table.map((r) => String(r.scenario).split(' ')[0])).toEqual([
      'publish',
      'unpublish',
      'owner',
      '…',
      'connect',
      'server',
      'server',
      'server',
      'server',
    ]);
    for (const row of out.table.slice(0, 5)) {
      const figures = Object.entries(row).filter(([k]) => k.startsWith('rxpafd.'));
      expect(figures.length).toBeGreaterThanOrEqual(1);
      for (const [, v] of figures) expect(v as number).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/warm servers \(the warm-up first, against the same server\)/);
  }, 60_000);
});

describe('npm run bench:kill-floor', () => {
  it('kills its children and prints the bystander figures', () => {
    const res = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'bench', 'kill-floor.js'), '--runs', '1', '--mb', '4', '--procs', '2', '--conns', '20'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(res.stderr + (res.error?.message ?? '')).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(
      /^run 1: children exited in \d+ ms; worst ping before \d+\.\d ms, around the kill \d+\.\d ms$/m,
    );
    // round trips were measured on both sides of the kill (a figure of 0.0 means none was)
    const [, before, around] = /worst ping before (\S+) ms, around the kill (\S+) ms/.exec(res.stdout)!;
    expect(Number(before)).toBeGreaterThan(0);
    expect(Number(around)).toBeGreaterThan(0);
    expect(res.stdout).toMatch(/^around the kill: min \d+\.\d median \d+\.\d max \d+\.\d ms$/m);
  }, 40_000);
});

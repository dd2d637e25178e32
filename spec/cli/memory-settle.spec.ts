/**
 * Memory settle (lib/cli/memory-settle.ts, issue 12): the rule on virtual time, and the runtime flag switch itself in
 * a process of its own: the flags take effect both ways (V8's own optimisation status of a fresh function), and a
 * server switched back and forth dozens of times while it serves bursts answers every request correctly.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';

import {
  FAST_FLAGS,
  LEAN_FLAGS,
  possibleGarbage,
  SETTLE,
  SETTLE_START,
  type SettleState,
  settleStep,
  startMemorySettle,
} from '../../lib/cli/memory-settle';
import { RXPAFD, tempDir, waitFor } from '../helpers/daemon';

describe('settleStep', () => {
  const run = (us: readonly number[]): Array<'lean' | 'fast' | undefined> => {
    let s: SettleState = SETTLE_START;
    return us.map((u) => {
      const r = settleStep(SETTLE, s, u, SETTLE.sampleMs);
      s = r.state;
      return r.change;
    });
  };

  it('goes lean after 1 s of quiet samples and fast at the first busy one', () => {
    expect(run([0, 0, 0, 0, 0.01, 0, 0, 0.5, 0])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'lean',
      undefined,
      undefined,
      'fast',
      undefined,
    ]);
  });

  it('needs the quiet to be unbroken: a sample between quiet and busy restarts the count but changes nothing', () => {
    expect(run([0, 0, 0, 0.05, 0, 0, 0, 0, 0, 0.05, 0.05, 0.2])).toEqual([
      ...Array<undefined>(8).fill(undefined),
      'lean',
      undefined,
      undefined,
      'fast',
    ]);
  });

  it('alternates lean and fast, lean exactly after quietMs of quiet, fast exactly at a busy sample while lean', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0.01, 0.05, 0.5, 1), { maxLength: 200 }), (us) => {
        const changes = run(us);
        let lean = false;
        let quiet = 0;
        us.forEach((u, i) => {
          quiet = u > SETTLE.busyAbove ? 0 : u < SETTLE.quietBelow ? quiet + SETTLE.sampleMs : 0;
          const expected =
            lean && u > SETTLE.busyAbove ? 'fast' : !lean && quiet >= SETTLE.quietMs ? 'lean' : undefined;
          expect(changes[i]).toBe(expected);
          if (expected !== undefined) lean = expected === 'lean';
        });
      }),
    );
  });
});

describe('startMemorySettle', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('samples on a timer and sets the flags; stop undoes a lean state', () => {
    jest.useFakeTimers();
    const us = [0, 0, 0, 0, 0, 0, 0.9, 0, 0, 0, 0, 0, 0];
    const flags: string[] = [];
    const stop = startMemorySettle({ setFlags: (f) => flags.push(f), utilization: () => us.shift() ?? 0 });
    jest.advanceTimersByTime(SETTLE.sampleMs * 5 - 1);
    expect(flags).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(flags).toEqual([LEAN_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs * 2);
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs * 5);
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS, LEAN_FLAGS]);
    stop();
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS, LEAN_FLAGS, FAST_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs * 20);
    expect(flags).toHaveLength(4);
  });

  it('started lean: the lean flags at once, fast at the first busy sample, lean again after a quiet second', () => {
    jest.useFakeTimers();
    const us = [0.05, 0, 0.11, 0, 0, 0, 0, 0];
    const flags: string[] = [];
    const changes: string[] = [];
    const stop = startMemorySettle({
      setFlags: (f) => flags.push(f),
      utilization: () => us.shift() ?? 0,
      onChange: (to) => changes.push(to),
      startLean: true,
    });
    expect(flags).toEqual([LEAN_FLAGS]);
    // quiet or light samples (5 %: neither quiet nor busy) leave it lean
    jest.advanceTimersByTime(SETTLE.sampleMs * 2);
    expect(flags).toEqual([LEAN_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs);
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs * 4);
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS]);
    jest.advanceTimersByTime(SETTLE.sampleMs);
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS, LEAN_FLAGS]);
    expect(changes).toEqual(['lean', 'fast', 'lean']);
    stop();
    expect(flags).toEqual([LEAN_FLAGS, FAST_FLAGS, LEAN_FLAGS, FAST_FLAGS]);
  });
});

describe('possible garbage (the memory reducer after a burst)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is notified at each switch to lean after a busy time, not at a lean start', () => {
    jest.useFakeTimers();
    const us = [0.5, 0, 0, 0, 0, 0, 0.9, 0, 0, 0, 0, 0];
    let notified = 0;
    const changes: string[] = [];
    const stop = startMemorySettle({
      setFlags: () => undefined,
      utilization: () => us.shift() ?? 0,
      onChange: (to) => changes.push(`${to}:${notified}`),
      notifyGarbage: () => notified++,
      startLean: true,
    });
    expect(notified).toBe(0);
    jest.advanceTimersByTime(SETTLE.sampleMs * 12);
    // lean (start, not notified), fast, lean (notified before onChange), fast, lean (notified again)
    expect(changes).toEqual(['lean:0', 'fast:0', 'lean:1', 'fast:1', 'lean:2']);
    stop();
  });

  it("compiles V8's notification with natives syntax for that compilation only, and it runs", () => {
    const flags: string[] = [];
    const v8 = jest.requireActual<typeof import('node:v8')>('node:v8');
    const notify = possibleGarbage((f) => {
      flags.push(f);
      v8.setFlagsFromString(f);
    });
    expect(flags).toEqual(['--allow-natives-syntax', '--no-allow-natives-syntax']);
    expect(typeof notify).toBe('function');
    // given on node's command line: left on (a preload compiling natives lazily still can)
    v8.setFlagsFromString('--allow-natives-syntax');
    const given: string[] = [];
    expect(typeof possibleGarbage((f) => given.push(f))).toBe('function');
    expect(given).toEqual([]);
    v8.setFlagsFromString('--no-allow-natives-syntax');
    expect(() => notify!()).not.toThrow();
    // natives syntax is off again
    const { runInThisContext } = jest.requireActual<typeof import('node:vm')>('node:vm');
    expect(() => void runInThisContext('(function () { %NotifyContextDisposed(); })')).toThrow(/Unexpected token '%'/);
  });
});

/**
 * The child: a server (createServer) and a client (createClient) in one process, memory settle on the real
 * `v8.setFlagsFromString` with a fast rule (20 ms samples, lean after 60 ms quiet). Bursts of publishes, listings,
 * modifies and unpublishes alternate with quiet pauses. At every switch a fresh function is forced through V8's
 * optimiser and its status recorded (TurboFan bit 64 of %GetOptimizationStatus).
 */
const CHILD = `
const v8 = require('node:v8');
const dist = ${JSON.stringify(join(__dirname, '..', '..', 'dist', 'lib'))};
const { startMemorySettle } = require(dist + '/cli/memory-settle.js');
const { createServer } = require(dist + '/server/index.js');
const { createClient } = require(dist + '/client/index.js');
let fresh = 0;
const turbofanned = () => {
  const f = new Function('x', 'return x * ' + ++fresh + ' + 1;');
  %PrepareFunctionForOptimization(f);
  f(1);
  f(2);
  %OptimizeFunctionOnNextCall(f);
  f(3);
  return (%GetOptimizationStatus(f) & 64) !== 0;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const main = async () => {
  const before = turbofanned();
  const switches = [];
  const stop = startMemorySettle({
    setFlags: (f) => v8.setFlagsFromString(f),
    onChange: (to) => switches.push([to, turbofanned()]),
    rule: { sampleMs: 20, quietMs: 60, quietBelow: 0.02, busyAbove: 0.1 },
  });
  const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  const client = createClient({ addresses: [server.domains[0].addresses[0]] });
  let errors = 0;
  const t0 = Date.now();
  for (let round = 0; Date.now() - t0 < 6000 && (round < 10 || switches.length < 12); round++) {
    const busyUntil = Date.now() + 60;
    const all = [];
    for (let i = 0; Date.now() < busyUntil; i++) {
      const s = await client.publish({ name: 'svc-' + round + '-' + i, round, color: ['green', 'blue'] });
      all.push(s);
      if (i % 8 === 0) await s.modify({ name: 'svc-' + round + '-' + i, round, color: 'red' });
    }
    const listed = await client.listServices('(round=' + round + ')');
    if (listed.length !== all.length) errors++;
    const red = await client.listServices('(&(round=' + round + ')(color=red))');
    if (red.length !== Math.ceil(all.length / 8)) errors++;
    for (const s of all) await s.unpublish();
    if ((await client.listServices('(round=' + round + ')')).length !== 0) errors++;
    await sleep(150);
  }
  stop();
  await client.close();
  await server.close();
  const after = turbofanned();
  process.stdout.write(JSON.stringify({ before, after, switches, errors }) + '\\n');
};
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

describe('the runtime flag switch, in a process of its own', () => {
  it('takes effect both ways, and a server switched dozens of times while serving answers correctly', async () => {
    const dir = tempDir();
    try {
      const file = dir.file('settle-child.js', CHILD);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--allow-natives-syntax', file], { timeout: 60_000 }, (e, stdout, stderr) =>
          e === null ? resolve(stdout) : reject(new Error(`${e.message}\n${stderr}`)),
        ),
      );
      const r = JSON.parse(out.trim()) as {
        before: boolean;
        after: boolean;
        switches: Array<['lean' | 'fast', boolean]>;
        errors: number;
      };
      expect(r.errors).toBe(0);
      expect(r.switches.length).toBeGreaterThanOrEqual(12);
      // alternating, starting lean; TurboFan off exactly while lean
      r.switches.forEach(([to, tf], i) =>
        expect([i, to, tf]).toEqual([i, i % 2 === 0 ? 'lean' : 'fast', to === 'fast']),
      );
      expect(r.before).toBe(true);
      expect(r.after).toBe(true);
    } finally {
      dir.cleanup();
    }
  }, 90_000);
});

/**
 * V8 drops the bytecode of a function left unused (bytecode flushing: more eager while lean) and compiles it again at
 * its next call: natives syntax must be on then too. The daemon was killed by "Unexpected token '%'" at its next
 * switch to lean, ~20 s after a 100,000-service burst (bench `disconnect-100k`). Here flushing is forced at every GC.
 */
const FLUSH_CHILD = `
const v8 = require('node:v8');
const { runInThisContext } = require('node:vm');
const { possibleGarbage } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'lib', 'cli', 'memory-settle.js'))});
const notify = possibleGarbage((f) => v8.setFlagsFromString(f));
const calls = [];
for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 4; j++) gc();
  try { notify(); calls.push('ok'); } catch (e) { calls.push(String(e.message)); }
}
let nativesOff = false;
try { runInThisContext('(function () { %NotifyContextDisposed(); })'); } catch { nativesOff = true; }
process.stdout.write(JSON.stringify({ calls, nativesOff }) + '\\n');
`;

describe('the garbage notification, when V8 flushes its bytecode', () => {
  it('is compiled again with natives syntax at its next call, and natives syntax is off after', async () => {
    const dir = tempDir();
    try {
      const file = dir.file('flush-child.js', FLUSH_CHILD);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--expose-gc', '--flush-bytecode', '--stress-flush-code', file],
          { timeout: 30_000 },
          (e, stdout, stderr) => (e === null ? resolve(stdout) : reject(new Error(`${e.message}\n${stderr}`))),
        ),
      );
      expect(JSON.parse(out.trim())).toEqual({ calls: ['ok', 'ok', 'ok'], nativesOff: true });
    } finally {
      dir.cleanup();
    }
  }, 40_000);
});

/** A preload that prints the young generation's size (V8's new space) as one line on stdout when sent SIGUSR2. */
const NEW_SPACE_PROBE = `process.on('SIGUSR2', () => process.stdout.write(String(
  require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size) + '\\n'));
`;

describe('bin/rxpafd.js: the young generation during startup', () => {
  const newSpaceOf = async (nodeArgs: readonly string[]): Promise<number> => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      [...nodeArgs, '-r', dir.file('probe.js', NEW_SPACE_PROBE), RXPAFD, '-n', 'tcp:127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => / INFO core listening /.test(err), 10000, `rxpafd listening (stderr: ${err})`);
      child.kill('SIGUSR2');
      await waitFor(() => out.includes('\n'), 5000, 'the probe output');
      return Number(out.split('\n')[0]);
    } finally {
      child.kill('SIGTERM');
      await exited;
      dir.cleanup();
    }
  };

  it('is not grown while the daemon starts (two 1 MB semi-spaces), unless node is told otherwise', async () => {
    expect(await newSpaceOf([])).toBeLessThanOrEqual(2.2e6);
    // control: with the growth factor given on node's command line bin/ leaves it alone and startup doubles it
    expect(await newSpaceOf(['--semi-space-growth-factor=2'])).toBeGreaterThan(2.2e6);
  }, 30_000);
});

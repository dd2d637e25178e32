/**
 * What an idle rxpafd has loaded (issue 12, idle RSS; bench/README.md "Idle RSS"): a daemon serving tcp: alone, with
 * console logging and no configuration file, carries neither the YAML parser, nor all of rxjs, nor node:tls, the
 * file streams, DNS, the hook runner, the replay tool or the HTTP side, nor io-ts and fp-ts (the codec's general path,
 * loaded in the background from the first message, at once by a message the fast path gives up on). Each of those is loaded on first use; the control cases show
 * the probe sees them when they are used.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { helloMsg, msg, parseListening, RawTcp, RXPAFD, sleep, tempDir, waitFor } from '../helpers/daemon';

type Dir = ReturnType<typeof tempDir>;

/** A preload that prints the loaded files and Node builtins as one JSON line on stdout when sent SIGUSR2. */
const PROBE = `process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({
  files: [...new Set(Object.values(require.cache).map((m) => m.filename))],
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
}) + '\\n'));
`;

interface Loaded {
  readonly files: readonly string[];
  readonly builtins: readonly string[];
}

/**
 * Start rxpafd with the probe, wait until it is listening, run `use` (given the first address's port), and return
 * what it has loaded.
 */
const loadedBy = async (dir: Dir, args: readonly string[], use?: (port: number) => Promise<void>): Promise<Loaded> => {
  const probe = join(dir.path, 'probe.js');
  writeFileSync(probe, PROBE);
  const child = spawn(process.execPath, ['-r', probe, RXPAFD, '-n', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise((resolve) => child.on('close', resolve));
  try {
    await waitFor(() => / INFO core listening /.test(err), 10000, `rxpafd listening (stderr: ${err})`);
    if (use !== undefined) await use(Number(/:(\d+)$/.exec(parseListening(err)[0]!.addresses[0]!)![1]));
    child.kill('SIGUSR2');
    await waitFor(() => out.includes('\n'), 5000, 'the probe output');
    return JSON.parse(out.split('\n')[0]!) as Loaded;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
};

const pkg = (files: readonly string[], name: string): string[] =>
  files.filter((f) => f.includes(`/node_modules/${name}/`));

describe('rxpafd loads only what an idle daemon needs', () => {
  let dir: Dir;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it('tcp: with console logging: no yaml, no rxjs index, no tls, file streams, dns, hook, replay or http', async () => {
    const { files, builtins } = await loadedBy(dir, ['tcp:127.0.0.1:0']);
    expect(pkg(files, 'yaml')).toEqual([]);
    expect(pkg(files, 'prom-client')).toEqual([]);
    // immutable's minified build only (bin/rxpafd.js: its full build's source is a 424 KB two-byte string)
    expect(pkg(files, 'immutable').map((f) => f.replace(/.*\/node_modules\//, ''))).toEqual([
      'immutable/dist/immutable.min.js',
    ]);
    // rxjs module by module (lib/server/rx.ts), never its index of every operator
    expect(pkg(files, 'rxjs').length).toBeGreaterThan(0);
    expect(files.filter((f) => /\/rxjs\/dist\/cjs\/(index|operators\/index)\.js$/.test(f))).toEqual([]);
    expect(pkg(files, 'rxjs').length).toBeLessThan(100);
    expect(files.filter((f) => /\/dist\/lib\/(replay|http)\/|\/server\/hook\.js$/.test(f))).toEqual([]);
    for (const b of ['tls', 'crypto', 'internal/fs/streams', 'internal/fs/promises', 'dns/promises', 'readline'])
      expect(builtins).not.toContain(b);
  });

  it('no io-ts nor fp-ts while idle; the first message loads them in the background, a malformed one at once', async () => {
    const idle = await loadedBy(dir, ['tcp:127.0.0.1:0']);
    expect(pkg(idle.files, 'io-ts')).toEqual([]);
    expect(pkg(idle.files, 'fp-ts')).toEqual([]);
    const client = async (port: number, bad: boolean): Promise<void> => {
      const c = await RawTcp.open(port);
      try {
        c.sendFrame(helloMsg(7, 2, 3, 1));
        if (bad) {
          // at once, before the background load: a float ta-id, which the fast path gives up on and the general
          // path (io-ts) refuses; the server closes the connection (§3.5)
          c.sendFrame('{"ta-cmd":"ping","ta-id":3.0,"msg-type":"request"}');
          await c.waitClose();
          return;
        }
        expect((await c.next())['msg-type']).toBe('complete');
        c.sendFrame(msg('ping', 2, 'request'));
        expect((await c.next())['msg-type']).toBe('complete');
        await sleep(2000); // the background load: 1 s after the first message, one module per turn
      } finally {
        c.destroy();
      }
    };
    for (const bad of [false, true]) {
      const { files } = await loadedBy(dir, ['tcp:127.0.0.1:0'], (port) => client(port, bad));
      expect(pkg(files, 'io-ts').length).toBeGreaterThan(0);
      expect(pkg(files, 'fp-ts').length).toBeGreaterThan(0);
      expect(files.filter((f) => f.endsWith('/dist/lib/codec/decode.js')).length).toBe(1);
    }
  });

  it('control: a configuration file loads yaml, a DNS name loads dns (the probe sees what is used)', async () => {
    const cfg = dir.file('d.yaml', 'domains:\n  - addrs: ["tcp:localhost:0"]\n');
    const { files, builtins } = await loadedBy(dir, ['-f', cfg]);
    expect(pkg(files, 'yaml').length).toBeGreaterThan(0);
    expect(builtins).toContain('dns/promises');
  });
});

/**
 * A preload that makes a function hot while the daemon starts (TurboFan off, as bin/rxpafd.js has it then: the hot
 * function collects profiler ticks but is not optimised), then calls it lightly every 20 ms once the daemon listens
 * (far under memory settle's busy threshold), and on SIGUSR2 prints whether V8 optimised it (TurboFan bit 64 of
 * %GetOptimizationStatus).
 */
const HOT = `const v8 = require('node:v8');
v8.setFlagsFromString('--no-turbofan');
const hot = (n) => { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s; };
for (let i = 0; i < 2000; i++) hot(1000);
setInterval(() => hot(1000), 20).unref();
process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({ turbofan: (%GetOptimizationStatus(hot) & 64) !== 0 }) + '\\n'));
`;

describe('rxpafd runs no TurboFan job while idle after startup', () => {
  let dir: Dir;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  /** Start rxpafd with the HOT preload, wait `ms` after it listens, and return whether the hot function got optimised. */
  const optimisedAfter = async (ms: number, extra: readonly string[] = []): Promise<boolean> => {
    const probe = join(dir.path, 'hot.js');
    writeFileSync(probe, HOT);
    const child = spawn(
      process.execPath,
      ['--allow-natives-syntax', ...extra, '-r', probe, RXPAFD, '-n', 'tcp:127.0.0.1:0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => / INFO core listening /.test(err), 10000, `rxpafd listening (stderr: ${err})`);
      await new Promise((r) => setTimeout(r, ms));
      child.kill('SIGUSR2');
      await waitFor(() => out.includes('\n'), 5000, 'the probe output');
      return (JSON.parse(out.split('\n')[0]!) as { turbofan: boolean }).turbofan;
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  };

  it('a function hot from startup is not optimised by light work after it (its first job would page in ~4 MB)', async () => {
    expect(await optimisedAfter(1500)).toBe(false);
  });

  it('control: without memory settle (--optimize-for-size given) TurboFan is back at the end of startup, and it is', async () => {
    expect(await optimisedAfter(1500, ['--optimize-for-size'])).toBe(true);
  });
});

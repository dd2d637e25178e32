/**
 * rxpafd's main function run in-process (§11): command line in, exit status out, signals emitted on `process`.
 * The spawned-binary specs (spec/http/daemon.spec.ts, spec/integration) cover the same paths end to end; these
 * pin down the startup-error and shutdown paths one by one, with the outputs each one must produce.
 */
import { readFileSync } from 'node:fs';
import { createServer as netServer, type Server } from 'node:net';

import { runDaemon, type DaemonExtensions } from '../../lib/cli/daemon-main';
import { main as entryMain } from '../../lib/cli/daemon-entry';
import { RawClient } from '../helpers/raw-client';
import { helloMsg, tempDir, transact, waitFor } from '../helpers/daemon';
import { get } from '../http/helpers';

type Dir = ReturnType<typeof tempDir>;
let dir: Dir;
/** Options for a daemon that logs neither to the console nor to syslog (its records go to `-o` files). */
const quiet = (): string[] => ['-f', dir.file('quiet.yaml', 'log: {console: false}\n'), '-n'];

/** Captures what the daemon writes on stdout and stderr. */
const captureOutput = (): { out: () => string; err: () => string; restore(): void } => {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => {
    out += String(t);
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => {
    err += String(t);
    return true;
  });
  return {
    out: () => out,
    err: () => err,
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
};

const readLog = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Waits for a line matching `re` in the log file and returns its first capture group. */
const awaitLog = async (path: string, re: RegExp): Promise<string> => {
  await waitFor(() => re.test(readLog(path)), 5000, `${re} in the log`);
  return re.exec(readLog(path))![1] ?? '';
};

const portBusy = (): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = netServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });

describe('runDaemon (rxpafd in-process)', () => {
  let io: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    dir = tempDir();
    io = captureOutput();
  });
  afterEach(() => {
    io.restore();
    dir.cleanup();
  });

  it('-v prints the version on stdout and exits 0 without binding anything', async () => {
    expect(await runDaemon(['-v'])).toBe(0);
    expect(io.out()).toMatch(/^rxpafd version: \S+ \(rxpaf\)\nMatches pafd version: 1\.1\.3\n/);
    expect(io.err()).toBe('');
  });

  it('a command line error is one line on stderr and exit 1', async () => {
    expect(await runDaemon(['-l', 'loud', 'tcp:127.0.0.1:0'])).toBe(1);
    expect(io.err().split('\n')).toHaveLength(2);
    expect(io.err()).toMatch(/loud/);
    expect(io.out()).toBe('');
  });

  it('a -f file that cannot be read is a startup error (exit 1)', async () => {
    expect(await runDaemon(['-f', dir.file('missing.yaml')])).toBe(1);
    expect(io.err()).toMatch(/missing\.yaml/);
  });

  it('`replay ...` runs the replay extension with the remaining arguments and exits with its status', async () => {
    const seen: string[][] = [];
    const ext: DaemonExtensions = {
      replay: (argv) => {
        seen.push([...argv]);
        return Promise.resolve(3);
      },
    };
    expect(await runDaemon(['replay', 'a.ndjson', '--stats'], ext)).toBe(3);
    expect(seen).toEqual([['a.ndjson', '--stats']]);
  });

  it('serves until SIGTERM, then closes the clients, logs the shutdown and exits 0', async () => {
    const log = dir.file('d.log');
    const status = runDaemon([...quiet(), '-o', log, 'tcp:127.0.0.1:0']);
    const addr = await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    const c = await RawClient.open(addr);
    const hello = await transact(c, 1, helloMsg(7, 2, 3, 1));
    expect(hello.own[0]).toMatchObject({ 'msg-type': 'complete' });
    process.emit('SIGTERM');
    expect(await status).toBe(0);
    await waitFor(() => c.closed, 3000, 'the client to see the close');
    expect(readLog(log)).toMatch(/INFO core shutting down/);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it.each(['SIGHUP', 'SIGINT'] as const)('%s stops the daemon in order too (exit 0)', async (sig) => {
    const log = dir.file('d.log');
    const status = runDaemon([...quiet(), '-o', log, 'tcp:127.0.0.1:0']);
    await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    process.emit(sig);
    expect(await status).toBe(0);
  });

  it('a log file that cannot be opened: the logging error on stderr, exit 1', async () => {
    expect(await runDaemon([...quiet(), '-o', `${dir.path}/no/such/dir/d.log`, 'tcp:127.0.0.1:0'])).toBe(1);
    expect(io.err()).toMatch(/^Error configuring logging: cannot open log file '.*d\.log': .*\.\n$/);
  });

  it('an address in use: one "rxpafd: ..." line, the recorder closed, exit 1', async () => {
    const busy = await portBusy();
    try {
      let closed = 0;
      const ext: DaemonExtensions = {
        recorder: () => ({ options: {}, close: () => Promise.resolve(void closed++) }),
      };
      expect(await runDaemon([...quiet(), `tcp:127.0.0.1:${busy.port}`], ext)).toBe(1);
      expect(io.err()).toMatch(new RegExp(`^rxpafd: .*${busy.port}.*\\n$`));
      expect(closed).toBe(1);
    } finally {
      busy.server.close();
    }
  });

  it('a recorder that cannot start is a startup error with its reason (exit 1)', async () => {
    const ext: DaemonExtensions = {
      recorder: () => Promise.reject(new Error('cannot open rec.ndjson\nsecond line')),
    };
    expect(await runDaemon([...quiet(), 'tcp:127.0.0.1:0'], ext)).toBe(1);
    expect(io.err()).toBe('rxpafd: cannot open rec.ndjson\n');
  });

  it('the -r hook gets the bound domains before serving; a failing hook stops the daemon with exit 1', async () => {
    const seen = dir.file('seen.json');
    const hook = dir.file(
      'hook.js',
      `exports.ok = (ds) => require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(ds.map((d) => d.addresses)));\n` +
        `exports.bad = () => { throw new Error('no servers for me'); };\n`,
    );
    const log = dir.file('d.log');
    const ok = runDaemon([...quiet(), '-o', log, '-r', `${hook}:ok`, 'tcp:127.0.0.1:0']);
    const addr = await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    await waitFor(() => readLog(seen) !== '', 5000, 'the hook');
    expect(JSON.parse(readLog(seen))).toEqual([[addr]]);
    process.emit('SIGTERM');
    expect(await ok).toBe(0);

    const log2 = dir.file('d2.log');
    expect(await runDaemon([...quiet(), '-o', log2, '-r', `${hook}:bad`, 'tcp:127.0.0.1:0'])).toBe(1);
    expect(io.err()).toMatch(/^rxpafd: Hook '.*hook\.js:bad' failed: no servers for me\n$/);
    expect(readLog(log2)).toMatch(/ERROR internal hook failed: Hook .* failed: no servers for me/);
  });

  it('with console logging on, a failing hook adds no second stderr line (the console record is the one)', async () => {
    const hook = dir.file('hook.js', `exports.bad = () => { throw new Error('nope'); };\n`);
    expect(await runDaemon(['-n', '-l', 'critical', '-r', `${hook}:bad`, 'tcp:127.0.0.1:0'])).toBe(1);
    expect(io.err()).toBe('');
  });

  it('a signal while the hook runs stops the daemon at once, without serving (exit 0)', async () => {
    const hook = dir.file('hook.js', `exports.hang = () => new Promise(() => undefined);\n`);
    const log = dir.file('d.log');
    const status = runDaemon([...quiet(), '-o', log, '-r', `${hook}:hang`, 'tcp:127.0.0.1:0']);
    const addr = await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    process.emit('SIGINT');
    expect(await status).toBe(0);
    await expect(RawClient.open(addr)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('--http serves health while the daemon runs and stops with it', async () => {
    const log = dir.file('d.log');
    const status = runDaemon([...quiet(), '-o', log, '--http', '0', 'tcp:127.0.0.1:0']);
    const url = await awaitLog(log, /http listening url=(\S+)/);
    await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    expect(await get(`${url}healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    let ready = await get(`${url}readyz`);
    for (let i = 0; i < 100 && ready.status !== 200; i++) ready = await get(`${url}readyz`);
    expect(ready.status).toBe(200);
    process.emit('SIGTERM');
    expect(await status).toBe(0);
    await expect(get(`${url}healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('an HTTP address in use: the sockets are released again, exit 1', async () => {
    const busy = await portBusy();
    const free = await portBusy();
    const freePort = free.port;
    await new Promise((r) => free.server.close(r));
    try {
      expect(await runDaemon([...quiet(), '--http', String(busy.port), `tcp:127.0.0.1:${freePort}`])).toBe(1);
      expect(io.err()).toMatch(new RegExp(`^rxpafd: .*${busy.port}.*\\n$`));
      // the protocol socket was closed again: the port can be bound by someone else
      const again = netServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(freePort, '127.0.0.1', resolve);
      });
      again.close();
    } finally {
      busy.server.close();
    }
  });

  it('an uncaught exception while serving is logged as critical and exits 1', async () => {
    const log = dir.file('d.log');
    const status = runDaemon([...quiet(), '-o', log, 'tcp:127.0.0.1:0']);
    await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    // only the daemon's listener may see this synthetic exception (jest's own would fail the test)
    const others = process.listeners('uncaughtException');
    const daemonListener = others[others.length - 1]!;
    daemonListener(new Error('boom\nstack'), 'uncaughtException');
    expect(await status).toBe(1);
    expect(readLog(log)).toMatch(/CRITICAL internal Terminating due to exception\. error=boom/);
    expect(process.listeners('uncaughtException')).not.toContain(daemonListener);
  });
});

describe('rxpafd entry point (bin/rxpafd.js)', () => {
  let io: ReturnType<typeof captureOutput>;
  const argv = process.argv;
  beforeEach(() => {
    dir = tempDir();
    io = captureOutput();
  });
  afterEach(() => {
    process.argv = argv;
    io.restore();
    dir.cleanup();
  });

  /** Runs `main()` with `args` and resolves with the status it exits with. */
  const runMain = (args: string[]): Promise<number> =>
    new Promise((resolve) => {
      process.argv = ['node', 'rxpafd', ...args];
      const exit = jest.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
        exit.mockRestore();
        resolve(Number(code));
        return undefined as never;
      });
      entryMain();
    });

  it('--record writes the event log, and `rxpafd replay <file>` replays it', async () => {
    const rec = dir.file('events.ndjson');
    const log = dir.file('d.log');
    const status = runMain([...quiet(), '-o', log, '--record', rec, '--record-outbound', 'tcp:127.0.0.1:0']);
    const addr = await awaitLog(log, /listening domain=0 addresses=(\S+)/);
    const c = await RawClient.open(addr);
    expect((await transact(c, 1, helloMsg(7, 2, 3, 1))).own[0]).toMatchObject({ 'msg-type': 'complete' });
    process.emit('SIGTERM');
    expect(await status).toBe(0);
    const lines = readLog(rec)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(2);
    expect(readLog(rec)).toContain('hello');

    expect(await runMain(['replay', rec])).toBe(0);
    expect(await runMain(['replay', dir.file('nothing-here.ndjson')])).not.toBe(0);
  });

  it('exits 1 when the daemon cannot start', async () => {
    expect(await runMain([...quiet(), '-o', `${dir.path}/no/dir/d.log`, 'tcp:127.0.0.1:0'])).toBe(1);
    expect(io.err()).toMatch(/cannot open log file/);
  });
});

/**
 * The rxpafd binary (spec §11, §12): command line, configuration file, startup errors, signals and exit codes, the
 * `-r` hook, syslog fallback, the client limit, multi-domain/multi-socket configurations and debug logging.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as netServer, type Server } from 'node:net';
import { join } from 'node:path';

import {
  Daemon,
  helloMsg,
  killAllDaemons,
  list,
  msg,
  ping,
  publish,
  randomUx,
  runRxpafd,
  subscribe,
  tempDir,
  transact,
  waitFor,
} from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';
import { runPython } from '../transport/helpers';

jest.setTimeout(20000);

/** Receives syslog datagrams on a Unix datagram socket and prints them, until the daemon's last record. */
const PY_SYSLOG_RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
while True:
    d = s.recv(65536).decode()
    print(d, flush=True)
    if 'shutting down' in d:
        break
`;

// the version rxpafd -v prints is the package's own
const pkgVersion = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string })
  .version;

/** The non-empty lines of a text. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

describe('rxpafd command line', () => {
  afterEach(killAllDaemons);

  it('-v prints the versions and exits 0', async () => {
    const r = await runRxpafd(['-v']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      `rxpafd version: ${pkgVersion} (rxpaf)`,
      'Matches pafd version: 1.1.3',
      'Protocol version(s): 2 3',
    ]);
    expect(r.stderr).toBe('');
  });

  it('-h prints the usage and exits 0', async () => {
    const r = await runRxpafd(['-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rxpafd \[-s\]/);
    for (const opt of ['-m <addr0>+...+<addrN>', '-f <conf-file>', '-c <max-clients>', '-r ', '-v', '-h']) {
      expect(r.stdout).toContain(opt);
    }
    expect(r.stderr).toBe('');
  });

  it.each([
    ['an unknown option', ['-q'], /^Error parsning command line: .*-q.*\.$/],
    ['an option without its argument', ['-c'], /^Error parsning command line: .*-c.*\.$/],
    ['a non-integer client limit', ['-c', 'many', 'ux:x'], /^Client limit must be an integer\.$/],
    ['an unknown log level', ['-l', 'verbose', 'ux:x'], /^Invalid log level 'verbose'/],
    ['no domain', ['-s', '-n'], /^No domains configured\.$/],
    ['a btcp address', ['-n', 'btcp:127.0.0.1:0'], /^rxpafd: btcp: byte-stream transports are not supported/],
    ['a btls address', ['-n', '-m', 'ux:x+btls:127.0.0.1:0'], /^rxpafd: btls: byte-stream transports are not/],
    ['an unknown transport', ['-n', 'foo:bar'], /^rxpafd: .*unknown transport/],
    ['an address with a space', ['-n', 'tcp:127.0.0.1: 4711'], /^rxpafd: /],
    ['missing TLS credentials', ['-n', 'tls:127.0.0.1:0'], /^rxpafd: .*tls.*cert/i],
    [
      'an explicit missing syslog socket',
      ['-u', '/nonexistent/rxpaf-log', 'tcp:127.0.0.1:0'],
      /^Error configuring logging: /,
    ],
  ])('exits 1 with one line on stderr for %s', async (_what, args, line) => {
    const r = await runRxpafd(args, { env: { XCM_TLS_CERT: '/nonexistent/rxpaf-certs' } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(line);
    expect(r.stdout).toBe('');
  });

  describe('configuration file errors', () => {
    let dir: ReturnType<typeof tempDir>;
    beforeAll(() => (dir = tempDir()));
    afterAll(() => dir.cleanup());
    const d = (body: string): string => `domains:\n  - ${body}\n`;
    it.each([
      ['missing sockets', d('name: x'), "required parameter 'domains.sockets' is missing"],
      [
        'sockets and addrs',
        d('{sockets: [ux:a], addrs: [ux:b]}'),
        "parameter 'domains.sockets' was used in combination with one of its aliases",
      ],
      [
        'idle.max and max_idle_time',
        d('{sockets: [ux:a], idle: {max: 9}, max_idle_time: 9}'),
        "parameter 'domains.idle.max' was used in combination with one of its aliases",
      ],
      [
        'tls on a tcp address',
        d('sockets: [{addr: "tcp:127.0.0.1:0", tls: {cert: /x.pem}}]'),
        "invalid domains.sockets.addr: 'tcp' (valid values: tls utls)",
      ],
      ['a socket entry that is a number', d('sockets: [17]'), 'invalid domain address: 17'],
      [
        'protocol_version.max 4',
        d('{sockets: [ux:a], protocol_version: {max: 4}}'),
        'invalid domains.protocol_version.max: 4 (highest supported protocol version is 3)',
      ],
      [
        'protocol_version.min 1',
        d('{sockets: [ux:a], protocol_version: {min: 1}}'),
        'invalid domains.protocol_version.min: 1 (lowest supported protocol version is 2)',
      ],
      [
        'protocol_version min > max',
        d('{sockets: [ux:a], protocol_version: {min: 3, max: 2}}'),
        'invalid domains.protocol_version: min (3) is greater than max (2)',
      ],
      ['idle.min 0', d('{sockets: [ux:a], idle: {min: 0}}'), 'invalid domains.idle.min: 0 (must be >= 1)'],
      ['a negative resource limit', 'resources: {total: {clients: -1}}\n', 'invalid resources.total.clients: -1'],
      ['an unknown resource type', 'resources: {user: {connections: 1}}\n', "invalid resource type: 'connections'"],
      ['a wrongly typed log option', 'log: {console: 1}\n', "parameter 'log.console' has invalid value type"],
      ['a root that is a list', '- a\n', 'configuration root has invalid value type'],
      ['a YAML syntax error', 'domains: [ux:a\n', ''],
    ])('%s: exits 1 with one line', async (what, text, fragment) => {
      const file = dir.file(`${what.replace(/\W+/g, '-')}.conf`, text);
      const r = await runRxpafd(['-n', '-f', file]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/^Error reading configuration: /);
      expect(r.stderr).toContain(fragment);
    });

    it('an unreadable file: exits 1 naming the file', async () => {
      const r = await runRxpafd(['-n', '-f', dir.file('does-not-exist.conf')]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/^Error reading configuration: .*does-not-exist\.conf/);
    });
  });
});

describe('rxpafd startup failures on sockets', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => (dir = tempDir()));
  let blocker: Server | undefined;
  afterEach(async () => {
    await killAllDaemons();
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });
  afterAll(() => dir.cleanup());

  it('exits 1 when a tcp address is in use, without leaving the sockets bound before it', async () => {
    blocker = netServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const uxf = dir.file('before-tcp.sock');
    const r = await runRxpafd(['-n', '-m', `uxf:${uxf}+tcp:127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/EADDRINUSE|in use/);
    expect(existsSync(uxf)).toBe(false);
  });

  it('exits 1 when a ux name is in use by another daemon', async () => {
    const ux = randomUx();
    const first = await Daemon.start([ux]);
    const r = await runRxpafd(['-n', ux]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect((await first.stop()).code).toBe(0);
  });

  it('exits 1 on a stale uxf file (a regular file in the way)', async () => {
    const path = dir.file('stale.sock', '');
    const r = await runRxpafd(['-n', `uxf:${path}`]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(path);
    expect(existsSync(path)).toBe(true);
  });
});

describe('rxpafd signals', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => (dir = tempDir()));
  afterEach(killAllDaemons);
  afterAll(() => dir.cleanup());

  it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)(
    '%s: orderly shutdown, clients see an orderly close, uxf file unlinked, exit 0',
    async (signal) => {
      const uxf = dir.file(`${signal}.sock`);
      const daemon = await Daemon.start(['-m', `tcp:127.0.0.1:0+uxf:${uxf}`]);
      expect(statSync(uxf).isSocket()).toBe(true);
      const tcp = await RawClient.open(daemon.addr(0, 0));
      const unix = await RawClient.open(daemon.addr(0, 1));
      expect((await tcp.hello(1))['msg-type']).toBe('complete');
      expect((await unix.hello(2))['msg-type']).toBe('complete');
      const exit = await daemon.stop(signal);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(existsSync(uxf)).toBe(false);
      await tcp.waitClosed();
      await unix.waitClosed();
      expect(tcp.closeKind).toBe('eof');
      expect(unix.closeKind).toBe('eof');
    },
  );

  it('SIGKILL leaves the uxf file behind, and the stale file then prevents a restart', async () => {
    const uxf = dir.file('killed.sock');
    const daemon = await Daemon.start([`uxf:${uxf}`]);
    const exit = await daemon.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    expect(statSync(uxf).isSocket()).toBe(true);
    const again = await runRxpafd(['-n', `uxf:${uxf}`]);
    expect(again.code).toBe(1);
    expect(lines(again.stderr)).toHaveLength(1);
  });
});

describe('rxpafd -r hook', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    await killAllDaemons();
    dir.cleanup();
  });

  it('calls a JavaScript hook once with the bound domains, and serves only after it returned', async () => {
    dir.file(
      'hook.js',
      [
        'exports.run = (domains) => {',
        "  require('fs').writeFileSync(__dirname + '/hook.tmp', JSON.stringify(domains.map((d) => d.addresses)));",
        '  return new Promise((resolve) => setTimeout(resolve, 1000));',
        '};',
        '',
      ].join('\n'),
    );
    const daemon = await Daemon.start(['-r', 'hook.js:run', '-m', `tcp:127.0.0.1:0+${randomUx()}`, randomUx()], {
      cwd: dir.path,
      domains: 2,
    });
    const hookFile = dir.file('hook.tmp');
    await waitFor(() => existsSync(hookFile), 5000, 'hook.tmp');
    const hookRan = performance.now();
    // Every socket was bound when the hook ran.
    expect(JSON.parse(readFileSync(hookFile, 'utf8'))).toEqual(daemon.domains.map((d) => d.addresses));
    // A client connecting while the hook runs is answered only once it has returned.
    const c = await RawClient.open(daemon.addr(0, 0));
    expect(await c.hello(1)).toMatchObject({ 'msg-type': 'complete' });
    expect(performance.now() - hookRan).toBeGreaterThan(700);
    c.close();
    expect((await daemon.stop()).code).toBe(0);
  });

  it('runs a Python module.function hook found through PYTHONPATH (upstream test_daemon_hook)', async () => {
    dir.file('hook.py', 'def run(servers):\n    open("hook.tmp", "w+").write("%d" % len(servers))\n');
    const old = process.env.PYTHONPATH;
    const daemon = await Daemon.start(['-r', 'hook.run', randomUx()], {
      cwd: dir.path,
      env: { PYTHONPATH: old === undefined ? dir.path : `${dir.path}:${old}` },
    });
    const hookFile = dir.file('hook.tmp');
    await waitFor(() => existsSync(hookFile) && readFileSync(hookFile, 'utf8') !== '', 8000, 'hook.tmp');
    expect((await daemon.stop()).code).toBe(0);
    expect(readFileSync(hookFile, 'utf8')).toBe('1');
  });

  it.each([
    ['a Python module that does not exist', 'rxpaf_no_such_module_4f2a.run', /ModuleNotFoundError/],
    ['a hook without a dot', 'nodot', /not of the form <module>\.<function>/],
    ['a JavaScript hook that throws', 'bad.js:run', /boom/],
  ])('exits 1 on %s, reporting it once', async (_what, hook, why) => {
    dir.file('bad.js', `exports.run = () => { throw new Error('boom'); };\n`);
    const uxf = dir.file('hook.sock');
    const r = await runRxpafd(['-n', '-r', hook, `uxf:${uxf}`], { cwd: dir.path });
    expect(r.code).toBe(1);
    const reports = lines(r.stderr).filter((l) => l.includes(`Hook '${hook}'`));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(why);
    expect(existsSync(uxf)).toBe(false);
  });

  it('with console logging off, a hook failure is exactly one line on stderr', async () => {
    const conf = dir.file('quiet.conf', 'log: {console: no, syslog: no}\n');
    const r = await runRxpafd(['-f', conf, '-r', 'rxpaf_no_such_module_4f2a.run', 'tcp:127.0.0.1:0'], {
      cwd: dir.path,
    });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^rxpafd: Hook 'rxpaf_no_such_module_4f2a\.run' failed: /)]);
  });

  it('a signal while the hook runs stops the daemon at once: exit 0, uxf file unlinked', async () => {
    dir.file('forever.js', 'exports.run = () => new Promise(() => undefined);\n');
    const uxf = dir.file('forever.sock');
    const daemon = await Daemon.start(['-r', 'forever.js:run', `uxf:${uxf}`], { cwd: dir.path });
    const c = await RawClient.open(`uxf:${uxf}`);
    c.send(helloMsg(1));
    await expect(c.next(300)).rejects.toThrow(/timeout/); // not served while the hook runs
    const exit = await daemon.stop('SIGTERM', 3000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(existsSync(uxf)).toBe(false);
    await c.waitClosed();
  });
});

describe('rxpafd logging', () => {
  afterEach(killAllDaemons);

  it('a missing /dev/log is not fatal (no -n, default logging)', async () => {
    const daemon = await Daemon.start(['-y', 'local0', 'tcp:127.0.0.1:0'], { syslog: true });
    const c = await RawClient.open(daemon.addr());
    expect((await c.hello(1))['msg-type']).toBe('complete');
    c.close();
    expect((await daemon.stop()).code).toBe(0);
  });

  it('-u <socket> sends syslog datagrams there (facility from -y)', async () => {
    const dir = tempDir();
    try {
      const path = dir.file('log.sock');
      const receiver = runPython(PY_SYSLOG_RECEIVER, [path]);
      await waitFor(() => existsSync(path), 5000, 'the syslog socket');
      const daemon = await Daemon.start(['-u', path, '-y', 'local1', 'tcp:127.0.0.1:0'], { syslog: true });
      expect((await daemon.stop()).code).toBe(0);
      const datagrams = lines(await receiver.done);
      // local1 = 17, info = 6: <17 * 8 + 6>
      expect(datagrams[0]).toMatch(new RegExp(`^<142>rxpafd\\[${daemon.pid}\\]: \\[core\\] listening `));
      expect(datagrams[datagrams.length - 1]).toMatch(/shutting down/);
    } finally {
      dir.cleanup();
    }
  });

  it('-l debug logs every protocol message in and out; the default level does not', async () => {
    const run = async (extra: string[]): Promise<string> => {
      const daemon = await Daemon.start([...extra, 'tcp:127.0.0.1:0']);
      const c = await RawClient.open(daemon.addr());
      await c.hello(77);
      await ping(c, 5);
      c.close();
      const exit = await daemon.stop();
      expect(exit.code).toBe(0);
      return exit.stderr;
    };
    const debug = await run(['-l', 'debug']);
    expect(debug).toMatch(/DEBUG protocol in .*"client-id\\?":77/);
    expect(debug).toMatch(/DEBUG protocol out .*"ta-cmd\\?":\\?"hello\\?".*complete/);
    expect(debug).toMatch(/DEBUG protocol in .*"ta-cmd\\?":\\?"ping\\?"/);
    expect(debug).toMatch(/DEBUG protocol out .*"ta-cmd\\?":\\?"ping\\?",\\?"ta-id\\?":5,.*complete/);
    const info = await run([]);
    expect(info).not.toMatch(/DEBUG/);
    expect(info).toMatch(/INFO core listening/);
  });
});

describe('rxpafd -c (total client limit)', () => {
  afterEach(killAllDaemons);

  it('-c 2: a third concurrent client never gets a hello complete; after one leaves, a new one does', async () => {
    const daemon = await Daemon.start(['-c', '2', 'tcp:127.0.0.1:0']);
    const a = await RawClient.open(daemon.addr());
    const b = await RawClient.open(daemon.addr());
    expect((await a.hello(1))['msg-type']).toBe('complete');
    expect((await b.hello(2))['msg-type']).toBe('complete');
    const third = await RawClient.open(daemon.addr());
    try {
      third.send(helloMsg(3));
    } catch {
      // already closed by the server: an accepted answer too
    }
    // Accepted answers (§10.3): no answer, a close, or a fail — never a complete.
    const answer = await third.next(750).catch(() => undefined);
    expect(answer?.['msg-type']).not.toBe('complete');
    third.close();
    expect((await list(a, 'clients', 9)).map((m) => m['client-id'])).toEqual([1n, 2n]);
    b.close();
    let done = false;
    for (let i = 0; i < 40 && !done; i++) {
      const c = await RawClient.open(daemon.addr());
      const m = await c.hello(4).catch(() => undefined);
      done = m?.['msg-type'] === 'complete';
      c.close();
      if (!done) await new Promise((r) => setTimeout(r, 50));
    }
    expect(done).toBe(true);
    a.close();
  });
});

describe('rxpafd domains from the command line', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => (dir = tempDir()));
  afterEach(killAllDaemons);
  afterAll(() => dir.cleanup());

  it('positional domains come first, then -m ones; command-line domains replace those of the file', async () => {
    const [fileUx, ux1, ux2, ux3] = [randomUx(), randomUx(), randomUx(), randomUx()];
    const conf = dir.file('replaced.conf', `domains:\n  - name: from-file\n    sockets: [${fileUx}]\n`);
    const daemon = await Daemon.start(['-f', conf, '-m', `${ux2}+${ux3}`, ux1], { domains: 2 });
    expect(daemon.domains).toEqual([
      { label: '0', addresses: [ux1] },
      { label: '1', addresses: [ux2, ux3] },
    ]);
    await expect(RawClient.open(fileUx, { timeoutMs: 500 })).rejects.toThrow();
    for (const a of [ux1, ux2, ux3]) {
      const c = await RawClient.open(a);
      expect(await c.hello(1)).toMatchObject({ 'msg-type': 'complete' });
      c.close();
    }
    expect((await daemon.stop()).code).toBe(0);
  });

  it('-c limits the clients of each domain separately', async () => {
    const daemon = await Daemon.start(['-c', '1', 'tcp:127.0.0.1:0', 'tcp:127.0.0.1:0'], { domains: 2 });
    const a = await RawClient.open(daemon.addr(0));
    const b = await RawClient.open(daemon.addr(1));
    expect(await a.hello(1)).toMatchObject({ 'msg-type': 'complete' });
    expect(await b.hello(1)).toMatchObject({ 'msg-type': 'complete' });
    const extra = await RawClient.open(daemon.addr(1));
    const answer = await extra.hello(2).catch(() => undefined);
    expect(answer?.['msg-type']).not.toBe('complete');
    [a, b, extra].forEach((c) => c.close());
    expect((await daemon.stop()).code).toBe(0);
  });
});

describe('rxpafd with a configuration file: several domains, several sockets', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => (dir = tempDir()));
  afterEach(killAllDaemons);
  afterAll(() => dir.cleanup());

  it('binds every socket in configuration order; domains are independent', async () => {
    const ux0 = randomUx();
    const ux1 = randomUx();
    const uxf0 = dir.file('alpha.sock');
    const conf = dir.file(
      'two-domains.conf',
      [
        'domains:',
        '  - name: alpha',
        '    sockets:',
        '      - tcp:127.0.0.1:0',
        `      - ${ux0}`,
        `      - addr: uxf:${uxf0}`,
        '  - name: beta',
        '    protocol_version: {min: 3, max: 3}',
        '    idle: {min: 1, max: 2}',
        '    addrs:',
        `      - ${ux1}`,
        '      - tcp:127.0.0.1:0',
        'log:',
        '  syslog: no',
        '',
      ].join('\n'),
    );
    const daemon = await Daemon.start(['-f', conf], { domains: 2 });
    expect(daemon.domains.map((d) => d.label)).toEqual(['alpha', 'beta']);
    expect(daemon.domains[0]!.addresses).toEqual([expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/), ux0, `uxf:${uxf0}`]);
    expect(daemon.domains[1]!.addresses).toEqual([ux1, expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/)]);

    const open = async (d: number, i: number, id: number): Promise<RawClient> => {
      const c = await RawClient.open(daemon.addr(d, i));
      const h = await c.hello(id);
      expect(h).toMatchObject({ 'msg-type': 'complete', 'protocol-version': 3n });
      return c;
    };
    // Every socket answers.
    const alpha = [await open(0, 0, 10), await open(0, 1, 11), await open(0, 2, 12)];
    const beta = [await open(1, 0, 20), await open(1, 1, 21)];
    for (const c of [...alpha, ...beta]) expect(await ping(c, 1)).toBeLessThan(2000);

    // beta only speaks v3: a 2..2 hello fails.
    const v2 = await RawClient.open(daemon.addr(1, 1));
    expect(await v2.hello(29, 2, 2)).toMatchObject({
      'msg-type': 'fail',
      'fail-reason': 'unsupported-protocol-version',
    });
    v2.close();

    // A subscriber in beta does not see a service published in alpha; alpha's sockets share one directory.
    expect(await subscribe(beta[0]!, 2, 1)).toMatchObject({ 'msg-type': 'accept' });
    expect(await publish(alpha[0]!, 2, 4242, { name: ['only-in-alpha'] })).toMatchObject({ 'msg-type': 'complete' });
    const inAlpha = await list(alpha[2]!, 'services', 3);
    expect(inAlpha.map((m) => m['service-id'])).toEqual([4242n]);
    expect(await list(beta[1]!, 'services', 3)).toEqual([]);
    expect((await list(alpha[1]!, 'clients', 4)).map((m) => m['client-id'])).toEqual([10n, 11n, 12n]);
    expect((await list(beta[1]!, 'clients', 4)).map((m) => m['client-id'])).toEqual([20n, 21n]);
    const subs = await transact(beta[0]!, 5, msg('subscriptions', 5, 'request'));
    expect(subs.others).toEqual([]);
    expect(subs.own.filter((m) => m['msg-type'] === 'notify')).toEqual([
      expect.objectContaining({ 'subscription-id': 1n, 'client-id': 20n }),
    ]);

    // The same client id may be connected in both domains at once.
    const twin = await open(1, 1, 10);

    // beta's idle limit (max 2 s) closes a silent untracked v3 client; alpha's default (30 s) does not.
    const t0 = Date.now();
    await twin.waitClosed(6000);
    expect(twin.closeKind).toBe('eof');
    expect(Date.now() - t0).toBeGreaterThan(1200);
    expect(alpha[0]!.closed).toBe(false);
    expect(await ping(alpha[0]!, 5)).toBeLessThan(2000);

    for (const c of [...alpha, ...beta]) c.close();
    expect((await daemon.stop()).code).toBe(0);
    expect(existsSync(uxf0)).toBe(false);
  });
});

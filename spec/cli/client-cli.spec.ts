import { expect } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { createClient, type RxpafClient } from '../../lib/client';
import { runClientCli } from '../../lib/cli/client-cli';
import { Daemon, startDaemon } from '../client/helpers';

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('rxpafc', () => {
  let daemon: Daemon;
  let addr: string;
  let dir: string;
  const clients: RxpafClient[] = [];
  beforeAll(async () => {
    daemon = await startDaemon();
    addr = daemon.addr();
  });
  afterAll(() => daemon.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpafc-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  let live = '';
  const cli = async (
    argv: string[],
    extra: { stdin?: string; interrupted?: Promise<void>; terminal?: boolean; env?: Record<string, string> } = {},
  ): Promise<Run> => {
    let out = '';
    live = '';
    let err = '';
    const stdin = extra.stdin === undefined ? undefined : new PassThrough();
    stdin?.end(extra.stdin);
    const code = await runClientCli(argv, {
      stdout: { write: (s: string) => ((live += s), (out += s)) },
      stderr: { write: (s: string) => (err += s) },
      stdin,
      env: { PAF_DOMAINS: dir, ...extra.env },
      interrupted: extra.interrupted,
      terminal: extra.terminal,
    });
    return { code, out, err };
  };
  const publisher = async (props: Record<string, string | number>): Promise<bigint> => {
    const c = createClient({ addresses: [addr] });
    clients.push(c);
    const h = await c.publish(props, { ttl: 60 });
    return h.id;
  };

  it('lists services one-shot as an aligned table and as JSON lines', async () => {
    const id = await publisher({ name: 'foo', port: 4711 });
    await publisher({ name: 'bar' });
    const human = await cli([addr, 'services', '(name=foo)']);
    expect(human.code).toBe(0);
    const lines = human.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Service Id\s+Gen\s+TTL\s+Orphan Tmo\s+Client Id\s+Properties$/);
    expect(lines[1]).toContain(`0x${id.toString(16)}`);
    expect(lines[1]).toContain("{'name': ['foo'], 'port': [4711]}");
    // the generation (0) under its heading; not `indexOf('0 ')`: a random service id whose hex ends in 0 matched first
    const gen = lines[0]!.indexOf('Gen');
    expect(lines[1]!.slice(gen, gen + 2)).toBe('0 ');
    const json = await cli(['--json', addr, 'services', '(|(name=foo)(name=bar))']);
    const objs = json.out.trimEnd().split('\n');
    expect(objs).toHaveLength(2);
    // the public model (Service), ids exact
    expect(
      objs.some((l) => l.startsWith(`{"id":${id},"generation":0,"props":{"name":["foo"],"port":[4711]},"ttl":60,`)),
    ).toBe(true);
  });

  it('resolves a domain name through $PAF_DOMAINS, with -n and -a', async () => {
    writeFileSync(join(dir, 'dom'), `tcp:127.0.0.1:1\n${addr}\n`);
    expect((await cli(['-a', 'dom'])).out).toBe(`tcp:127.0.0.1:1\n${addr}\n`);
    expect((await cli(['-l'])).out).toBe('dom\n');
    const r = await cli(['-n', '1', '-i', 'abc', 'dom', 'id']);
    expect(r).toEqual({ code: 0, out: 'Client Id: 0xabc\n', err: '' });
  });

  it('exits 1 with a clear error when the server cannot be reached or a request fails', async () => {
    const down = await cli(['tcp:127.0.0.1:1', 'ping']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/Error communicating with Pathfinder server/);
    const bad = await cli([addr, 'unpublish', '1234']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/unpublish failed: non-existent-service-id/);
    const filter = await cli([addr, 'services', '(name=']);
    expect(filter.code).toBe(1);
    expect(filter.err).toMatch(/invalid filter/);
    const usage = await cli(['not a domain']);
    expect(usage.code).toBe(1);
    expect(usage.err).toMatch(/neither a domain nor a valid address/);
    expect((await cli(['-p', '4', addr])).code).toBe(1);
  });

  it('keeps the interactive readline history across sessions in RXPAFC_HISTORY', async () => {
    const history = join(dir, 'history');
    writeFileSync(history, 'ping\n');
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    stdout.resume();
    let err = '';
    const done = runClientCli([addr], {
      stdout,
      stderr: { write: (t: string) => (err += t) },
      stdin,
      terminal: true,
      env: { PAF_DOMAINS: dir, RXPAFC_HISTORY: history },
    });
    stdin.write('id\r');
    await new Promise((res) => setTimeout(res, 200));
    stdin.end('quit\r');
    expect(await done).toBe(0);
    expect(err).toBe('');
    await new Promise((res) => setTimeout(res, 100));
    expect(readFileSync(history, 'utf8')).toBe('ping\nid\nquit\n');
  });

  it('runs interactive commands from stdin, printing OK. or the error', async () => {
    const input = [
      'id',
      'version',
      'hello',
      'ping',
      'publish 1a 0 30 name svc port 80 label |42|',
      'services (name=svc)',
      'subscriptions',
      'clients',
      'track query',
      'unpublish 1a',
      'unpublish 1a',
      'bogus',
      'help ping',
      'quit',
      'id',
    ].join('\n');
    const r = await cli(['-i', 'ff', '-p', '3', addr], { stdin: input + '\n' });
    expect(r.code).toBe(0);
    const out = r.out;
    expect(out).toContain('Client Id: 0xff\nOK.\n');
    expect(out).toContain('Negotiated protocol version: 3');
    expect(out).toContain('Protocol version: 3\nOK.\n'); // another hello on the same connection
    expect(out).toMatch(/Latency: [0-9.]+ ms\nOK\.\n/);
    expect(out).toContain('Service Id: 0x1a\nOK.\n');
    expect(out).toContain("{'name': ['svc'], 'port': [80], 'label': ['42']}");
    expect(out).toMatch(/Client Id\s+Remote Address\s+Uptime\s+Idle \[s\]\s+Latency \[ms\]\s+Version/);
    expect(out).toMatch(/Track query latency: [0-9.]+ ms/);
    expect(out).toContain('unpublish failed: non-existent-service-id\n');
    expect(out).toContain('unknown command "bogus"');
    expect(out).toMatch(/^ping\s+Ping the server/m);
    expect(out.match(/Client Id: 0xff/g)).toHaveLength(1); // nothing runs after quit
  });

  it('with --json, every command of an interactive session prints JSON lines (matches too); help lists or fails', async () => {
    const input = [
      'id',
      'version',
      'hello',
      'ping',
      'subscribe',
      'publish 1b 0 30 name js',
      'subscriptions',
      'clients',
      'track query',
      'unpublish 1b',
      'help',
      'help nope',
      'quit',
    ].join('\n');
    const r = await cli(['--json', '-i', 'fe', '-p', '3', addr], { stdin: input + '\n' });
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    const json = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l.replace(/(":)(\d{16,})/g, '$1"$2"')) as Record<string, unknown>);
    expect(json).toContainEqual({ clientId: 0xfe });
    expect(json).toContainEqual({ supported: [2, 3], advertised: [3, 3], negotiated: 3 });
    expect(json).toContainEqual({ protocolVersion: 3 });
    expect(json.filter((o) => typeof o.latencyMs === 'number')).toHaveLength(2); // ping, track query
    expect(json).toContainEqual({ id: 0x1b });
    // (no filter: the other specs' services, orphans now, appear too)
    const matches = json.filter((o) => o.subscriptionId !== undefined && (o.service as { id: unknown }).id === 0x1b);
    expect(matches.map((m) => [m.type, (m.service as { id: number }).id])).toEqual([
      ['appeared', 0x1b],
      ['disappeared', 0x1b],
    ]);
    // the subscriptions and clients listings: one object each, the CLI's own among them
    expect(json).toContainEqual({ id: matches[0]!.subscriptionId, clientId: 0xfe });
    expect(json).toContainEqual(expect.objectContaining({ clientId: 0xfe, address: expect.any(String), idle: 0 }));
    expect(r.out).not.toContain('Subscription Id:'); // JSON mode prints no human text for an accepted subscription
    // `help` alone lists every command; an unknown one is an error with help's usage
    expect(lines.filter((l) => /^(id|ping|publish|subscribe|quit) /.test(l))).toHaveLength(5);
    expect(r.out).toContain('unknown command "nope". Usage: help [<command>]\n');
  });

  it('prints subscription matches as lines in the human format too (appeared, then disappeared)', async () => {
    const input = ['subscribe (name=hm)', 'publish 2c 0 30 name hm', 'unpublish 2c', 'quit'].join('\n');
    const r = await cli([addr], { stdin: input + '\n' });
    expect(r.code).toBe(0);
    const matchLines = r.out.split('\n').filter((l) => /appeared|disappeared/.test(l));
    expect(matchLines).toHaveLength(2);
    expect(matchLines[0]).toMatch(/appeared/);
    expect(matchLines[0]).toContain('0x2c');
    expect(matchLines[0]).toContain("{'name': ['hm']}");
    expect(matchLines[1]).toMatch(/disappeared/);
    expect(matchLines[1]).toContain('0x2c');
  });

  it('streams subscription matches one-shot until interrupted, then exits 0', async () => {
    let interrupt!: () => void;
    const interrupted = new Promise<void>((r) => (interrupt = r));
    const running = cli(['--json', addr, 'subscribe', '(name=live)'], { interrupted });
    const id = await publisher({ name: 'live' });
    for (let i = 0; i < 250 && !live.includes('appeared'); i++) await new Promise((r) => setTimeout(r, 20));
    interrupt();
    const r = await running;
    expect(r.code).toBe(0);
    const m = JSON.parse(
      r.out
        .trim()
        .split('\n')[0]!
        .replace(/(":)(\d{16,})/g, '$1"$2"'),
    ) as unknown;
    expect(m).toEqual({
      subscriptionId: expect.any(String),
      type: 'appeared',
      service: { id: id.toString(), generation: 0, props: { name: ['live'] }, ttl: 60, clientId: expect.any(String) },
    });
  });

  describe('as a process (bin/rxpafc.js)', () => {
    beforeAll(async () => {
      if (existsSync(join(__dirname, '../../dist/lib/cli/client-main.js'))) return;
      await new Promise<void>((resolve) =>
        execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: join(__dirname, '../..') }, () => resolve()),
      );
    }, 120000);

    it('prints services and exits 0; exits 1 when the server is unreachable; SIGINT ends subscribe with 0', async () => {
      const id = await publisher({ name: 'proc' });
      const run = (args: string[]): Promise<Run> =>
        new Promise((resolve) =>
          execFile('node', [join(__dirname, '../../bin/rxpafc.js'), ...args], (e, out, err) =>
            resolve({ code: e ? Number(e.code) : 0, out, err }),
          ),
        );
      const ok = await run([addr, 'services']);
      expect(ok.code).toBe(0);
      expect(ok.out).toContain(`0x${id.toString(16)}`);
      const bad = await run(['tcp:127.0.0.1:1', 'ping']);
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/Error communicating/);
      const child = spawn('node', [join(__dirname, '../../bin/rxpafc.js'), addr, 'subscribe']);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      while (!out.includes('Match type: appeared')) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(0);
    }, 30000);
  });
});

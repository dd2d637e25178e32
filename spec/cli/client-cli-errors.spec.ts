/**
 * rxpafc's argument rules (in-process, runClientCli): option errors exit 1 with the usage; in interactive mode
 * a command with bad arguments prints the reason and the command's usage, and the session goes on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { runClientCli, USAGE } from '../../lib/cli/client-cli';
import { Daemon, startDaemon } from '../client/helpers';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpafc-err-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = async (argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const input = stdin === undefined ? undefined : new PassThrough();
  input?.end(stdin);
  const code = await runClientCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: input,
    env: { PAF_DOMAINS: dir },
  });
  return { code, out, err };
};

describe('rxpafc options', () => {
  it.each<[string[], string]>([
    [['-i', 'zz', 'tcp:127.0.0.1:1'], 'invalid client id (expected hex)'],
    [['-i'], 'option -i requires an argument'],
    [['-p', '4', 'tcp:127.0.0.1:1'], 'protocol version must be 2 or 3'],
    [['-n', '-1', 'x'], 'invalid server index'],
    [['-x', 'tcp:127.0.0.1:1'], 'unknown option -x'],
    [[], 'missing server address or domain'],
    [['--', 'nowhere'], '"nowhere" is neither a domain nor a valid address'],
  ])('%p: exit 1, the reason and the usage on stderr', async (argv, why) => {
    const r = await cli(argv);
    expect(r.code).toBe(1);
    expect(r.err.startsWith(`rxpafc: ${why}`)).toBe(true);
    expect(r.err.endsWith(USAGE)).toBe(true);
    expect(r.out).toBe('');
  });

  it("-h prints the usage; -l lists the domain files; -a a domain's addresses", async () => {
    expect(await cli(['-h'])).toEqual({ code: 0, out: USAGE, err: '' });
    writeFileSync(join(dir, 'b'), JSON.stringify({ servers: [{ address: 'tcp:127.0.0.1:2' }] }));
    writeFileSync(join(dir, 'a'), JSON.stringify({ servers: [{ address: 'tcp:127.0.0.1:1' }, { address: 'ux:x' }] }));
    expect(await cli(['-l'])).toEqual({ code: 0, out: 'a\nb\n', err: '' });
    expect(await cli(['-a', 'a'])).toEqual({ code: 0, out: 'tcp:127.0.0.1:1\nux:x\n', err: '' });
    expect(await cli(['-a', 'nope'])).toEqual({ code: 1, out: '', err: 'rxpafc: domain "nope": no such domain\n' });
    const noServer = await cli(['-n', '5', 'a', 'ping']);
    expect(noServer).toMatchObject({ code: 1, err: 'rxpafc: domain "a" has no server with index 5\n' });
  });
});

describe('rxpafc commands with bad arguments', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(() => daemon.stop());

  it('one-shot: an unknown command or bad arguments exit 1', async () => {
    const unknown = await cli([daemon.addr(), 'fly']);
    expect(unknown.code).toBe(1);
    expect(unknown.err.startsWith('rxpafc: unknown command "fly"\n')).toBe(true);
    const bad = await cli([daemon.addr(), 'publish', '0']);
    expect(bad.code).toBe(1);
    expect(bad.err.startsWith('rxpafc: wrong number of arguments\n')).toBe(true);
  });

  it('interactive: each error names the reason and the usage, and the session goes on', async () => {
    const lines = [
      'publish 1',
      'publish zz 0 30',
      'publish 1a x 30',
      'publish 0 30 name x',
      'track bogus',
      'track quiet',
      'track verbose',
      'track',
      'unpublish',
      'ping',
    ];
    const r = await cli([daemon.addr()], lines.join('\n') + '\n');
    expect(r.code).toBe(0);
    const out = r.out.split('\n');
    expect(out[0]).toMatch(/^wrong number of arguments\. Usage: publish /);
    expect(out[1]).toMatch(/^invalid service id "zz" \(expected hex\)\. Usage: publish /);
    expect(out[2]).toMatch(/^generation and TTL must be integers\. Usage: publish /);
    expect(out[3]).toMatch(/^Service Id: 0x[0-9a-f]+$/); // no id given: a random one
    expect(out[4]).toBe('OK.');
    expect(r.out).toMatch(/unknown track mode "bogus"\. Usage: track/);
    expect(r.out).toContain('Track transaction active; server queries are answered automatically.\nOK.\n');
    expect(r.out).toMatch(/wrong number of arguments\. Usage: unpublish/);
    expect(r.out).toMatch(/Latency: [0-9.]+ ms\nOK\.\n$/);
  });

  it('track needs protocol version 3', async () => {
    const r = await cli(['-p', '2', daemon.addr()], 'track\n');
    expect(r.out).toBe('track requires protocol version 3\n');
  });
});

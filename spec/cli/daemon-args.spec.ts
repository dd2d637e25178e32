import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseDaemonArgs, type DaemonArgs } from '../../lib/cli/daemon-args';
import type { DaemonConfig } from '../../lib/config/daemon-config';

// the version rxpafd -v prints is the package's own
const pkgVersion = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string })
  .version;

const files: Record<string, string> = {
  'pafd.conf': [
    'domains:',
    '  - name: file-domain',
    '    sockets: [ux:file0, ux:file1]',
    '    idle: {min: 2, max: 4}',
    'resources: {total: {clients: 5, services: 7}, user: {clients: 3}}',
    'log: {console: yes, filter: warning, syslog: yes}',
    'record: {file: from-file.ndjson, max_bytes: 1000}',
  ].join('\n'),
  'bad-version.conf': 'domains: [{sockets: [ux:a], protocol_version: {min: 1}}]',
  'no-domains.conf': 'log: {console: true}',
  'limits.conf': 'domains: [{sockets: [ux:a]}]\noutput_limits: {hard_bytes: 1000, soft_seconds: 5}',
  'bad-limits.conf': 'domains: [{sockets: [ux:a]}]\noutput_limits: {soft_bytes: -1}',
};
const deps = { readFile: (p: string): string | Error => files[p] ?? new Error(`ENOENT: no such file '${p}'`) };
const parse = (...argv: string[]): DaemonArgs => parseDaemonArgs(argv, deps);
const run = (...argv: string[]): DaemonConfig => {
  const r = parse(...argv);
  if (r.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(r)}`);
  return r.config;
};
const cliDomain = (...addrs: string[]): DaemonConfig['domains'][number] => ({
  protocolVersion: { min: 2, max: 3 },
  idle: { min: 4, max: 30 },
  sockets: addrs.map((addr) => ({ addr })),
});

describe('parseDaemonArgs', () => {
  it('should build the defaults around positional domains', () => {
    expect(run('ux:a', 'tcp:127.0.0.1:4711')).toEqual({
      domains: [cliDomain('ux:a'), cliDomain('tcp:127.0.0.1:4711')],
      resources: { total: {}, user: {} },
      log: {
        console: true,
        fileBackups: 0,
        fileMaxSize: 1000000,
        syslog: false,
        syslogExplicit: false,
        syslogSocket: '/dev/log',
        facility: 'daemon',
        filter: 'info',
      },
      outputLimits: { hardBytes: 64 * 1024 * 1024, softBytes: 16 * 1024 * 1024, softSeconds: 60 },
    });
  });

  it('should take output limits from the file, then from --output-limits', () => {
    expect(run('-f', 'limits.conf').outputLimits).toEqual({
      hardBytes: 1000,
      softBytes: 16 * 1024 * 1024,
      softSeconds: 5,
    });
    expect(run('--output-limits', '8m,2k,0', '-f', 'limits.conf').outputLimits).toEqual({
      hardBytes: 8 * 1024 * 1024,
      softBytes: 2048,
      softSeconds: 0,
    });
    expect(run('--output-limits', '0,0,10', 'ux:a').outputLimits).toEqual({
      hardBytes: 0,
      softBytes: 0,
      softSeconds: 10,
    });
  });

  it('should build a multi-socket domain from -m a+b, positional domains first', () => {
    expect(run('-m', 'ux:a+tcp:127.0.0.1:1', '-m', 'ux:c', 'ux:p').domains).toEqual([
      cliDomain('ux:p'),
      cliDomain('ux:a', 'tcp:127.0.0.1:1'),
      cliDomain('ux:c'),
    ]);
  });

  it('should launch like the upstream test harness does (§12.2)', () => {
    const c = run('-r', 'hook.run', '-c', '250', '-l', 'debug', '-m', 'ux:x+tls:127.0.0.1:3000', '-m', 'ux:y');
    expect(c.domains).toEqual([cliDomain('ux:x', 'tls:127.0.0.1:3000'), cliDomain('ux:y')]);
    expect(c.resources.total).toEqual({ clients: 250 });
    expect(c.log.filter).toBe('debug');
    expect(c.hook).toBe('hook.run');
  });

  it('should take everything from the configuration file when no domain is given', () => {
    const c = run('-f', 'pafd.conf');
    expect(c.domains).toEqual([
      {
        name: 'file-domain',
        protocolVersion: { min: 2, max: 3 },
        idle: { min: 2, max: 4 },
        sockets: [{ addr: 'ux:file0' }, { addr: 'ux:file1' }],
      },
    ]);
    expect(c.resources).toEqual({ total: { clients: 5, services: 7 }, user: { clients: 3 } });
    expect(c.log).toMatchObject({ console: true, filter: 'warning', syslog: true, syslogExplicit: true });
    expect(c.record).toEqual({ file: 'from-file.ndjson', maxBytes: 1000, outbound: false });
  });

  it('should replace all file domains by command-line domains, whatever the option order', () => {
    expect(run('-f', 'pafd.conf', '-m', 'ux:m', 'ux:p').domains).toEqual([cliDomain('ux:p'), cliDomain('ux:m')]);
    expect(run('-m', 'ux:m', '-f', 'pafd.conf').domains).toEqual([cliDomain('ux:m')]);
    expect(run('-f', 'pafd.conf', 'ux:p').domains).toEqual([cliDomain('ux:p')]);
  });

  it('should let options override the file, wherever -f is', () => {
    const c = run('-l', 'error', '-n', '-x', '500', '-b', '3', '-o', 'd.log', '-y', 'local3', '-f', 'pafd.conf');
    expect(c.log).toEqual({
      console: true,
      file: 'd.log',
      fileBackups: 3,
      fileMaxSize: 500,
      syslog: false,
      syslogExplicit: false,
      syslogSocket: '/dev/log',
      facility: 'local3',
      filter: 'error',
    });
  });

  it('should set, override and clear (B7) the total client limit with -c', () => {
    expect(run('-c', '9', '-f', 'pafd.conf').resources.total).toEqual({ clients: 9, services: 7 });
    expect(run('-c0', '-f', 'pafd.conf').resources).toEqual({ total: { services: 7 }, user: { clients: 3 } });
    expect(run('-c', '0', 'ux:a').resources.total).toEqual({});
  });

  it('should accept clustered flags and attached values', () => {
    const c = run('-snc5', '-lwarning', '-uux-sock', 'ux:a');
    expect(c.log).toMatchObject({ console: true, syslog: false, filter: 'warning', syslogSocket: 'ux-sock' });
    expect(c.resources.total).toEqual({ clients: 5 });
  });

  it('should stop option parsing at the first positional argument and after --', () => {
    expect(run('ux:a', '-s').domains).toEqual([cliDomain('ux:a'), cliDomain('-s')]);
    expect(run('ux:p', '-f', 'pafd.conf').domains).toEqual([
      cliDomain('ux:p'),
      cliDomain('-f'),
      cliDomain('pafd.conf'),
    ]);
    expect(run('--', '-s').domains).toEqual([cliDomain('-s')]);
  });

  it('should make -u an explicit syslog request unless -n is given', () => {
    expect(run('-u', '/run/log', 'ux:a').log).toMatchObject({ syslog: true, syslogExplicit: true });
    expect(run('-u', '/run/log', '-n', 'ux:a').log).toMatchObject({ syslog: false, syslogExplicit: false });
  });

  it('should configure event-log recording', () => {
    expect(run('--record', 'ev.ndjson', 'ux:a').record).toEqual({
      file: 'ev.ndjson',
      maxBytes: 100000000,
      outbound: false,
    });
    expect(run('--record=ev.ndjson', '--record-outbound', 'ux:a').record).toEqual({
      file: 'ev.ndjson',
      maxBytes: 100000000,
      outbound: true,
    });
    expect(run('--record-outbound', '--record', 'x', '-f', 'pafd.conf').record).toEqual({
      file: 'x',
      maxBytes: 1000,
      outbound: true,
    });
    expect(run('--record=ev.ndjson', '--record-compress', 'ux:a').record).toEqual({
      file: 'ev.ndjson',
      maxBytes: 100000000,
      outbound: false,
      compress: true,
    });
    expect(run('ux:a').record).toBeUndefined();
  });

  it('should print the version with -v and the usage with -h', () => {
    expect(parse('-v')).toEqual({
      kind: 'version',
      text: `rxpafd version: ${pkgVersion} (rxpaf)\nMatches pafd version: 1.1.3\nProtocol version(s): 2 3`,
    });
    expect(parse('-s', '-v', '-z')).toEqual({
      kind: 'error',
      message: 'Error parsning command line: option -z not recognized.',
    });
    const help = parse('-h');
    expect(help.kind).toBe('help');
    const text = help.kind === 'help' ? help.text : '';
    expect(text).toMatch(/^rxpafd \[-s\] \[-l <level>\]/);
    for (const opt of [
      '-f',
      '-m',
      '-s',
      '-o',
      '-b',
      '-x',
      '-n',
      '-u',
      '-y',
      '-l',
      '-c',
      '-r',
      '-v',
      '-h',
      '--record <file>',
      '--record-outbound',
    ]) {
      expect(text).toContain(`  ${opt} `);
    }
    expect(parseDaemonArgs(['-h'], { ...deps, progName: 'pafd' })).toEqual({
      kind: 'help',
      text: expect.stringMatching(/^pafd /),
    });
  });

  it('should let an error before -v win, as options are processed in order', () => {
    expect(parse('-b', 'x', '-v')).toEqual({ kind: 'error', message: 'Backup file count must be an integer.' });
    expect(parse('-v', '-b', 'x')).toEqual({ kind: 'version', text: expect.any(String) });
  });

  it.each([
    [['-z', 'ux:a'], 'Error parsning command line: option -z not recognized.'],
    [['-s', '-c'], 'Error parsning command line: option -c requires argument.'],
    [['--foo'], 'Error parsning command line: option --foo not recognized.'],
    [['-b', 'two', 'ux:a'], 'Backup file count must be an integer.'],
    [['-b', '-1', 'ux:a'], 'Backup file count must not be negative.'],
    [['-x', '1M', 'ux:a'], 'Max log file size must be an integer.'],
    [['-c', 'many', 'ux:a'], 'Client limit must be an integer.'],
    [['-c', '1.5', 'ux:a'], 'Client limit must be an integer.'],
    [['-c', '-3', 'ux:a'], 'Client limit must not be negative.'],
    [['-l', 'verbose', 'ux:a'], "Invalid log level 'verbose' (valid: debug, info, warning, error, critical)."],
    [['-y', 'local8', 'ux:a'], "Invalid syslog facility 'local8'."],
    [['-m', 'ux:a++ux:b'], "Invalid multi-socket domain 'ux:a++ux:b'."],
    [['--output-limits', '8m,2k', 'ux:a'], "Invalid --output-limits '8m,2k': expected <hard>,<soft>,<seconds>."],
    [
      ['--output-limits', '8x,2k,1', 'ux:a'],
      "Invalid --output-limits '8x,2k,1': sizes are integers with an optional k, m or g.",
    ],
    [
      ['--output-limits', '8m,-2,1', 'ux:a'],
      "Invalid --output-limits '8m,-2,1': sizes are integers with an optional k, m or g.",
    ],
    [['--output-limits', '8m,2k,1.5', 'ux:a'], "Invalid --output-limits '8m,2k,1.5': seconds must be an integer."],
    [[], 'No domains configured.'],
    [['-s', '-c', '5'], 'No domains configured.'],
    [['-f', 'no-domains.conf'], 'No domains configured.'],
    [
      ['-f', 'missing.conf', 'ux:a'],
      "Error reading configuration: cannot read 'missing.conf': ENOENT: no such file 'missing.conf'",
    ],
    [
      ['-f', 'bad-version.conf'],
      'Error reading configuration: invalid domains.protocol_version.min: 1 (lowest supported protocol version is 2)',
    ],
    [
      ['--record-outbound', 'ux:a'],
      'Option --record-outbound requires --record <file> or a record file in the configuration.',
    ],
    [
      ['--record-compress', 'ux:a'],
      'Option --record-compress requires --record <file> or a record file in the configuration.',
    ],
  ])('should fail on %j with one line', (argv, message) => {
    expect(parse(...argv)).toEqual({ kind: 'error', message });
    expect(message).not.toContain('\n');
  });
});

import { either as E } from 'fp-ts';
import { parseConfigText, readConfigFile, type PartialConfig } from '../../lib/config/config-file';

const ok = (text: string): PartialConfig => {
  const r = parseConfigText(text);
  if (E.isLeft(r)) throw new Error(`unexpected error: ${r.left}`);
  return r.right;
};
const err = (text: string): string => {
  const r = parseConfigText(text);
  if (E.isRight(r)) throw new Error(`expected an error for:\n${text}`);
  return r.left;
};

describe('parseConfigText', () => {
  it('should read the full schema of §11.3', () => {
    const conf = ok(`
domains:
  - name: d0
    protocol_version: {min: 3, max: 3}
    idle: {min: 2, max: 4}
    sockets:
      - ux:a
      - addr: tcp:127.0.0.1:4711
      - addr: tls:127.0.0.1:4712
        tls: {cert: /c.pem, key: /k.pem, tc: /tc.pem, crl: /crl.pem}
  - addrs: [ux:b]
    max_idle_time: 10
resources:
  total: {clients: 5, services: 192, subscriptions: 100}
  user: {clients: 3, services: 128, subscriptions: 99}
log:
  console: yes
  log_file: /tmp/x.log
  log_file_backup: 2
  log_file_max_size: 1000
  syslog: off
  syslog_socket: /dev/null
  facility: local0
  filter: debug
record: {file: /tmp/events.ndjson}
`);
    expect(conf.domains).toEqual([
      {
        name: 'd0',
        protocolVersion: { min: 3, max: 3 },
        idle: { min: 2, max: 4 },
        sockets: [
          { addr: 'ux:a' },
          { addr: 'tcp:127.0.0.1:4711' },
          { addr: 'tls:127.0.0.1:4712', tls: { cert: '/c.pem', key: '/k.pem', tc: '/tc.pem', crl: '/crl.pem' } },
        ],
      },
      { protocolVersion: { min: 2, max: 3 }, idle: { min: 4, max: 10 }, sockets: [{ addr: 'ux:b' }] },
    ]);
    expect(conf.resources).toEqual({
      total: { clients: 5, services: 192, subscriptions: 100 },
      user: { clients: 3, services: 128, subscriptions: 99 },
    });
    expect(conf.log).toEqual({
      console: true,
      file: '/tmp/x.log',
      fileBackups: 2,
      fileMaxSize: 1000,
      syslog: false,
      syslogExplicit: false,
      syslogSocket: '/dev/null',
      facility: 'local0',
      filter: 'debug',
    });
    expect(conf.record).toEqual({ file: '/tmp/events.ndjson', maxBytes: 100000000, outbound: false });
  });

  it('should treat an empty document, null values and unknown keys as absent', () => {
    expect(ok('')).toEqual({ log: {} });
    expect(ok('domains: ~\nresources: null\nlog:\nfoo: 1')).toEqual({ log: {} });
    expect(ok('domains:\n  - sockets: [ux:a]\n    name: ~\n    idle: ~\n    color: red')).toEqual({
      domains: [{ protocolVersion: { min: 2, max: 3 }, idle: { min: 4, max: 30 }, sockets: [{ addr: 'ux:a' }] }],
      log: {},
    });
  });

  it.each([
    ['yes', true],
    ['Yes', true],
    ['ON', true],
    ['true', true],
    ['no', false],
    ['Off', false],
    ['FALSE', false],
  ])('should read the YAML 1.1 boolean %s as %s', (text, value) => {
    expect(ok(`log: {console: ${text}}`).log.console).toBe(value);
  });

  it('should not take y/n for booleans (PyYAML, unlike YAML 1.1 in general)', () => {
    expect(err('log: {console: y}')).toBe("parameter 'log.console' has invalid value type: expected bool, got str");
  });

  it('should accept a boolean where an integer is expected (Python isinstance)', () => {
    expect(ok('resources: {total: {clients: yes, services: no}}').resources?.total).toEqual({
      clients: 1,
      services: 0,
    });
  });

  it('should mark syslog as explicit when the file enables it or names its socket', () => {
    expect(ok('log: {syslog: true}').log.syslogExplicit).toBe(true);
    expect(ok('log: {syslog_socket: /x}').log.syslogExplicit).toBe(true);
    expect(ok('log: {syslog: false, syslog_socket: /x}').log.syslogExplicit).toBe(false);
    expect(ok('log: {console: true}').log.syslogExplicit).toBe(false);
  });

  it('should read record max_bytes and outbound', () => {
    expect(ok('record: {file: r.log, max_bytes: 10, outbound: on}').record).toEqual({
      file: 'r.log',
      maxBytes: 10,
      outbound: true,
    });
  });

  it('should read the record checkpoint intervals (rxpaf extension) and reject negative ones', () => {
    expect(ok('record: {file: r.log, snapshot_every: 5000, snapshot_seconds: 0}').record).toEqual({
      file: 'r.log',
      maxBytes: 100_000_000,
      outbound: false,
      snapshotEvery: 5000,
      snapshotSeconds: 0,
    });
    expect(() => ok('record: {file: r.log, snapshot_every: -1}')).toThrow(/snapshot_every/);
    expect(ok('record: {file: r.log, compress: true}').record).toEqual({
      file: 'r.log',
      maxBytes: 100_000_000,
      outbound: false,
      compress: true,
    });
    expect(() => ok('record: {file: r.log, compress: 1}')).toThrow(/compress/);
  });
});

describe('readConfigFile', () => {
  it('should report an unreadable file on one line', () => {
    const r = readConfigFile('/nonexistent/dir/pafd.conf');
    expect(r).toEqual(E.left(expect.stringMatching(/^cannot read '\/nonexistent\/dir\/pafd.conf': ENOENT[^\n]*$/)));
  });

  it('should use the injected reader', () => {
    const r = readConfigFile('x.conf', (p) => (p === 'x.conf' ? 'domains: [{sockets: [ux:q]}]' : new Error('no')));
    expect(E.isRight(r) && r.right.domains?.[0]?.sockets).toEqual([{ addr: 'ux:q' }]);
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../lib/config/daemon-config';
import { createLogger, LogSetupError, type LoggerSinks } from '../../lib/log/logger';
import { formatValue } from '../../lib/log/logger-format';

const NOW = new Date('2024-05-06T07:08:09.010Z');
const cfg = (over: Partial<LogConfig>): LogConfig => ({
  ...DEFAULT_LOG_CONFIG,
  console: false,
  syslog: false,
  ...over,
});
const capture = (): { out: string[]; sinks: LoggerSinks } => {
  const out: string[] = [];
  return { out, sinks: { stderr: (t) => out.push(t), now: () => NOW, pid: 42 } };
};

describe('createLogger', () => {
  it('should write one console line per record at or above the filter level', () => {
    const { out, sinks } = capture();
    const log = createLogger(cfg({ console: true, filter: 'warning' }), sinks);
    log.debug('core', 'd');
    log.info('core', 'i');
    log.warning('protocol', 'w', { conn: 7n, addr: 'ux:a b' });
    log.error('security', 'e');
    log.critical('internal', 'multi\nline');
    expect(out).toEqual([
      '2024-05-06T07:08:09.010Z WARNING protocol w conn=7 addr="ux:a b"\n',
      '2024-05-06T07:08:09.010Z ERROR security e\n',
      '2024-05-06T07:08:09.010Z CRITICAL internal multi\\nline\n',
    ]);
    expect([log.isEnabled('info'), log.isEnabled('warning')]).toEqual([false, true]);
  });

  it('should write nothing to the console when it is off, and drop records after close', async () => {
    const { out, sinks } = capture();
    const quiet = createLogger(cfg({ console: false, filter: 'debug' }), sinks);
    quiet.critical('core', 'x');
    const loud = createLogger(cfg({ console: true, filter: 'debug' }), sinks);
    await loud.close();
    loud.critical('core', 'y');
    expect(out).toEqual([]);
  });

  describe('file sink', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-logger-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('should rotate like RotatingFileHandler: file.1 is the newest backup, at most N backups', async () => {
      const file = join(dir, 'pafd.log');
      const log = createLogger(cfg({ file, fileMaxSize: 200, fileBackups: 2 }), capture().sinks);
      for (let i = 0; i < 20; i++) log.info('core', `record ${String(i).padStart(2, '0')}`);
      await log.close();
      expect(readdirSync(dir).sort()).toEqual(['pafd.log', 'pafd.log.1', 'pafd.log.2']);
      const lines = (name: string): string[] => readFileSync(join(dir, name), 'utf8').trim().split('\n');
      const [l2, l1, l0] = [lines('pafd.log.2'), lines('pafd.log.1'), lines('pafd.log')];
      for (const f of ['pafd.log', 'pafd.log.1', 'pafd.log.2'])
        expect(readFileSync(join(dir, f)).length).toBeLessThan(200);
      expect([...l2, ...l1, ...l0].map((l) => l.split(' ').pop())).toEqual(
        Array.from({ length: l0.length + l1.length + l2.length }, (_, k) =>
          String(20 - l0.length - l1.length - l2.length + k).padStart(2, '0'),
        ),
      );
      expect(l0[l0.length - 1]).toBe('2024-05-06T07:08:09.010Z INFO core record 19');
    });

    it('should append to an existing file and never rotate without backups', async () => {
      const file = join(dir, 'pafd.log');
      writeFileSync(file, 'old\n');
      const log = createLogger(cfg({ file, fileMaxSize: 50, fileBackups: 0 }), capture().sinks);
      for (let i = 0; i < 10; i++) log.error('core', `r${i}`);
      await log.close();
      expect(readdirSync(dir)).toEqual(['pafd.log']);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(11);
      expect(lines[0]).toBe('old');
    });

    it('should fail setup when the log file cannot be opened', () => {
      const file = join(dir, 'missing', 'pafd.log');
      expect(() => createLogger(cfg({ file }), capture().sinks)).toThrow(LogSetupError);
      expect(() => createLogger(cfg({ file }), capture().sinks)).toThrow(
        /^Error configuring logging: cannot open log file/,
      );
    });
  });

  describe('syslog sink', () => {
    const syslogCfg = (explicit: boolean): LogConfig =>
      cfg({ syslog: true, syslogExplicit: explicit, syslogSocket: '/fake/log', facility: 'daemon', filter: 'debug' });

    it('should send RFC 3164-style datagrams through the injected transport', () => {
      const { out, sinks } = capture();
      const sent: Array<[string, string]> = [];
      const send = (path: string, data: Buffer): void => void sent.push([path, data.toString()]);
      const log = createLogger(syslogCfg(false), { ...sinks, syslogSend: send, exists: () => true });
      log.info('core', 'started', { domains: 2 });
      log.error('security', 'denied');
      expect(sent).toEqual([
        ['/fake/log', '<30>rxpafd[42]: [core] started domains=2'],
        ['/fake/log', '<27>rxpafd[42]: [security] denied'],
      ]);
      expect(out).toEqual([]);
    });

    it('should use the configured facility', () => {
      const sent: string[] = [];
      const log = createLogger(
        { ...syslogCfg(true), facility: 'local7' },
        { ...capture().sinks, syslogSend: (_p, d) => void sent.push(d.toString()), exists: () => true },
      );
      log.debug('protocol', 'x');
      expect(sent).toEqual(['<191>rxpafd[42]: [protocol] x']);
    });

    it.each([
      ['no transport', {}, 'no Unix datagram transport for syslog'],
      [
        'no socket file',
        { syslogSend: () => undefined, exists: () => false },
        "syslog socket '/fake/log' does not exist",
      ],
    ])('should warn once and go on without the default syslog when there is %s (A1)', (_n, extra, problem) => {
      const { out, sinks } = capture();
      const log = createLogger({ ...syslogCfg(false), console: true }, { ...sinks, ...extra });
      log.info('core', 'a');
      log.info('core', 'b');
      expect(out).toEqual([
        `rxpafd: warning: ${problem}; continuing without syslog.\n`,
        '2024-05-06T07:08:09.010Z INFO core a\n',
        '2024-05-06T07:08:09.010Z INFO core b\n',
      ]);
    });

    it.each([
      ['no transport', {}, 'Error configuring logging: no Unix datagram transport for syslog.'],
      [
        'no socket file',
        { syslogSend: () => undefined, exists: () => false },
        "Error configuring logging: syslog socket '/fake/log' does not exist.",
      ],
    ])('should refuse an explicitly requested syslog when there is %s', (_n, extra, message) => {
      const { out, sinks } = capture();
      expect(() => createLogger(syslogCfg(true), { ...sinks, ...extra })).toThrow(new LogSetupError(message));
      expect(out).toEqual([]);
    });

    it('should report a failing send once and keep logging', () => {
      const { out, sinks } = capture();
      let calls = 0;
      const send = (): void => {
        calls++;
        throw new Error('ECONNREFUSED');
      };
      const log = createLogger(syslogCfg(false), { ...sinks, syslogSend: send, exists: () => true });
      log.info('core', 'a');
      log.info('core', 'b');
      expect(calls).toBe(2);
      expect(out).toEqual(['rxpafd: warning: syslog send failed: ECONNREFUSED.\n']);
    });
  });
});

describe('formatValue', () => {
  it.each<[unknown, string]>([
    ['plain', 'plain'],
    ['', '""'],
    ['a=b', '"a=b"'],
    [12345678901234567890n, '12345678901234567890'],
    [1.5, '1.5'],
    [true, 'true'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ id: 1n, tags: ['x'] }, '{"id":1,"tags":["x"]}'],
  ])('should format %p as %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });
});

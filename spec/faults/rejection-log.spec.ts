/** Rate-limited logging of rejected connections, on virtual time. */
import type { Logger } from '../../lib/log/logger';
import { RejectionLog } from '../../lib/server/rejection-log';

const recorder = () => {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const m =
    (level: string) =>
    (_c: string, msg: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, msg, fields: { ...fields } });
    };
  const logger: Logger = {
    debug: m('debug'),
    info: m('info'),
    warning: m('warning'),
    error: m('error'),
    critical: m('critical'),
    isEnabled: () => true,
    close: () => Promise.resolve(),
  };
  return { lines, logger };
};

describe('RejectionLog', () => {
  it('logs the first `burst` per interval, then one summary line at the end of the interval', () => {
    const { lines, logger } = recorder();
    let now = 0;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const log = new RejectionLog(logger, 'd', {
      burst: 3,
      intervalMs: 1000,
      now: () => now,
      schedule: (fn, ms) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return () => timers.splice(timers.indexOf(t), 1);
      },
    });
    for (let i = 0; i < 10; i++) {
      now = i * 10;
      log.reject('warning', 'protocol', 'closing connection', { conn: i, reason: 'framing error: x' });
    }
    expect(lines.map((l) => l.fields.conn)).toEqual([0, 1, 2]);
    expect(lines[0]).toEqual({
      level: 'warning',
      msg: 'closing connection',
      fields: { domain: 'd', conn: 0, reason: 'framing error: x' },
    });
    expect(timers).toHaveLength(1);
    expect(timers[0]!.at).toBe(1000);
    now = 1000;
    timers.shift()!.fn();
    expect(lines[3]).toEqual({
      level: 'warning',
      msg: 'more connections rejected, not logged one by one',
      fields: { domain: 'd', suppressed: 7, intervalMs: 1000 },
    });
    // a new interval starts with the next rejection
    now = 1500;
    log.reject('info', 'core', 'closing connection', { conn: 99 });
    expect(lines).toHaveLength(5);
    expect(lines[4]!.fields.conn).toBe(99);
    log.summarise();
    expect(lines).toHaveLength(5);
  });

  it('summarises at the start of the next interval when the timer has not run yet', () => {
    const { lines, logger } = recorder();
    let now = 0;
    const log = new RejectionLog(logger, 'd', { burst: 1, intervalMs: 100, now: () => now, schedule: () => () => {} });
    log.reject('warning', 'protocol', 'a', {});
    log.reject('warning', 'protocol', 'b', {});
    now = 150;
    log.reject('warning', 'protocol', 'c', {});
    expect(lines.map((l) => l.msg)).toEqual(['a', 'more connections rejected, not logged one by one', 'c']);
  });
});

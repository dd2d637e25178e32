/**
 * Rate-limited logging of rejected connections (framing errors such as an oversized frame or a bad length, and
 * protocol errors such as bad UTF-8 or bad JSON): at most `burst` lines per `intervalMs`, then one summary line
 * with the number suppressed at the end of the interval, so hostile input cannot flood the log. Time and the
 * timer are inputs (specs run it on virtual time).
 */
import type { LogLevelName } from '../config/daemon-config';
import type { Logger } from '../log/logger';
import type { LogCategory, LogFields } from '../log/logger-format';

export interface RejectionLogOptions {
  /** Lines logged per interval before suppression starts (default 20). */
  readonly burst?: number;
  /** Interval length in ms (default 10000). */
  readonly intervalMs?: number;
  /** Current time in ms (default `Date.now`). */
  readonly now?: () => number;
  /** Run `fn` after `ms` (default an unref'd `setTimeout`); returns a canceller. */
  readonly schedule?: (fn: () => void, ms: number) => () => void;
}

const defaultSchedule = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export class RejectionLog {
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly domain: string,
    opts: RejectionLogOptions = {},
  ) {
    this.burst = opts.burst ?? 20;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.schedule = opts.schedule ?? defaultSchedule;
  }

  /** A connection was rejected: log it unless over the rate. */
  reject(level: LogLevelName, category: LogCategory, msg: string, fields: LogFields): void {
    const now = this.now();
    if (now - this.windowStart >= this.intervalMs) {
      this.summarise();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.burst) {
      this.logged++;
      this.logger[level](category, msg, { domain: this.domain, ...fields });
      return;
    }
    this.suppressed++;
    this.cancel ??= this.schedule(
      () => {
        this.cancel = undefined;
        this.summarise();
      },
      this.windowStart + this.intervalMs - now,
    );
  }

  /** Log the summary of what was suppressed (also at shutdown). */
  summarise(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.suppressed === 0) return;
    this.logger.warning('protocol', 'more connections rejected, not logged one by one', {
      domain: this.domain,
      suppressed: this.suppressed,
      intervalMs: this.intervalMs,
    });
    this.suppressed = 0;
  }
}

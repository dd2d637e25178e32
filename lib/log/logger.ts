/**
 * The daemon's structured logger (spec §11.4): level filtering, a console sink (one line per record on stderr), a
 * size-rotating file sink and a syslog sink. Log text is not part of the pafd contract; the format is ours.
 *
 * Syslog (decision A1): Node has no AF_UNIX datagram sockets, so the datagram transport is injected as
 * `syslogSend`. When it is missing or the socket path does not exist, an explicitly requested syslog
 * (`LogConfig.syslogExplicit`) makes `createLogger` throw `LogSetupError` (the daemon prints it and exits 1);
 * the default syslog only gets one warning on stderr and the logger continues without it.
 */
import { existsSync, write as writeFd } from 'node:fs';
import type { LogConfig, LogLevelName } from '../config/daemon-config';
import { LOG_LEVELS, SYSLOG_FACILITIES } from '../config/log-names';
import { messageOf, PafConfigError } from '../errors';
import { RotatingFileSink } from './logger-file-sink';
import { formatLine, formatSyslog, type LogCategory, type LogFields, type LogRecord } from './logger-format';

export type { LogCategory, LogFields, LogRecord } from './logger-format';

/** A logging method: category, message and optional structured fields. */
export type LogMethod = (category: LogCategory, msg: string, fields?: LogFields) => void;

/** The logger used by the daemon. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warning: LogMethod;
  error: LogMethod;
  critical: LogMethod;
  /** True if records of `level` pass the filter (to skip building expensive fields). */
  isEnabled(level: LogLevelName): boolean;
  /** Flushes the console and file sinks and closes the file; later records are dropped. */
  close(): Promise<void>;
}

/** Injectable outputs and environment of the logger. */
export interface LoggerSinks {
  /** Writes text to stderr (console sink and warnings); default: a non-blocking stream on fd 2. */
  stderr?: (text: string) => void;
  /** Sends one datagram to a Unix datagram socket (provided by the transport layer). */
  syslogSend?: (path: string, data: Buffer) => void;
  /** Checks that the syslog socket exists (default `fs.existsSync`). */
  exists?: (path: string) => boolean;
  now?: () => Date;
  pid?: number;
  /** Syslog ident (default `rxpafd`). */
  ident?: string;
}

/** Logging cannot be set up as configured; the message is the complete line to print before exiting 1. */
export class LogSetupError extends PafConfigError {}

/**
 * The default stderr: text written to fd 2 asynchronously and in order, one `fs.write` at a time (what is logged
 * meanwhile goes out joined in the next one; a short write continues with the rest), so a slow terminal or pipe never
 * blocks the event loop. A write that fails is dropped (there is nowhere to report it), as Python's logging does. Not
 * a `fs.WriteStream`, which loads Node's file streams and fs/promises: ~0.6 MB of an idle daemon's RSS
 * (bench/README.md, "Idle RSS").
 */
export const stderrWriter = (fd = 2): { write: (t: string) => void; end: () => Promise<void> } => {
  let pending: string[] = [];
  let busy = false;
  const drained: Array<() => void> = [];
  const writeOut = (buf: Buffer): void =>
    writeFd(fd, buf, 0, buf.length, null, (err, n) => {
      if (err === null && n < buf.length) writeOut(buf.subarray(n));
      else next();
    });
  const next = (): void => {
    if (pending.length === 0) {
      busy = false;
      for (const resolve of drained.splice(0)) resolve();
      return;
    }
    busy = true;
    const buf = Buffer.from(pending.join(''));
    pending = [];
    writeOut(buf);
  };
  return {
    write: (t) => {
      pending.push(t);
      if (!busy) next();
    },
    end: () => new Promise((resolve) => (busy ? drained.push(resolve) : resolve())),
  };
};

const setupSyslog = (cfg: LogConfig, sinks: LoggerSinks, warn: (t: string) => void): ((r: LogRecord) => void) => {
  const send = sinks.syslogSend;
  const exists = sinks.exists ?? existsSync;
  const problem =
    send === undefined
      ? 'no Unix datagram transport for syslog'
      : !exists(cfg.syslogSocket)
        ? `syslog socket '${cfg.syslogSocket}' does not exist`
        : undefined;
  if (problem !== undefined || send === undefined) {
    if (cfg.syslogExplicit) throw new LogSetupError(`Error configuring logging: ${problem}.`);
    warn(`rxpafd: warning: ${problem}; continuing without syslog.\n`);
    return () => undefined;
  }
  const facility = SYSLOG_FACILITIES[cfg.facility] ?? SYSLOG_FACILITIES.daemon!;
  const ident = sinks.ident ?? 'rxpafd';
  const pid = sinks.pid ?? process.pid;
  let warned = false;
  return (r) => {
    try {
      send(cfg.syslogSocket, formatSyslog(r, facility, ident, pid));
    } catch (e) {
      if (!warned) warn(`rxpafd: warning: syslog send failed: ${messageOf(e)}.\n`);
      warned = true;
    }
  };
};

/**
 * Creates a logger for `cfg`. Throws `LogSetupError` when the log file cannot be opened or an explicitly
 * requested syslog is unavailable.
 */
export const createLogger = (cfg: LogConfig, sinks: LoggerSinks = {}): Logger => {
  const fallback = sinks.stderr === undefined ? stderrWriter() : undefined;
  const stderr = sinks.stderr ?? ((t: string) => fallback?.write(t));
  const now = sinks.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(cfg.filter);
  const outputs: Array<(r: LogRecord) => void> = [];
  if (cfg.console) outputs.push((r) => stderr(`${formatLine(r)}\n`));
  let file: RotatingFileSink | undefined;
  if (cfg.file !== undefined) {
    try {
      file = new RotatingFileSink(cfg.file, cfg.fileMaxSize, cfg.fileBackups, (m) => stderr(`rxpafd: ${m}\n`));
    } catch (e) {
      const reason = messageOf(e);
      throw new LogSetupError(`Error configuring logging: cannot open log file '${cfg.file}': ${reason}.`);
    }
    const sink = file;
    outputs.push((r) => sink.write(formatLine(r)));
  }
  if (cfg.syslog) outputs.push(setupSyslog(cfg, sinks, stderr));
  let closed = false;
  const isEnabled = (level: LogLevelName): boolean => !closed && LOG_LEVELS.indexOf(level) >= threshold;
  const method =
    (level: LogLevelName): LogMethod =>
    (category, msg, fields) => {
      if (!isEnabled(level)) return;
      const record: LogRecord = { time: now(), level, category, msg, ...(fields === undefined ? {} : { fields }) };
      for (const out of outputs) out(record);
    };
  return {
    debug: method('debug'),
    info: method('info'),
    warning: method('warning'),
    error: method('error'),
    critical: method('critical'),
    isEnabled,
    close: async () => {
      closed = true;
      await file?.close();
      await fallback?.end();
    },
  };
};

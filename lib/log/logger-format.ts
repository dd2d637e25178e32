/**
 * Text formats of the logger: the console/file line `<ISO time> <LEVEL> <category> <msg> key=value ...` and the
 * syslog datagram `<PRI>ident[pid]: [category] msg key=value ...`.
 */
import type { LogLevelName } from '../config/daemon-config';
import { SYSLOG_SEVERITY } from '../config/log-names';

/** Log categories; upstream uses them as the RFC 5424 msg-id (§11.4). */
export type LogCategory = 'security' | 'protocol' | 'core' | 'internal';

/** Structured fields attached to a record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One log record. */
export interface LogRecord {
  time: Date;
  level: LogLevelName;
  category: LogCategory;
  msg: string;
  fields?: LogFields;
}

const BARE = /^[^\s"=\\]+$/;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * `Date.prototype.toISOString()` (`YYYY-MM-DDTHH:mm:ss.sssZ`), composed from the UTC getters: V8's own
 * `toISOString` sets up its date cache, whose ICU time-zone data cost an idle daemon ~0.8 MB of RSS for its one
 * "listening" line (bench/README.md, "Idle RSS"). Years outside 0–9999 (expanded `±YYYYYY` form) are left to it.
 */
export const isoTime = (t: Date): string => {
  const y = t.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) return t.toISOString();
  return (
    `${pad(y, 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}` +
    `T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}.${pad(t.getUTCMilliseconds(), 3)}Z`
  );
};

const serialize = (v: unknown, depth: number): string => {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null || typeof v !== 'object') return String(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  if (depth > 4) return '"[...]"';
  if (Array.isArray(v)) return `[${v.map((x) => serialize(x, depth + 1)).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${serialize(x, depth + 1)}`).join(',')}}`;
};

/** Formats one field value: bare when safe, bigints as decimal, strings quoted when needed, objects as JSON. */
export const formatValue = (v: unknown): string => {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  return serialize(v, 0);
};

/** Formats the message and fields (`msg key=value ...`), on one line. */
export const formatText = (msg: string, fields?: LogFields): string => {
  const parts = [msg.replace(/\r?\n/g, '\\n')];
  for (const [k, v] of Object.entries(fields ?? {})) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' ');
};

/** The console and file line of a record, without the trailing newline. */
export const formatLine = (r: LogRecord): string =>
  `${isoTime(r.time)} ${r.level.toUpperCase()} ${r.category} ${formatText(r.msg, r.fields)}`;

/** The syslog datagram of a record: `<facility * 8 + severity>ident[pid]: [category] text`. */
export const formatSyslog = (r: LogRecord, facility: number, ident: string, pid: number): Buffer =>
  Buffer.from(
    `<${facility * 8 + SYSLOG_SEVERITY[r.level]}>${ident}[${pid}]: [${r.category}] ${formatText(r.msg, r.fields)}`,
  );

/**
 * The daemon's resolved configuration (after the configuration file and the command line have been merged, see
 * `resolveConfig`) and its defaults. The defaults mirror paf/conf.py (spec §11.3, §8.1).
 */

/** Per-socket TLS attributes of a configuration-file socket entry (`tls: {cert, key, tc, crl}`). */
export interface TlsSocketConfig {
  cert?: string;
  key?: string;
  tc?: string;
  /** Setting a CRL file also enables CRL checking. */
  crl?: string;
}

/** One server socket of a domain: an XCM address string plus optional TLS attributes. */
export interface SocketConfig {
  addr: string;
  tls?: TlsSocketConfig;
}

/** One Pathfinder domain: the sockets it listens on and its protocol and liveness parameters. */
export interface DomainConfig {
  /** Used for logging only. */
  name?: string;
  protocolVersion: { min: number; max: number };
  /** Idle limits in seconds (§8). */
  idle: { min: number; max: number };
  sockets: SocketConfig[];
}

/** Resource limits of one class (`total` per domain, or `user` per user per domain); unset = unlimited. */
export interface ResourceLimits {
  clients?: number;
  services?: number;
  subscriptions?: number;
}

/** The names of the log levels, least severe first. */
export type LogLevelName = 'debug' | 'info' | 'warning' | 'error' | 'critical';

/** Logging configuration (§11.4). */
export interface LogConfig {
  console: boolean;
  file?: string;
  fileBackups: number;
  fileMaxSize: number;
  syslog: boolean;
  /** Syslog was requested explicitly (file `syslog: true`/`syslog_socket`, or `-u`): a missing socket is fatal. */
  syslogExplicit: boolean;
  syslogSocket: string;
  facility: string;
  filter: LogLevelName;
}

/** Event-log recording (an rxpaf extension: root key `record`, options `--record`/`--record-outbound`/`--record-compress`). */
export interface RecordConfig {
  file: string;
  maxBytes: number;
  outbound: boolean;
  /** Checkpoint (snapshot + index line) every this many events (absent: the recorder's default; 0: never). */
  snapshotEvery?: number;
  /** Checkpoint every this many seconds of event time (absent: the recorder's default; 0: never). */
  snapshotSeconds?: number;
  /** Gzip rotated files (`file.N.gz`); absent: false. */
  compress?: boolean;
}

export type { HttpConfig } from './config-http';
import type { HttpConfig } from './config-http';

/**
 * Limits on each connection's queued output (root key `output_limits`, option `--output-limits`; README, "Slow
 * consumers"): over `hardBytes`, or over `softBytes` for `softSeconds`, a connection is cut as a slow consumer.
 * 0 disables a limit.
 */
export interface OutputLimitsConfig {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

/** Defaults of `output_limits` (the same numbers as the server library's). */
export const DEFAULT_OUTPUT_LIMITS_CONFIG: Readonly<OutputLimitsConfig> = Object.freeze({
  hardBytes: 64 * 1024 * 1024,
  softBytes: 16 * 1024 * 1024,
  softSeconds: 60,
});

/** The complete, validated daemon configuration. */
export interface DaemonConfig {
  domains: DomainConfig[];
  /** The same numbers apply to every domain; each domain keeps its own counters (A15). */
  resources: { total: ResourceLimits; user: ResourceLimits };
  log: LogConfig;
  /** `-r` hook specification (§11.7). */
  hook?: string;
  record?: RecordConfig;
  /** The HTTP listener (metrics, health, JSON API, dashboard); off when absent. */
  http?: HttpConfig;
  outputLimits: OutputLimitsConfig;
}

/** Lowest and highest protocol versions the server supports. */
export const SUPPORTED_PROTOCOL_VERSIONS = { min: 2, max: 3 } as const;

/** Default idle limits in seconds, also used for every command-line domain (§8.1). */
export const DEFAULT_IDLE = { min: 4, max: 30 } as const;

/** Lowest allowed `idle.min` (paf/conf.py `MIN_IDLE_MIN`). */
export const MIN_IDLE_MIN = 1;

/** Default `record.max_bytes`. */
export const DEFAULT_RECORD_MAX_BYTES = 100_000_000;

/**
 * Default logging configuration: structured lines on stderr, filter info, no file, and syslog only when asked
 * (`log.syslog: true` or `syslog_socket` in the file, or `-u`; facility daemon on `/dev/log`). pafd defaults to
 * syslog on and console off; rxpafd deliberately logs to stderr unless told otherwise (README, "Differences").
 */
export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  console: true,
  fileBackups: 0,
  fileMaxSize: 1_000_000,
  syslog: false,
  syslogExplicit: false,
  syslogSocket: '/dev/log',
  facility: 'daemon',
  filter: 'info',
});

/** Builds a domain with default protocol versions and idle limits, as command-line domains are (§11.2). */
export const defaultDomain = (addrs: readonly string[]): DomainConfig => ({
  protocolVersion: { ...SUPPORTED_PROTOCOL_VERSIONS },
  idle: { ...DEFAULT_IDLE },
  sockets: addrs.map((addr) => ({ addr })),
});

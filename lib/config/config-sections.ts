/**
 * Validation of the `resources` and `log` sections and of the rxpaf extension `record` (spec §11.3).
 */
import {
  DEFAULT_RECORD_MAX_BYTES,
  type OutputLimitsConfig,
  type LogConfig,
  type RecordConfig,
  type ResourceLimits,
} from './daemon-config';
import { ConfigError, checkType, joinPath, optional, optionalIntAtLeast, required } from './config-fields';
import { FACILITY_NAMES, LOG_LEVELS, isLogLevel, isSyslogFacility } from './log-names';

const RESOURCE_CLASSES = ['total', 'user'] as const;
const RESOURCE_TYPES: ReadonlyArray<keyof ResourceLimits> = ['clients', 'services', 'subscriptions'];

/** Validated `resources` section. */
export interface ResourcesConfig {
  total: ResourceLimits;
  user: ResourceLimits;
}

const parseLimits = (value: unknown, path: string): ResourceLimits => {
  const m = checkType(value, 'dict', path);
  const limits: ResourceLimits = {};
  for (const type of Object.keys(m)) {
    if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(`invalid resource type: '${type}' (valid types: ${RESOURCE_TYPES.join(' ')})`);
    }
    const v = optionalIntAtLeast(m, type, 0, path);
    if (v !== undefined) limits[type as keyof ResourceLimits] = v;
  }
  return limits;
};

/**
 * Validates `resources: {total: {...}, user: {...}}`: limit values are integers >= 0, unknown resource types
 * are errors, unknown resource classes are ignored. Throws `ConfigError`.
 */
export const parseResources = (value: unknown): ResourcesConfig => {
  const m = checkType(value, 'dict', 'resources');
  const out: ResourcesConfig = { total: {}, user: {} };
  for (const cls of RESOURCE_CLASSES) {
    const v = m[cls];
    if (v !== null && v !== undefined) out[cls] = parseLimits(v, joinPath('resources', cls));
  }
  return out;
};

const checkName = (v: string | undefined, path: string, valid: (s: string) => boolean, names: string[]): void => {
  if (v !== undefined && !valid(v)) {
    throw new ConfigError(`invalid ${path}: '${v}' (valid values: ${names.join(' ')})`);
  }
};

/**
 * Validates the `log` section into the settings it gives. `filter` and `facility` are checked against the known
 * names here (pafd fails later with an uncaught exception). `syslogExplicit` is set when the file asks for syslog
 * (`syslog: true`, or a `syslog_socket` without `syslog: false`). Throws `ConfigError`.
 */
export const parseLog = (value: unknown): Partial<LogConfig> => {
  const m = checkType(value, 'dict', 'log');
  const out: Partial<LogConfig> = {};
  const consoleOn = optional(m, 'console', 'bool', 'log');
  const file = optional(m, 'log_file', 'str', 'log');
  const fileBackups = optionalIntAtLeast(m, 'log_file_backup', 0, 'log');
  const fileMaxSize = optionalIntAtLeast(m, 'log_file_max_size', 0, 'log');
  const syslog = optional(m, 'syslog', 'bool', 'log');
  const syslogSocket = optional(m, 'syslog_socket', 'str', 'log');
  const facility = optional(m, 'facility', 'str', 'log');
  const filter = optional(m, 'filter', 'str', 'log');
  checkName(facility, 'log.facility', isSyslogFacility, [...FACILITY_NAMES]);
  checkName(filter, 'log.filter', isLogLevel, [...LOG_LEVELS]);
  if (consoleOn !== undefined) out.console = consoleOn;
  if (file !== undefined) out.file = file;
  if (fileBackups !== undefined) out.fileBackups = fileBackups;
  if (fileMaxSize !== undefined) out.fileMaxSize = fileMaxSize;
  if (syslog !== undefined) out.syslog = syslog;
  if (syslogSocket !== undefined) out.syslogSocket = syslogSocket;
  if (facility !== undefined) out.facility = facility;
  if (filter !== undefined && isLogLevel(filter)) out.filter = filter;
  out.syslogExplicit = syslog !== false && (syslog === true || syslogSocket !== undefined);
  if (out.syslogExplicit) out.syslog = true;
  return out;
};

/**
 * Validates the extension `record: {file, max_bytes, outbound, snapshot_every, snapshot_seconds, compress}`
 * (event-log recording): `file` is required, `max_bytes` is an integer >= 1 (default 100000000), `outbound` and
 * `compress` (gzip rotated files) booleans (default false), the checkpoint intervals integers >= 0 (0: never;
 * defaults in the recorder). Throws `ConfigError`.
 */
export const parseRecord = (value: unknown): RecordConfig => {
  const m = checkType(value, 'dict', 'record');
  const every = optionalIntAtLeast(m, 'snapshot_every', 0, 'record');
  const seconds = optionalIntAtLeast(m, 'snapshot_seconds', 0, 'record');
  return {
    file: required(m, 'file', 'str', 'record'),
    maxBytes: optionalIntAtLeast(m, 'max_bytes', 1, 'record') ?? DEFAULT_RECORD_MAX_BYTES,
    outbound: optional(m, 'outbound', 'bool', 'record') ?? false,
    ...(every !== undefined ? { snapshotEvery: every } : {}),
    ...(seconds !== undefined ? { snapshotSeconds: seconds } : {}),
    ...(optional(m, 'compress', 'bool', 'record') === true ? { compress: true } : {}),
  };
};

/**
 * Validates the extension `output_limits: {hard_bytes, soft_bytes, soft_seconds}` (slow consumers): integers >= 0,
 * 0 disables a limit; what is not given keeps its default. Throws `ConfigError`.
 */
export const parseOutputLimits = (value: unknown): Partial<OutputLimitsConfig> => {
  const m = checkType(value, 'dict', 'output_limits');
  const hard = optionalIntAtLeast(m, 'hard_bytes', 0, 'output_limits');
  const soft = optionalIntAtLeast(m, 'soft_bytes', 0, 'output_limits');
  const seconds = optionalIntAtLeast(m, 'soft_seconds', 0, 'output_limits');
  return {
    ...(hard !== undefined ? { hardBytes: hard } : {}),
    ...(soft !== undefined ? { softBytes: soft } : {}),
    ...(seconds !== undefined ? { softSeconds: seconds } : {}),
  };
};

/**
 * Names accepted for the log filter (`-l`, `log.filter`) and the syslog facility (`-y`, `log.facility`), with
 * their numeric values. Shared by the configuration parsers and the logger.
 */
import type { LogLevelName } from './daemon-config';

/** Log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevelName[] = ['debug', 'info', 'warning', 'error', 'critical'];

/** Syslog severities (RFC 3164) of the log levels. */
export const SYSLOG_SEVERITY: Readonly<Record<LogLevelName, number>> = {
  debug: 7,
  info: 6,
  warning: 4,
  error: 3,
  critical: 2,
};

/** Syslog facility codes by name, as in Python's `SysLogHandler.facility_names` (`security` is `auth`). */
export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  security: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Type guard for a valid log level name. */
export const isLogLevel = (s: string): s is LogLevelName => (LOG_LEVELS as readonly string[]).includes(s);

/** True if `s` names a syslog facility. */
export const isSyslogFacility = (s: string): boolean => Object.prototype.hasOwnProperty.call(SYSLOG_FACILITIES, s);

/** The facility names in a stable order, for error messages and usage text. */
export const FACILITY_NAMES: readonly string[] = Object.keys(SYSLOG_FACILITIES);

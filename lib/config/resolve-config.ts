/**
 * Merging the configuration file with the command line (spec §11.2): the file is applied first, any command-line
 * domain replaces all file domains, and every other option overrides the corresponding file setting.
 */
import * as E from '../util/either';
import {
  DEFAULT_LOG_CONFIG,
  DEFAULT_OUTPUT_LIMITS_CONFIG,
  DEFAULT_RECORD_MAX_BYTES,
  type OutputLimitsConfig,
  type DaemonConfig,
  type DomainConfig,
  type LogLevelName,
} from './daemon-config';
import type { PartialConfig } from './config-file';
import { DEFAULT_HTTP_HISTORY, type HttpAddress, type HttpConfig } from './config-http';

/** Settings taken from the command line; undefined = not given. */
export interface CliSettings {
  /** Command-line domains: positional ones first, then `-m` ones in order. */
  domains: DomainConfig[];
  console?: boolean;
  file?: string;
  fileBackups?: number;
  fileMaxSize?: number;
  /** `-n` */
  noSyslog?: boolean;
  syslogSocket?: string;
  facility?: string;
  filter?: LogLevelName;
  /** `-c N`; 0 clears the total client limit (B7). */
  totalClients?: number;
  hook?: string;
  recordFile?: string;
  recordOutbound?: boolean;
  recordCompress?: boolean;
  /** `--http <addr>`: enables the HTTP listener, or moves the configured one. */
  http?: HttpAddress;
  /** `--output-limits <hard>,<soft>,<seconds>`. */
  outputLimits?: OutputLimitsConfig;
}

const resolveLog = (file: PartialConfig['log'], cli: CliSettings): DaemonConfig['log'] => {
  const log = { ...DEFAULT_LOG_CONFIG, ...file };
  if (cli.console !== undefined) log.console = cli.console;
  if (cli.file !== undefined) log.file = cli.file;
  if (cli.fileBackups !== undefined) log.fileBackups = cli.fileBackups;
  if (cli.fileMaxSize !== undefined) log.fileMaxSize = cli.fileMaxSize;
  if (cli.facility !== undefined) log.facility = cli.facility;
  if (cli.filter !== undefined) log.filter = cli.filter;
  if (cli.syslogSocket !== undefined) {
    log.syslogSocket = cli.syslogSocket;
    log.syslog = true; // -u asks for syslog
    log.syslogExplicit = true;
  }
  if (cli.noSyslog === true) {
    log.syslog = false;
    log.syslogExplicit = false;
  }
  return log;
};

const resolveRecord = (file: PartialConfig['record'], cli: CliSettings): E.Either<string, DaemonConfig['record']> => {
  const recordFile = cli.recordFile ?? file?.file;
  if (recordFile === undefined) {
    return cli.recordOutbound === true || cli.recordCompress === true
      ? E.left(
          `Option --record-${cli.recordOutbound === true ? 'outbound' : 'compress'} requires --record <file> or a record file in the configuration.`,
        )
      : E.right(undefined);
  }
  return E.right({
    file: recordFile,
    maxBytes: file?.maxBytes ?? DEFAULT_RECORD_MAX_BYTES,
    outbound: cli.recordOutbound === true || (file?.outbound ?? false),
    ...(file?.snapshotEvery !== undefined ? { snapshotEvery: file.snapshotEvery } : {}),
    ...(file?.snapshotSeconds !== undefined ? { snapshotSeconds: file.snapshotSeconds } : {}),
    ...(cli.recordCompress === true || file?.compress === true ? { compress: true } : {}),
  });
};

/** `--http` enables the listener with defaults, or moves the one the file configures. */
const resolveHttp = (file: PartialConfig['http'], cli: HttpAddress | undefined): { http?: HttpConfig } => {
  if (file !== undefined) return { http: { ...file, ...cli } };
  return cli === undefined ? {} : { http: { ...cli, history: DEFAULT_HTTP_HISTORY } };
};

/**
 * Produces the final configuration from the (optional) configuration file and the command-line settings.
 * Fails with `No domains configured.` when there is no domain at all.
 */
export const resolveConfig = (file: PartialConfig | undefined, cli: CliSettings): E.Either<string, DaemonConfig> => {
  const domains = cli.domains.length > 0 ? cli.domains : (file?.domains ?? []);
  if (domains.length === 0) return E.left('No domains configured.');
  const total = { ...file?.resources?.total };
  if (cli.totalClients !== undefined) {
    if (cli.totalClients === 0) delete total.clients;
    else total.clients = cli.totalClients;
  }
  const record = resolveRecord(file?.record, cli);
  if (E.isLeft(record)) return record;
  return E.right({
    domains,
    resources: { total, user: { ...file?.resources?.user } },
    log: resolveLog(file?.log ?? {}, cli),
    ...(cli.hook === undefined ? {} : { hook: cli.hook }),
    ...(record.right === undefined ? {} : { record: record.right }),
    ...resolveHttp(file?.http, cli.http),
    outputLimits: { ...DEFAULT_OUTPUT_LIMITS_CONFIG, ...file?.outputLimits, ...cli.outputLimits },
  });
};

/**
 * The `rxpafd` command line (spec §11.1-11.2): pafd's options, parsed with POSIX getopt semantics, plus the rxpaf
 * extensions `--record <file>` and `--record-outbound` (event-log recording) and `--http <addr>` (the HTTP listener).
 *
 * Every error is one line meant for stderr, after which the caller exits with status 1. pafd prints configuration
 * errors on stdout; we use stderr for every error so that stdout only ever carries `-v`/`-h` output.
 */
import * as E from '../util/either';
import { readConfigFile, type PartialConfig } from '../config/config-file';
import { defaultDomain, type DaemonConfig } from '../config/daemon-config';
import { getopt, parsePyInt } from '../config/getopt';
import { parseHttpAddress } from '../config/config-http';
import { LOG_LEVELS, isLogLevel, isSyslogFacility } from '../config/log-names';
import { rxpafVersion } from '../version';
import { resolveConfig, type CliSettings } from '../config/resolve-config';

/** What the daemon should do, according to its command line. */
export type DaemonArgs =
  | { kind: 'run'; config: DaemonConfig }
  | { kind: 'version'; text: string }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

/** Injected I/O: reading the `-f` file (returns the text or the error). */
export interface DaemonArgsDeps {
  readFile(path: string): string | Error;
  /** Program name shown in the usage text (default `rxpafd`). */
  progName?: string;
}

/** pafd's getopt option string. */
export const DAEMON_SHORT_OPTS = 'f:m:sb:x:o:nu:l:y:c:r:vh';
const LONG_OPTS: readonly string[] = ['record=', 'record-outbound', 'record-compress', 'http=', 'output-limits='];

/** The pafd release whose behaviour rxpafd matches (decision A8: the version it is a drop-in for). */
export const PAFD_VERSION = '1.1.3';

/** The `-v` text: rxpaf's own version (package.json), the pafd behaviour it matches, the protocol versions. */
export const versionText = (): string =>
  `rxpafd version: ${rxpafVersion()} (rxpaf)\nMatches pafd version: ${PAFD_VERSION}\nProtocol version(s): 2 3`;

/** The `-h` text, modelled on pafd's usage. */
export const usageText = (prog: string): string =>
  [
    `${prog} [-s] [-l <level>] [-y <facility>] [-c <max-clients>] [-f <conf-file>]`,
    `${' '.repeat(prog.length)} [-r <hook>] [--record <file> [--record-outbound] [--record-compress]] [--http <addr>]`,
    `${' '.repeat(prog.length)} [--output-limits <hard>,<soft>,<seconds>]`,
    `${' '.repeat(prog.length)} [-m <addr0>+...+<addrN>] [<domain-addr> ...]`,
    `${prog} -v`,
    `${prog} -h`,
    'Options:',
    '  -f <conf-file>          Read configuration from <conf-file> (processed before other options).',
    '  -m <addr0>+...+<addrN>  Serve a domain with several sockets (may be repeated).',
    '  -s                      Enable logging to console (stderr).',
    '  -o <file>               Enable logging to <file>.',
    '  -b <n>                  Keep <n> rotated log file backups.',
    '  -x <bytes>              Rotate the log file when it reaches <bytes> (default 1000000).',
    '  -n                      Disable logging to syslog.',
    '  -u <path>               Syslog socket path (default /dev/log).',
    '  -y <facility>           Syslog facility (auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news,',
    '                          security, syslog, user, uucp, local0...local7; default daemon).',
    `  -l <level>              Log filter level (${LOG_LEVELS.join(', ')}; default info).`,
    '  -c <max-clients>        Limit the number of clients per domain (0 removes the limit).',
    '  -r <module.function>    Call a hook with the list of domains before serving.',
    '  --record <file>         Record the event log (NDJSON) to <file>.',
    '  --record-outbound       Also record outbound messages (requires a record file).',
    '  --record-compress       Gzip rotated record files (<file>.N.gz; requires a record file).',
    '  --http <addr>           Serve metrics, health, the JSON API and the dashboard on <addr>',
    '                          (<host>:<port>, [<ipv6>]:<port>, or <port> for 127.0.0.1:<port>).',
    '  --output-limits <hard>,<soft>,<seconds>',
    '                          Cut a connection as a slow consumer when its queued output exceeds <hard>',
    '                          bytes, or <soft> bytes for <seconds> (k/m/g suffixes; 0 disables a limit;',
    '                          default 64m,16m,60).',
    '  -v                      Print version information and exit.',
    '  -h                      Print this text and exit.',
  ].join('\n');

type Step = E.Either<string, undefined> | { kind: 'version' | 'help' };

const intOption = (value: string, what: string, set: (n: number) => void): Step => {
  const n = parsePyInt(value);
  if (n === undefined) return E.left(`${what} must be an integer.`);
  if (n < 0) return E.left(`${what} must not be negative.`);
  set(n);
  return E.right(undefined);
};

const splitDomain = (value: string): E.Either<string, string[]> => {
  const addrs = value.split('+');
  return addrs.some((a) => a === '') ? E.left(`Invalid multi-socket domain '${value}'.`) : E.right(addrs);
};

const SIZE_SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `<hard>,<soft>,<seconds>`: sizes in bytes with an optional k/m/g suffix (binary), seconds as an integer. */
export const parseOutputLimitsOption = (value: string): CliSettings['outputLimits'] | string => {
  const parts = value.split(',');
  if (parts.length !== 3) return 'expected <hard>,<soft>,<seconds>';
  const size = (s: string): number | undefined => {
    const m = /^(\d+)([kmg]?)$/i.exec(s.trim());
    return m === null ? undefined : Number(m[1]) * SIZE_SUFFIX[m[2]!.toLowerCase()]!;
  };
  const hardBytes = size(parts[0]!);
  const softBytes = size(parts[1]!);
  const seconds = /^\d+$/.test(parts[2]!.trim()) ? Number(parts[2]) : undefined;
  if (hardBytes === undefined || softBytes === undefined) return 'sizes are integers with an optional k, m or g';
  if (seconds === undefined) return 'seconds must be an integer';
  return { hardBytes, softBytes, softSeconds: seconds };
};

/** Options that only record their value (or presence). */
const SETTERS: Readonly<Record<string, (cli: CliSettings, value: string) => void>> = {
  '-s': (cli) => (cli.console = true),
  '-o': (cli, v) => (cli.file = v),
  '-n': (cli) => (cli.noSyslog = true),
  '-u': (cli, v) => (cli.syslogSocket = v),
  '-r': (cli, v) => (cli.hook = v),
  '--record': (cli, v) => (cli.recordFile = v),
  '--record-outbound': (cli) => (cli.recordOutbound = true),
  '--record-compress': (cli) => (cli.recordCompress = true),
};

/** Applies one (non `-f`) option to the settings. */
const applyOption = (opt: string, value: string, cli: CliSettings, multi: string[][]): Step => {
  switch (opt) {
    case '-m': {
      const addrs = splitDomain(value);
      if (E.isRight(addrs)) multi.push(addrs.right);
      return E.isLeft(addrs) ? addrs : E.right(undefined);
    }
    case '-b':
      return intOption(value, 'Backup file count', (n) => (cli.fileBackups = n));
    case '-x':
      return intOption(value, 'Max log file size', (n) => (cli.fileMaxSize = n));
    case '-c':
      return intOption(value, 'Client limit', (n) => (cli.totalClients = n));
    case '-y':
      if (!isSyslogFacility(value)) return E.left(`Invalid syslog facility '${value}'.`);
      cli.facility = value;
      return E.right(undefined);
    case '-l':
      if (!isLogLevel(value)) return E.left(`Invalid log level '${value}' (valid: ${LOG_LEVELS.join(', ')}).`);
      cli.filter = value;
      return E.right(undefined);
    case '--output-limits': {
      const limits = parseOutputLimitsOption(value);
      if (typeof limits === 'string') return E.left(`Invalid --output-limits '${value}': ${limits}.`);
      cli.outputLimits = limits;
      return E.right(undefined);
    }
    case '--http': {
      const address = parseHttpAddress(value);
      if (typeof address === 'string') return E.left(`Invalid --http: ${address}.`);
      cli.http = address;
      return E.right(undefined);
    }
    case '-v':
      return { kind: 'version' };
    case '-h':
      return { kind: 'help' };
    default:
      SETTERS[opt]!(cli, value); // getopt yields only DAEMON_SHORT_OPTS and LONG_OPTS: each is a case above or in SETTERS
      return E.right(undefined);
  }
};

/**
 * Parses the daemon's arguments (`process.argv.slice(2)`, i.e. without the program name). `-f` files are read
 * first (a later `-f` replaces an earlier one); the other options are then applied in order, so `-v`/`-h` win
 * only over options after them. Texts returned for `-v`/`-h` have no trailing newline.
 */
export const parseDaemonArgs = (argv: readonly string[], deps: DaemonArgsDeps): DaemonArgs => {
  const parsed = getopt(argv, DAEMON_SHORT_OPTS, LONG_OPTS);
  if (E.isLeft(parsed)) return { kind: 'error', message: `Error parsning command line: ${parsed.left}.` };
  const { opts, args } = parsed.right;
  let file: PartialConfig | undefined;
  for (const [opt, value] of opts) {
    if (opt !== '-f') continue;
    const conf = readConfigFile(value, (p) => deps.readFile(p));
    if (E.isLeft(conf)) return { kind: 'error', message: `Error reading configuration: ${conf.left}` };
    file = conf.right;
  }
  const cli: CliSettings = { domains: [] };
  const multi: string[][] = [];
  for (const [opt, value] of opts) {
    if (opt === '-f') continue;
    const step = applyOption(opt, value, cli, multi);
    if ('kind' in step) {
      return step.kind === 'version'
        ? { kind: 'version', text: versionText() }
        : { kind: 'help', text: usageText(deps.progName ?? 'rxpafd') };
    }
    if (E.isLeft(step)) return { kind: 'error', message: step.left };
  }
  cli.domains = [...args.map((a) => [a]), ...multi].map(defaultDomain);
  const config = resolveConfig(file, cli);
  return E.isLeft(config) ? { kind: 'error', message: config.left } : { kind: 'run', config: config.right };
};

/**
 * The `rxpaf-replay` command line: `rxpaf-replay [options] <file>...` (options and files in any order).
 *
 * @example
 * parseReplayArgs(['events.ndjson', '--at', '2024-05-01T10:00:00Z', '--json'])
 * // right({ files: ['events.ndjson'], mode: { kind: 'at', point: { kind: 'time', at: 1714557600 } }, json: true, … })
 */
import * as E from 'fp-ts/Either';
import { parseArgs } from 'node:util';

/** A point in a log: an event sequence number or a time (seconds since the epoch). */
export type LogPoint = { readonly kind: 'seq'; readonly seq: number } | { readonly kind: 'time'; readonly at: number };

export type ReplayMode =
  | { readonly kind: 'summary' }
  | { readonly kind: 'at'; readonly point: LogPoint }
  | { readonly kind: 'service'; readonly id: bigint }
  | { readonly kind: 'client'; readonly id: bigint }
  | { readonly kind: 'verify' };

export interface ReplayArgs {
  readonly files: readonly string[];
  readonly mode: ReplayMode;
  readonly json: boolean;
  readonly progress: boolean;
  readonly domain: number | undefined;
  /**
   * Threads for the summary and `--verify` (`--jobs`): stretches of an indexed log replayed in parallel
   * (lib/replay/replay-parallel.ts).
   */
  readonly jobs: number;
  readonly help: boolean;
}

export const REPLAY_USAGE = `usage: rxpaf-replay [options] <file>...
Re-runs a log recorded with \`rxpafd --record <file>\` through the reducer (no sockets, virtual time).
Give rotated files oldest first: rxpaf-replay events.ndjson.2 events.ndjson.1 events.ndjson
Every rotated file starts with a snapshot of the directory, so the newest file also replays on its own.
  (default)          summary: events, clients, services and subscriptions over time, orphans expired
  --at <point>       the directory at <point>: an event seq (integer below 10^9), seconds since the epoch,
                     or an ISO 8601 time (the state after the last event at or before it)
  --json             with --at: print JSON instead of tables
  --service <id>     history of one service      --client <id>   history of one client
  --verify           check that replay sends exactly the recorded outbound messages (exit 1 if not)
  --domain <n>       only domain <n> (index in the configuration)
  --jobs <n>         summary and --verify: replay stretches of the log between its checkpoints on <n> threads
                     at once, each from its checkpoint's snapshot (needs the index beside the log; default 1);
                     --verify verifies again from the start on one thread if a stretch does not match
  --progress         progress bar on stderr (default: when stderr is a terminal)
Exit status: 0 ok, 1 corrupt log or divergence, 2 usage error.
`;

/** Parse a `--at` value. */
export const parseLogPoint = (s: string): LogPoint | undefined => {
  if (/^\d+$/.test(s) && Number(s) < 1e9) return { kind: 'seq', seq: Number(s) };
  if (/^\d+(\.\d+)?$/.test(s)) return { kind: 'time', at: Number(s) };
  const ms = /^\d{4}-\d\d-\d\d/.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? undefined : { kind: 'time', at: ms / 1000 };
};

const parseId = (s: string): bigint | undefined => (/^\d{1,19}$/.test(s) ? BigInt(s) : undefined);

export const parseReplayArgs = (argv: readonly string[]): E.Either<string, ReplayArgs> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        at: { type: 'string' },
        json: { type: 'boolean' },
        service: { type: 'string' },
        client: { type: 'string' },
        verify: { type: 'boolean' },
        progress: { type: 'boolean' },
        domain: { type: 'string' },
        jobs: { type: 'string', short: 'j' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return E.left(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  const base = { json: v.json === true, progress: v.progress === true, help: v.help === true };
  if (base.help) return E.right({ ...base, files: [], mode: { kind: 'summary' }, domain: undefined, jobs: 1 });
  const modes = (['at', 'service', 'client', 'verify'] as const).filter((k) => v[k] !== undefined);
  if (modes.length > 1) return E.left(`--${modes[0]} and --${modes[1]} cannot be combined`);
  if (parsed.positionals.length === 0) return E.left('no log file given');
  let domain: number | undefined;
  if (v.domain !== undefined) {
    if (!/^\d+$/.test(v.domain)) return E.left(`invalid --domain '${v.domain}'`);
    domain = Number(v.domain);
  }
  let jobs = 1;
  if (v.jobs !== undefined) {
    if (!/^[1-9]\d{0,2}$/.test(v.jobs)) return E.left(`invalid --jobs '${v.jobs}' (1 to 999)`);
    jobs = Number(v.jobs);
  }
  let mode: ReplayMode = { kind: 'summary' };
  if (v.at !== undefined) {
    const point = parseLogPoint(v.at);
    if (point === undefined) return E.left(`invalid --at '${v.at}' (a seq, epoch seconds or an ISO 8601 time)`);
    mode = { kind: 'at', point };
  } else if (v.service !== undefined || v.client !== undefined) {
    const kind = v.service !== undefined ? 'service' : 'client';
    const id = parseId((v.service ?? v.client)!);
    if (id === undefined) return E.left(`invalid --${kind} id '${v.service ?? v.client}'`);
    mode = { kind, id };
  } else if (v.verify === true) mode = { kind: 'verify' };
  if (base.json && mode.kind !== 'at') return E.left('--json needs --at');
  if (jobs > 1 && mode.kind !== 'summary' && mode.kind !== 'verify')
    return E.left(`--jobs is for the summary and --verify, not --${mode.kind}`);
  return E.right({ ...base, files: parsed.positionals, mode, domain, jobs });
};

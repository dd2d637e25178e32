/**
 * `rxpaf-replay` (also `rxpafd replay …`): re-run a recorded event log and report (see {@link REPLAY_USAGE}).
 *
 * Output goes to stdout; a corrupt line is reported on stderr after the report of everything before it, as
 * `<file>:<line>: <reason>`, with exit status 1 — except a partial last line without a newline (a crash while
 * writing), which is only a warning.
 *
 * @example
 * const status = await runReplayCli(['events.ndjson', '--verify'], process);
 * process.exitCode = status;
 */
import * as E from 'fp-ts/Either';
import { readFileSync } from 'node:fs';
import { filter, lastValueFrom, takeWhile, tap } from 'rxjs';

import type { DomainState } from '../state/model';
import { directoryJson, directoryView, isoTime, renderDirectory } from '../replay/replay-directory';
import { History } from '../replay/replay-history';
import { Replayer, ReplayError, replayItems$, type ReplayItem } from '../replay/replay';
import { progressBar, readLines$ } from '../replay/replay-read';
import { Summary } from '../replay/replay-summary';
import { Verifier } from '../replay/replay-verify';
import { parseReplayArgs, REPLAY_USAGE, type ReplayArgs } from './replay-args';

export interface ReplayCliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

/** Run the CLI; resolves to the exit status. */
export const runReplayCli = async (argv: readonly string[], io: ReplayCliIo = process): Promise<number> => {
  const parsed = parseReplayArgs(argv);
  if (E.isLeft(parsed)) {
    io.stderr.write(`rxpaf-replay: ${parsed.left}\n${REPLAY_USAGE}`);
    return 2;
  }
  const args = parsed.right;
  if (args.help) {
    io.stdout.write(REPLAY_USAGE);
    return 0;
  }
  const starts: Array<{ file: string; before: number }> = [];
  const bar = args.progress || io.stderr.isTTY === true ? progressBar(io.stderr) : undefined;
  const replayer = new Replayer();
  const report = analysis(args, replayer);
  let failure: unknown;
  try {
    await lastValueFrom(
      replayItems$(
        readLines$(args.files, { onProgress: bar?.update, onFile: (file, before) => starts.push({ file, before }) }),
        replayer,
      ).pipe(
        filter((i) => args.domain === undefined || domainOf(i) === args.domain),
        takeWhile((i) => report.more(i)),
        tap((i) => report.add(i)),
      ),
      { defaultValue: undefined },
    );
  } catch (e) {
    failure = e;
  }
  bar?.end();
  for (const [d, dom] of replayer.domains)
    if (dom.partial && (args.domain === undefined || args.domain === d))
      io.stderr.write(`rxpaf-replay: warning: domain ${d} starts in a rotated file; earlier state is missing\n`);
  let status = report.end(io, failure === undefined);
  if (failure instanceof ReplayError) {
    const at = starts.filter((s) => s.before < failure.line).pop() ?? { file: args.files[0]!, before: 0 };
    const where = `${at.file}:${failure.line - at.before}`;
    if (isPartialLastLine(args.files, failure.line)) {
      io.stderr.write(`rxpaf-replay: warning: ${where}: incomplete last line ignored (${failure.reason})\n`);
    } else {
      io.stderr.write(`rxpaf-replay: ${where}: ${failure.reason} (everything before it was replayed)\n`);
      status = 1;
    }
  } else if (failure !== undefined) {
    io.stderr.write(`rxpaf-replay: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    status = 1;
  }
  return status;
};

const domainOf = (i: ReplayItem): number => {
  switch (i.kind) {
    case 'step':
      return i.step.domain;
    case 'domain':
      return i.header.d;
    case 'out':
      return i.out.d;
    case 'snapshot':
      return i.snapshot.d;
  }
};

interface Analysis {
  /** False once the item is past what the analysis needs (it is then not added). */
  more(i: ReplayItem): boolean;
  add(i: ReplayItem): void;
  /** `complete`: the whole log was read (false after a corrupt or truncated line). */
  end(io: ReplayCliIo, complete: boolean): number;
}

const analysis = (args: ReplayArgs, replayer: Replayer): Analysis => {
  const mode = args.mode;
  switch (mode.kind) {
    case 'summary': {
      const s = new Summary();
      return {
        more: () => true,
        add: (i) => {
          if (i.kind === 'domain') s.domain(i.header.d, i.header.name, i.header.now);
          else if (i.kind === 'snapshot' && i.adopted) s.resume(i.snapshot.d, i.snapshot.state.now);
          else if (i.kind === 'step') s.add(i.step);
        },
        end: (io) => (io.stdout.write(s.render()), 0),
      };
    }
    case 'service':
    case 'client': {
      const h = new History(mode.kind === 'service' ? { service: mode.id } : { client: mode.id });
      return {
        more: () => true,
        add: (i) => i.kind === 'step' && h.add(i.step),
        end: (io) => (io.stdout.write(h.render()), 0),
      };
    }
    case 'verify': {
      const v = new Verifier();
      return { more: () => true, add: (i) => v.add(i), end: (io, complete) => verifyReport(v, io, complete) };
    }
    case 'at': {
      const at = new Map<number, { seq: number | undefined; state: DomainState }>();
      /** Domains whose log starts (with a snapshot) after the point: their state there is unknown. */
      const later = new Map<number, number>();
      const p = mode.point;
      return {
        more: (i) => {
          if (i.kind === 'step') return p.kind === 'seq' ? i.step.seq <= p.seq : i.step.at <= p.at;
          if (i.kind !== 'snapshot') return true;
          const { d, seq, state } = i.snapshot;
          if (p.kind === 'seq' ? seq <= p.seq : state.now <= p.at) return true;
          if (i.adopted) later.set(d, seq);
          return false;
        },
        add: (i) => {
          if (i.kind === 'step') at.set(i.step.domain, { seq: i.step.seq, state: i.step.state });
          else if (i.kind === 'snapshot' && i.adopted)
            at.set(i.snapshot.d, { seq: i.snapshot.seq < 0 ? undefined : i.snapshot.seq, state: i.snapshot.state });
          else if (i.kind === 'domain') {
            const dom = replayer.domains.get(i.header.d);
            if (dom !== undefined && !at.has(i.header.d)) at.set(i.header.d, { seq: undefined, state: dom.state });
          }
        },
        end: (io) => {
          for (const [d, seq] of later) {
            io.stderr.write(`rxpaf-replay: warning: domain ${d} starts after that point (snapshot after seq ${seq})\n`);
            at.delete(d);
          }
          const docs = [...at].map(([d, { seq, state }]) => ({ d, seq, view: directoryView(state) }));
          if (args.json) {
            const texts = docs.map(({ d, seq, view }) => directoryJson(view, { domain: d, seq: seq ?? null }));
            io.stdout.write(texts.length === 1 ? texts[0]! : `[\n${texts.join(',\n')}]\n`);
          } else
            for (const { d, seq, view } of docs)
              io.stdout.write(`domain ${d}, after seq ${seq ?? '-'} (${isoTime(view.now)})\n${renderDirectory(view)}`);
          return 0;
        },
      };
    }
  }
};

const verifyReport = (v: Verifier, io: ReplayCliIo, complete: boolean): number => {
  if (!v.recorded) {
    io.stdout.write('verify: the log has no outbound messages (record with outbound on: --record-outbound)\n');
    return 1;
  }
  // messages still unmatched when a log is cut short may just have been cut off: only a complete log checks them
  const d = complete ? v.finish() : v.first();
  if (d === undefined) {
    const upTo = complete ? '' : ' (up to the bad line)';
    io.stdout.write(`verify: ok, ${v.matched} outbound messages reproduced${upTo}\n`);
    return 0;
  }
  io.stdout.write(
    `verify: divergence after ${v.matched} matching messages\n` +
      `  seq ${d.seq ?? '-'} (log line ${d.line}), domain ${d.domain}, conn ${d.conn}\n` +
      `  expected: ${d.expected ?? '(nothing)'}\n` +
      `  actual:   ${d.actual ?? '(nothing)'}\n`,
  );
  return 1;
};

/** Whether `line` (1-based, across `files`) is the last line and the last file does not end with a newline. */
const isPartialLastLine = (files: readonly string[], line: number): boolean => {
  try {
    let lines = 0;
    let text = '';
    for (const f of files) {
      text = readFileSync(f, 'utf8');
      lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    }
    return !text.endsWith('\n') && line === lines;
  } catch {
    return false;
  }
};

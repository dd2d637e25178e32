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
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

import { messageOf } from '../errors';
import type { DomainState } from '../state/model';
import type { LogRecord } from '../replay/event-codec';
import { mayContain, readIndex, type IndexEntry } from '../replay/log-index';
import { directoryJson, directoryView, isoTime, renderDirectory } from '../replay/replay-directory';
import { History } from '../replay/replay-history';
import { Replayer, ReplayError, type BatchObserver, type ReplayBatch, type ReplayItem } from '../replay/replay-core';
import { progressBar } from '../replay/replay-read';
import { LineError, readHeaderAt, readRecordAt, runFiles, type FileStart, type ReplaySink } from '../replay/replay-run';
import { Summary } from '../replay/replay-summary';
import { Verifier } from '../replay/replay-verify';
import { parseReplayArgs, REPLAY_USAGE, type LogPoint, type ReplayArgs } from './replay-args';

export interface ReplayCliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
}

/**
 * For the replay process only (the binaries call it; the library does not touch V8's flags): grow the heap by at
 * most 2x its live size after a full collection, instead of V8's adaptive factor of up to 4x that a replay's high
 * allocation rate picks. A replay's peak RSS is then about the directory plus a constant (bench/README.md, "Replay").
 *
 * The young generation is left to grow to V8's maximum (a 32 MB new space). It was stopped at 16 MB until 7 December:
 * on the benchmark's 1,000,000-input log, whose directory is 10,000 services, the larger one gains nothing (summary
 * A/B wall 1.02, spread 0.94-1.07, 6 pairs; peak RSS 107 -> 123 MB); on issue 15's own log, whose directory grows to
 * 100,000 services, every publish's data survives a scavenge or two, and a young generation twice the size halves the
 * scavenges (265 -> 131) and the CPU by 14 % (A/B cpu 0.86, wall 0.88, 6 pairs; peak RSS level at ~226 MB).
 */
export const tuneReplayHeap = (): void => {
  setFlagsFromString('--heap-growing-percent=100');
};

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
  const warn = (s: string): unknown => io.stderr.write(`rxpaf-replay: warning: ${s}\n`);
  let failure: unknown;
  try {
    const onFile = (file: string, before: number): number => starts.push({ file, before });
    await report.run(async (from, sink) => {
      if (from[0]?.entry !== undefined) replayer.reset(); // a seek: the checkpoint's snapshots set every state
      const into = inDomain(args, sink);
      for (const f of from) if (f.offset !== undefined && f.offset > 0) await seekHeaders(replayer, f, into);
      return runFiles(from, replayer, into, { onProgress: bar?.update, onFile });
    }, warn);
  } catch (e) {
    failure = e;
  }
  bar?.end();
  for (const [d, dom] of replayer.domains)
    if (dom.partial && (args.domain === undefined || args.domain === d) && report.later?.has(d) !== true)
      warn(`domain ${d} starts in a rotated file; earlier state is missing`);
  let status = report.end(io, failure === undefined);
  if (failure instanceof ReplayError) {
    const at = starts.filter((s) => s.before < failure.line).pop() ?? { file: args.files[0]!, before: 0 };
    const where = `${at.file}:${failure.line - at.before}`;
    if (failure instanceof LineError && failure.partial) {
      warn(`${where}: incomplete last line ignored (${failure.reason})`);
    } else {
      io.stderr.write(`rxpaf-replay: ${where}: ${failure.reason} (everything before it was replayed)\n`);
      status = 1;
    }
  } else if (failure !== undefined) {
    io.stderr.write(`rxpaf-replay: ${messageOf(failure)}\n`);
    status = 1;
  }
  return status;
};

/**
 * Before reading from a checkpoint in the middle of a file: the headers of its domains, as a rotated file's, and
 * its snapshots when they were written after the events that follow it (then reading starts at those events).
 */
const seekHeaders = async (replayer: Replayer, f: Seek, sink: ReplaySink): Promise<void> => {
  for (const [, offset] of f.entry?.headers ?? []) {
    const h = await readHeaderAt(f.file, offset);
    if (h !== undefined) replayer.feed({ ...h, rotated: true }, 0);
  }
  for (const [d, offset, line] of f.entry?.snapshots ?? []) {
    const r = await readRecordAt(f.file, offset);
    if (E.isLeft(r)) throw new ReplayError(line, `the snapshot of the checkpoint: ${r.left}`);
    if (r.right.kind !== 'snapshot' || r.right.d !== d)
      throw new ReplayError(line, 'the index points at no snapshot of that domain here');
    sink.item(replayer.feed(r.right, line));
  }
};

/** Only the records of `--domain`, if given. */
const inDomain = (args: ReplayArgs, sink: ReplaySink): ReplaySink =>
  args.domain === undefined
    ? sink
    : {
        batchable: sink.batchable,
        stop: sink.stop,
        ...(sink.outbound !== undefined ? { outbound: sink.outbound } : {}),
        ...(sink.outBytes !== undefined
          ? { outBytes: (d, ...rest) => d === args.domain && sink.outBytes!(d, ...rest) }
          : {}),
        ...(sink.release !== undefined ? { release: sink.release } : {}),
        ...(sink.quiet !== undefined ? { quiet: sink.quiet } : {}),
        item: (i) => domainOf(i) === args.domain && sink.item(i),
        batch: (b) => b.domain === args.domain && sink.batch(b),
        ...(sink.each !== undefined ? { each: onlyDomain(args.domain, sink.each) } : {}),
      };

const onlyDomain =
  (d: number, each: BatchObserver): BatchObserver =>
  (rec, ...rest) =>
    rec.d === d && each(rec, ...rest);

/** A place to start reading: a file, and the checkpoint of its index to start from. */
interface Seek extends FileStart {
  readonly entry?: IndexEntry;
}
type Run = (from: readonly Seek[], sink: ReplaySink) => Promise<'end' | 'stopped'>;

const whole = (files: readonly string[]): Seek[] => files.map((file) => ({ file }));
const fromEntry = (file: string, entry: IndexEntry): Seek => ({ file, offset: entry.offset, line: entry.line, entry });
const indexes = (files: readonly string[]): Array<IndexEntry[] | undefined> =>
  files.map((f) => (f.endsWith('.gz') ? undefined : readIndex(f, statSync(f).size)));

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
  /** Replay what the analysis needs (`run` reads from the given starting points); `warn` says what is slow. */
  run(run: Run, warn: (s: string) => void): Promise<unknown>;
  /** `complete`: the whole log was read (false after a corrupt or truncated line). */
  end(io: ReplayCliIo, complete: boolean): number;
  /** Domains the analysis reports on itself as starting later (no "earlier state is missing" warning). */
  readonly later?: ReadonlyMap<number, number>;
}

const every = (): boolean => true;

const analysis = (args: ReplayArgs, replayer: Replayer): Analysis => {
  const mode = args.mode;
  switch (mode.kind) {
    case 'summary': {
      const s = new Summary();
      return {
        run: (run) =>
          // events folded 256 a call, each one's outcome seen as it is folded (no per-event states or steps)
          run(whole(args.files), {
            batchable: every,
            outbound: false,
            quiet: true,
            item: (i) => {
              if (i.kind === 'domain') s.domain(i.header.d, i.header.name, i.header.now);
              else if (i.kind === 'snapshot' && i.adopted) s.resume(i.snapshot.d, i.snapshot.state.now);
              else if (i.kind === 'step') s.add(i.step);
            },
            each: s.each,
            batch: () => {},
          }),
        end: (io) => (io.stdout.write(s.render()), 0),
      };
    }
    case 'service':
    case 'client':
      return history(args, mode, replayer);
    case 'verify': {
      const v = new Verifier((b) => replayer.expand(b));
      return {
        run: async (run) => {
          // recorded messages are compared by their bytes, decoded and parsed only if they differ from the replayed ones
          const sink: ReplaySink = {
            batchable: every,
            outbound: 'bytes',
            outBytes: (d, conn, b, start, end, lineStart, line) =>
              v.addOutBytes(d, conn, b, start, end, lineStart, line),
            release: (b) => v.release(b),
            item: (i) => v.add(i),
            batch: (b) => v.addBatch(b),
          };
          const r = await run(whole(args.files), sink);
          if (r === 'end') v.checkUnmatched();
          return r;
        },
        end: (io, complete) => verifyReport(v, io, complete),
      };
    }
    case 'at':
      return atPoint(args, mode.point, replayer);
  }
};

/** `--at`: the directory after the last event at or before a point, from the nearest checkpoint before it. */
const atPoint = (args: ReplayArgs, p: LogPoint, replayer: Replayer): Analysis => {
  const at = new Map<number, { seq: number | undefined; state: DomainState }>();
  /** Domains whose log starts (with a snapshot) after the point: their state there is unknown. */
  const later = new Map<number, number>();
  const before = (seq: number, time: number): boolean => (p.kind === 'seq' ? seq <= p.seq : time <= p.at);
  const sink: ReplaySink = {
    batchable: every,
    outbound: false,
    quiet: true,
    stop: (r: LogRecord) => {
      if (r.kind === 'event') return !before(r.seq, r.event.now);
      if (r.kind !== 'snapshot') return false;
      if (before(r.seq, r.state.now)) return false;
      const dom = replayer.domains.get(r.d);
      if (dom === undefined || dom.partial || r.seq > replayer.lastSeq) later.set(r.d, r.seq);
      return true;
    },
    item: (i) => {
      if (i.kind === 'step') at.set(i.step.domain, { seq: i.step.seq, state: i.step.state });
      else if (i.kind === 'snapshot' && i.adopted)
        at.set(i.snapshot.d, { seq: i.snapshot.seq < 0 ? undefined : i.snapshot.seq, state: i.snapshot.state });
      else if (i.kind === 'domain') {
        const dom = replayer.domains.get(i.header.d);
        if (dom !== undefined && !at.has(i.header.d)) at.set(i.header.d, { seq: undefined, state: dom.state });
      }
    },
    batch: (b: ReplayBatch) => at.set(b.domain, { seq: b.records[b.records.length - 1]!.seq, state: b.state }),
  };
  return {
    later,
    run: (run, warn) => {
      const idx = indexes(args.files);
      // the last checkpoint at or before the point, in the newest file that has one
      for (let i = args.files.length - 1; i >= 0; i--) {
        const entry = idx[i]?.filter((e) => before(e.seq, e.at)).pop();
        if (entry !== undefined)
          return run([fromEntry(args.files[i]!, entry), ...whole(args.files.slice(i + 1))], sink);
      }
      if (idx.some((x) => x === undefined)) warn('no index beside the log: replaying from its start (slow)');
      return run(whole(args.files), sink);
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
};

/**
 * `--service`/`--client`: a history. Batches are re-run event by event only when they touch the target. With an
 * index, the stretches between checkpoints where the target neither exists nor can appear are skipped.
 */
const history = (
  args: ReplayArgs,
  mode: { readonly kind: 'service' | 'client'; readonly id: bigint },
  replayer: Replayer,
): Analysis => {
  const h = new History(mode.kind === 'service' ? { service: mode.id } : { client: mode.id });
  const id = mode.id;
  const exists = (s: DomainState): boolean => (mode.kind === 'service' ? s.services.has(id) : s.clients.has(id));
  const touches = (b: ReplayBatch): boolean =>
    mode.kind === 'service'
      ? b.effects.some(
          (f) => f.type === 'change' && (f.change.kind === 'removed' ? f.change.before : f.change.after).id === id,
        )
      : b.prev.clients.get(id) !== b.state.clients.get(id) ||
        b.effects.some(
          (f) =>
            f.type === 'change' &&
            (f.change.kind === 'modified'
              ? f.change.before.clientId === id || f.change.after.clientId === id
              : (f.change.kind === 'removed' ? f.change.before : f.change.after).clientId === id),
        );
  const sink = (stop?: (r: LogRecord) => boolean): ReplaySink => ({
    batchable: every,
    outbound: false,
    quiet: true,
    ...(stop !== undefined ? { stop } : {}),
    item: (i) => i.kind === 'step' && h.add(i.step),
    batch: (b) => {
      if (touches(b)) for (const step of replayer.expand(b)) h.add(step);
    },
  });
  /** Whether the target may appear between checkpoint `k - 1` and `k` (the filter of checkpoint `k`). */
  const mayAppear = (e: IndexEntry): boolean => mayContain(mode.kind === 'service' ? e.services : e.clients, id);
  return {
    run: async (run, warn) => {
      const idx = indexes(args.files);
      if (idx.some((x) => x === undefined)) warn('no index beside the log: replaying all of it (slow)');
      for (const [i, file] of args.files.entries()) {
        const entries = idx[i];
        if (entries === undefined || entries.length === 0) {
          await run([{ file }], sink());
          continue;
        }
        // segments: [start, e0], (e0, e1], …, (e_last, end); segment k ends at entry k (the last one never ends)
        const candidate = (k: number): boolean => k >= entries.length || mayAppear(entries[k]!);
        let k = 0;
        while (k <= entries.length) {
          while (!candidate(k)) k++;
          const startAt: Seek = k === 0 ? { file } : fromEntry(file, entries[k - 1]!);
          let next = k; // the segment being replayed
          const stopAt = (r: LogRecord): boolean => {
            if (r.kind !== 'event') return false;
            while (next < entries.length && r.seq > entries[next]!.seq) next++;
            if (next === k) return false;
            // a new segment: go on while the target exists or may appear in it; else skip to where it may
            k = next;
            const alive = [...replayer.domains.values()].some((d) => exists(d.state));
            return !alive && !candidate(next);
          };
          if ((await run([startAt], sink(stopAt))) === 'end') break;
          k = next;
        }
      }
    },
    end: (io) => (io.stdout.write(h.render()), 0),
  };
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
    if (v.unchecked > 0)
      io.stdout.write(
        `verify: ${v.unchecked} replayed message${v.unchecked === 1 ? '' : 's'} of the inputs from log line ` +
          `${v.uncheckedFrom} on not checked: the log ends before its recorded messages\n`,
      );
    return 0;
  }
  io.stdout.write(
    `verify: divergence after ${v.matched} matching messages\n` +
      `  seq ${d.seq ?? '-'} (log line ${d.line}), domain ${d.domain}, conn ${d.conn}\n` +
      `  expected: ${d.expected ?? '(nothing)'}\n` +
      `  actual:   ${d.actual ?? '(nothing)'}\n` +
      (d.inputs.length === 0
        ? ''
        : `  inputs that led to it (conn ${d.conn} and timer ticks, last ${d.inputs.length}):\n` +
          d.inputs.map((x) => `    line ${x.line}: ${x.text}\n`).join('')),
  );
  return 1;
};

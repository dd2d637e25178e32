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
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

import { messageOf } from '../errors';
import type { DomainState } from '../state/model';
import type { LogRecord } from '../replay/event-codec';
import { mayContain, readIndex, type IndexEntry } from '../replay/log-index';
import { directoryJson, directoryView, isoTime, renderDirectory } from '../replay/replay-directory';
import { History } from '../replay/replay-history';
import { Replayer, ReplayError, type BatchObserver, type ReplayBatch, type ReplayItem } from '../replay/replay-core';
import { progressBar } from '../replay/replay-read';
import { fromCheckpoint, planStretches, wholeFiles, type Stretch, type StretchStart } from '../replay/replay-parallel';
import {
  LineError,
  readHeaderAt,
  readRecordAt,
  runFiles,
  type ReplaySink,
  type RunOptions,
} from '../replay/replay-run';
import { Summary, type SummaryPart } from '../replay/replay-summary';
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
  const bar = args.progress || io.stderr.isTTY === true ? progressBar(io.stderr) : undefined;
  const warn = (s: string): unknown => io.stderr.write(`rxpaf-replay: warning: ${s}\n`);
  if ((args.mode.kind === 'summary' || args.mode.kind === 'verify') && args.jobs > 1) {
    const idx = indexes(args.files);
    const plan = planStretches(
      args.files,
      args.files.map((f) => statSync(f).size),
      idx,
      args.jobs,
    );
    if (plan !== undefined)
      return args.mode.kind === 'summary'
        ? parallelSummary(args, plan, io, bar, warn)
        : parallelVerify(args, plan, io, bar, warn);
    warn(
      idx.some((x) => x !== undefined && x.length > 0)
        ? 'no checkpoint worth starting another thread from (none past the start, or their snapshots are large ' +
            'beside the log): one thread'
        : 'no checkpoint to start a second thread from (an index beside the log is needed): one thread',
    );
  }
  return oneThread(args, io, bar, warn);
};

/** The replay of the whole log on this thread, in any mode. */
const oneThread = async (
  args: ReplayArgs,
  io: ReplayCliIo,
  bar: ReturnType<typeof progressBar> | undefined,
  warn: (s: string) => unknown,
): Promise<number> => {
  const starts: FileMark[] = [];
  const replayer = new Replayer();
  const report = analysis(args, replayer);
  let failure: unknown;
  try {
    const onFile = (file: string, before: number): number => starts.push({ file, before });
    await report.run(runner(args, replayer, { onProgress: bar?.update, onFile }), warn);
  } catch (e) {
    failure = e;
  }
  bar?.end();
  for (const d of partialDomains(replayer))
    if ((args.domain === undefined || args.domain === d) && report.later?.has(d) !== true)
      warn(`domain ${d} starts in a rotated file; earlier state is missing`);
  const status = report.end(io, failure === undefined);
  return failure === undefined ? status : reportFailure(failureOf(failure, starts, args.files), io, warn, status);
};

/** Where a file's lines start in a run's line numbers. */
interface FileMark {
  readonly file: string;
  readonly before: number;
}

/** Why a replay stopped before the end: a line of a file (`partial`: an unterminated last line), or else. */
type Failure =
  | { readonly kind: 'line'; readonly where: string; readonly reason: string; readonly partial: boolean }
  | { readonly kind: 'other'; readonly message: string };

const failureOf = (e: unknown, starts: readonly FileMark[], files: readonly string[]): Failure => {
  if (!(e instanceof ReplayError)) return { kind: 'other', message: messageOf(e) };
  const at = starts.filter((s) => s.before < e.line).pop() ?? { file: files[0]!, before: 0 };
  return {
    kind: 'line',
    where: `${at.file}:${e.line - at.before}`,
    reason: e.reason,
    partial: e instanceof LineError && e.partial,
  };
};

/** Say why the replay stopped; the exit status (`status` unless the log is corrupt). */
const reportFailure = (f: Failure, io: ReplayCliIo, warn: (s: string) => unknown, status: number): number => {
  if (f.kind === 'other') {
    io.stderr.write(`rxpaf-replay: ${f.message}\n`);
    return 1;
  }
  if (f.partial) {
    warn(`${f.where}: incomplete last line ignored (${f.reason})`);
    return status;
  }
  io.stderr.write(`rxpaf-replay: ${f.where}: ${f.reason} (everything before it was replayed)\n`);
  return 1;
};

/** The domains a replay began without their earlier state (a rotated file's header without a snapshot). */
const partialDomains = (replayer: Replayer): number[] =>
  [...replayer.domains].filter(([, dom]) => dom.partial).map(([d]) => d);

/** Read from the given starting points into `sink` (seeking to a checkpoint first if the first one is one). */
const runner =
  (args: ReplayArgs, replayer: Replayer, opts: RunOptions): Run =>
  async (from, sink) => {
    if (from[0]?.entry !== undefined) replayer.reset(); // a seek: the checkpoint's snapshots set every state
    const into = inDomain(args, sink);
    for (const f of from) if (f.offset !== undefined && f.offset > 0) await seekHeaders(replayer, f, into);
    return runFiles(from, replayer, into, opts);
  };

/** What the summary of one stretch of a log found (plain data: what a worker thread sends back). */
export interface StretchResult {
  readonly part: SummaryPart;
  /** Domains that began without their earlier state, at the stretch's end. */
  readonly partial: readonly number[];
  readonly failure?: Failure;
}

/**
 * The summary of one stretch of a log (`--jobs`): replayed from where it starts up to its last event. Run by the
 * worker threads (./replay-worker.ts), and by the main thread for the first stretch.
 */
export const summaryStretch = async (
  args: ReplayArgs,
  stretch: Stretch,
  onProgress?: (done: number) => void,
): Promise<StretchResult> => {
  const replayer = new Replayer();
  const s = new Summary();
  const starts: FileMark[] = [];
  let failure: Failure | undefined;
  try {
    await runStretch(args, stretch, replayer, summarySink(s), onProgress, (file, before) =>
      starts.push({ file, before }),
    );
  } catch (e) {
    failure = failureOf(e, starts, args.files);
  }
  return { part: s.part(), partial: partialDomains(replayer), ...(failure !== undefined ? { failure } : {}) };
};

/** Replay one stretch into `sink`: from where it starts up to its last event (and that event's recorded messages). */
const runStretch = (
  args: ReplayArgs,
  stretch: Stretch,
  replayer: Replayer,
  sink: ReplaySink,
  onProgress?: (done: number) => void,
  onFile?: (file: string, before: number) => unknown,
): Promise<'end' | 'stopped'> => {
  const until = stretch.until;
  return runner(args, replayer, {
    onProgress: (done) => onProgress?.(done),
    ...(onFile !== undefined ? { onFile } : {}),
  })(stretch.from, until === undefined ? sink : { ...sink, stop: (r) => r.kind === 'event' && r.seq > until });
};

/** What the verification of one stretch of a log found (plain data: what a worker thread sends back). */
export interface VerifyStretchResult {
  /**
   * Every message recorded in the stretch matched one the replay sent, none is left over on either side, the log
   * has outbound messages, no domain began without its earlier state, and no line was bad: the stretch ends as it
   * would in a replay from the start, with nothing carried over into the next one.
   */
  readonly clean: boolean;
  /** The messages matched. */
  readonly matched: number;
}

/**
 * `--verify --jobs`: the verification of one stretch of a log, from the snapshot of its checkpoint up to its last
 * event. Run by the worker threads (./replay-worker.ts), and by the main thread for the first stretch.
 */
export const verifyStretch = async (
  args: ReplayArgs,
  stretch: Stretch,
  onProgress?: (done: number) => void,
): Promise<VerifyStretchResult> => {
  const replayer = new Replayer();
  const v = new Verifier((b) => replayer.expand(b));
  try {
    const r = await runStretch(args, stretch, replayer, verifySink(v), onProgress);
    if (r === 'end') v.checkUnmatched();
  } catch {
    return { clean: false, matched: v.matched };
  }
  return { clean: v.recorded && v.settled() && partialDomains(replayer).length === 0, matched: v.matched };
};

/** The worker threads' entry (built next to this file; absent when running from the sources, as the specs do). */
const WORKER = join(__dirname, 'replay-worker.js');

/**
 * A stretch replayed on a worker thread (./replay-worker.ts: its summary or its verification, by `args`); `progress`
 * gets the bytes it has read so far.
 */
const onThread = <R>(
  args: ReplayArgs,
  stretch: Stretch,
  progress: (done: number) => void,
): { readonly result: Promise<R>; readonly stop: () => unknown } => {
  const w = new Worker(WORKER, { workerData: { args, stretch } });
  const result = new Promise<R>((resolve, reject) => {
    w.on('message', (m: { kind: 'progress'; done: number } | { kind: 'done'; result: R }) => {
      if (m.kind === 'progress') progress(m.done);
      else resolve(m.result);
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`a replay thread exited (${code}) before its result`)));
  });
  result.catch(() => {}); // (a thread stopped before its result, after a failure before its stretch, is not awaited)
  return { result, stop: () => w.terminate() };
};

/**
 * The stretches of `plan` replayed at once by `stretch`: the first on this thread, the others each on a worker thread
 * (from the sources, where no worker entry is built, one after the other on this thread). Their results in log order,
 * up to the first one for which `last` holds (the threads still running are stopped then).
 */
const stretchesAtOnce = async <R>(
  args: ReplayArgs,
  plan: readonly Stretch[],
  bar: ReturnType<typeof progressBar> | undefined,
  stretch: (args: ReplayArgs, stretch: Stretch, onProgress: (done: number) => void) => Promise<R>,
  last: (r: R) => boolean,
): Promise<R[]> => {
  const total = args.files.reduce((n, f) => n + statSync(f).size, 0);
  const done = plan.map(() => 0);
  const progress = (k: number) => (d: number) => {
    done[k] = d;
    bar?.update(
      done.reduce((a, b) => a + b, 0),
      total,
    );
  };
  const threads = existsSync(WORKER);
  const running = plan.map((s, k) => (k > 0 && threads ? onThread<R>(args, s, progress(k)) : undefined));
  const results: R[] = [];
  try {
    for (const [k, s] of plan.entries()) {
      const r = await (running[k]?.result ?? stretch(args, s, progress(k)));
      results.push(r);
      if (last(r)) break;
    }
  } finally {
    for (const t of running) await t?.stop();
  }
  return results;
};

/** A mode on several threads: the exit status. */
type InParallel = (
  args: ReplayArgs,
  plan: readonly Stretch[],
  io: ReplayCliIo,
  bar: ReturnType<typeof progressBar> | undefined,
  warn: (s: string) => unknown,
) => Promise<number>;

/**
 * `--jobs`: the summary from stretches replayed at once, the first on this thread and the others each on a worker
 * thread, merged in log order. A stretch that stops at a bad line ends the report there, as a replay from the start
 * would (the stretches after it are not counted).
 */
const parallelSummary: InParallel = async (args, plan, io, bar, warn) => {
  const results = await stretchesAtOnce(args, plan, bar, summaryStretch, (r) => r.failure !== undefined);
  bar?.end();
  // a domain began without its earlier state if it still did at the end of the last stretch that has it
  const partial = new Set<number>();
  for (const r of results) {
    for (const dp of r.part.domains) partial.delete(dp.d);
    for (const d of r.partial) partial.add(d);
  }
  for (const d of partial)
    if (args.domain === undefined || args.domain === d)
      warn(`domain ${d} starts in a rotated file; earlier state is missing`);
  io.stdout.write(Summary.merge(results.map((r) => r.part)).render());
  const failure = results[results.length - 1]!.failure;
  return failure === undefined ? 0 : reportFailure(failure, io, warn, 0);
};

/**
 * `--verify --jobs`: the stretches verified at once, the first on this thread and the others each on a worker thread.
 * When every stretch is clean ({@link VerifyStretchResult.clean}), a replay from the start would have matched the same
 * messages, stretch after stretch, and found nothing else: the report is theirs. Otherwise (a divergence, a message
 * left over at a stretch's end that a later one might have matched, a log cut short, a bad line) the log is verified
 * again from the start on this thread, for the report one thread gives, with the same line numbers and inputs.
 */
const parallelVerify: InParallel = async (args, plan, io, bar, warn) => {
  const results = await stretchesAtOnce(args, plan, bar, verifyStretch, (r) => !r.clean);
  bar?.end();
  if (results.some((r) => !r.clean)) return oneThread(args, io, bar, warn);
  const matched = results.reduce((n, r) => n + r.matched, 0);
  io.stdout.write(`verify: ok, ${matched} outbound messages reproduced\n`);
  return 0;
};

/**
 * Before reading from a checkpoint in the middle of a file: the headers of its domains, as a rotated file's, and
 * its snapshots when they were written after the events that follow it (then reading starts at those events).
 */
const seekHeaders = async (replayer: Replayer, f: StretchStart, sink: ReplaySink): Promise<void> => {
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

type Run = (from: readonly StretchStart[], sink: ReplaySink) => Promise<'end' | 'stopped'>;

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

/** The summary's sink: events folded 256 a call, each one's outcome seen as it is folded (no per-event steps). */
const summarySink = (s: Summary): ReplaySink => ({
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
});

const analysis = (args: ReplayArgs, replayer: Replayer): Analysis => {
  const mode = args.mode;
  switch (mode.kind) {
    case 'summary': {
      const s = new Summary();
      return {
        run: (run) => run(wholeFiles(args.files), summarySink(s)),
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
          const r = await run(wholeFiles(args.files), verifySink(v));
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

/** A verifier's sink: recorded messages compared by their bytes, decoded and parsed only if they differ from the replayed ones. */
const verifySink = (v: Verifier): ReplaySink => ({
  batchable: every,
  outbound: 'bytes',
  outBytes: (d, conn, b, start, end, lineStart, line) => v.addOutBytes(d, conn, b, start, end, lineStart, line),
  release: (b) => v.release(b),
  item: (i) => v.add(i),
  batch: (b) => v.addBatch(b),
});

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
          return run([fromCheckpoint(args.files[i]!, entry), ...wholeFiles(args.files.slice(i + 1))], sink);
      }
      if (idx.some((x) => x === undefined)) warn('no index beside the log: replaying from its start (slow)');
      return run(wholeFiles(args.files), sink);
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
          const startAt: StretchStart = k === 0 ? { file } : fromCheckpoint(file, entries[k - 1]!);
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

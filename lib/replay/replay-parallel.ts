/**
 * A replay in parallel (`rxpaf-replay --jobs N`): a log with an index is cut at some of its checkpoints into
 * consecutive stretches of about equal bytes, and each stretch is replayed on its own thread from the snapshot of the
 * checkpoint where it starts, up to the last event before the next cut. A checkpoint's snapshot is the state a replay
 * from the start has there (what `--at` relies on), so the stretches see the events, states and effects a replay of
 * the whole would see, and their summaries merge into its summary (./replay-summary.ts `Summary.merge`).
 *
 * @example
 * const plan = planStretches(files, sizes, indexes, 2);
 * // [{ from: [{ file }], until: 499_999 }, { from: [{ file, offset, line, entry }] }]
 */
import type { IndexEntry } from './log-index';
import type { FileStart } from './replay-run';

/** Where a replay starts reading: a file, from its start or from a checkpoint of its index (`entry`). */
export interface StretchStart extends FileStart {
  readonly entry?: IndexEntry;
}

/** `files` read whole. */
export const wholeFiles = (files: readonly string[]): StretchStart[] => files.map((file) => ({ file }));
/** `file` read from its checkpoint `entry`. */
export const fromCheckpoint = (file: string, entry: IndexEntry): StretchStart => ({
  file,
  offset: entry.offset,
  line: entry.line,
  entry,
});

/** A stretch of a log: its files from where it starts, and the seq of its last event (none: to the end). */
export interface Stretch {
  readonly from: readonly StretchStart[];
  readonly until?: number;
}

/**
 * What a stretch starting at a checkpoint pays first, in bytes of log: decoding its snapshots. A snapshot decodes at
 * 10-20 MB/s (a 20 MB one of 92,000 services in 1.1-1.9 s), a replay reads 40-190 MB of log a second: a byte of
 * snapshot costs about 10 of log. Below {@link SMALL_SNAPSHOT} it is not counted (tens of ms, less than a thread
 * takes to start); an index written before checkpoints recorded their size counts none.
 */
export const SNAPSHOT_COST = 10;
export const SMALL_SNAPSHOT = 1 << 20;
const snapshotCost = (e: IndexEntry): number =>
  e.bytes !== undefined && e.bytes >= SMALL_SNAPSHOT ? SNAPSHOT_COST * e.bytes : 0;

/** Stretches are not worth their threads when the largest is still this share of the whole. */
export const USELESS_SHARE = 0.8;

/**
 * Cut `files` (oldest first; `sizes` their byte sizes, `indexes` their checkpoints, `undefined` for a file without an
 * index) into at most `jobs` stretches at the checkpoints nearest to equal shares of the bytes, leaving out those whose
 * snapshots cost more than half a share to decode ({@link SNAPSHOT_COST}). `undefined` if there is nothing to cut at
 * (one job, no checkpoint past a file's start, none worth it) or if the largest stretch, its snapshot's cost included,
 * would still be {@link USELESS_SHARE} of the whole: replay it whole.
 */
export const planStretches = (
  files: readonly string[],
  sizes: readonly number[],
  indexes: ReadonlyArray<readonly IndexEntry[] | undefined>,
  jobs: number,
): Stretch[] | undefined => {
  const before: number[] = [];
  let total = 0;
  for (const size of sizes) {
    before.push(total);
    total += size;
  }
  // every checkpoint, with its place in the whole log's bytes (none at the very start: nothing before it)
  const points: Array<{ readonly fi: number; readonly entry: IndexEntry; readonly at: number }> = [];
  indexes.forEach((entries, fi) => {
    for (const entry of entries ?? []) {
      const at = before[fi]! + entry.offset;
      if (
        at > 0 &&
        (points.length === 0 || at > points[points.length - 1]!.at) &&
        snapshotCost(entry) <= total / jobs / 2
      )
        points.push({ fi, entry, at });
    }
  });
  const cuts: typeof points = [];
  for (let j = 1; j < jobs; j++) {
    const target = (total * j) / jobs;
    const after = cuts.length === 0 ? -1 : cuts[cuts.length - 1]!.at;
    let best: (typeof points)[number] | undefined;
    for (const p of points)
      if (p.at > after && (best === undefined || Math.abs(p.at - target) < Math.abs(best.at - target))) best = p;
    if (best !== undefined) cuts.push(best);
  }
  if (cuts.length === 0) return undefined;
  // the largest stretch, its snapshots' cost included
  let largest = 0;
  for (let k = 0; k <= cuts.length; k++) {
    const end = k < cuts.length ? cuts[k]!.at : total;
    const start = k > 0 ? cuts[k - 1] : undefined;
    largest = Math.max(largest, start === undefined ? end : end - start.at + snapshotCost(start.entry));
  }
  if (largest >= USELESS_SHARE * total) return undefined;
  return [undefined, ...cuts].map((c, k) => {
    const next = cuts[k];
    const from =
      c === undefined
        ? wholeFiles(files)
        : [fromCheckpoint(files[c.fi]!, c.entry), ...wholeFiles(files.slice(c.fi + 1))];
    return next === undefined ? { from } : { from, until: next.entry.seq };
  });
};

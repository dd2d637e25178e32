/**
 * Size rotation of the event log: `file.keep-1` → `file.keep`, …, `file.1` → `file.2`, `file` → `file.1` (the
 * oldest beyond `keep` is overwritten). Synchronous: it runs inside the recorder's per-turn flush, between two
 * complete lines, and costs a handful of renames.
 *
 * @example
 * rotateFiles('/tmp/events.ndjson', 5); // events.ndjson → events.ndjson.1, events.ndjson.1 → events.ndjson.2, …
 */
import { existsSync, renameSync, unlinkSync } from 'node:fs';

import { indexFile } from './log-index';

/**
 * The rotated files of `file`, oldest first, followed by `file` itself: the order to replay them in. A rotated file
 * the recorder compressed is `file.N.gz` (while it is being compressed, `file.N` is still there and is taken).
 */
export const rotatedFiles = (file: string, keep = 5): string[] => {
  const out: string[] = [];
  for (let i = keep; i >= 1; i--)
    if (existsSync(`${file}.${i}`)) out.push(`${file}.${i}`);
    else if (existsSync(`${file}.${i}.gz`)) out.push(`${file}.${i}.gz`);
  if (existsSync(file)) out.push(file);
  return out;
};

/**
 * Shift `file` and its rotated predecessors by one, keeping at most `keep` rotated files (0: just delete `file`).
 * Each file's sidecar index (`<name>.idx`) and compressed form (`<name>.gz`) move with it.
 */
export const rotateFiles = (file: string, keep: number): void => {
  const move = (from: string, to: string | undefined): void => {
    if (!existsSync(from)) return;
    for (const [f, t] of [
      [from, to],
      [indexFile(from), to === undefined ? undefined : indexFile(to)],
    ] as const) {
      if (existsSync(f)) {
        if (t === undefined) unlinkSync(f);
        else renameSync(f, t);
      } else if (t !== undefined && existsSync(t)) unlinkSync(t); // never leave an index beside the wrong file
    }
  };
  const moveGz = (from: string, to: string | undefined): void => {
    if (existsSync(`${from}.gz`)) {
      if (to === undefined) unlinkSync(`${from}.gz`);
      else renameSync(`${from}.gz`, `${to}.gz`);
    } else if (to !== undefined && existsSync(`${to}.gz`)) unlinkSync(`${to}.gz`);
  };
  if (keep <= 0) return move(file, undefined);
  if (existsSync(`${file}.${keep}.gz`)) unlinkSync(`${file}.${keep}.gz`); // the oldest beyond `keep`
  for (let i = keep - 1; i >= 1; i--) {
    move(`${file}.${i}`, `${file}.${i + 1}`);
    moveGz(`${file}.${i}`, `${file}.${i + 1}`);
  }
  move(file, `${file}.1`);
};

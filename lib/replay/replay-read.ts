/**
 * Reading logs for replay: the lines of one or more files (in order) as an Observable, streamed in 256 KiB chunks,
 * with progress callbacks; and a progress bar for stderr.
 *
 * @example
 * replay$(readLines$(rotatedFiles('events.ndjson'))).subscribe((step) => console.log(step.seq));
 */
import { statSync } from 'node:fs';
import { Observable } from 'rxjs';

import { messageOf, PafReplayError } from '../errors';
import { fileChunks } from './replay-run';

/** Options of {@link readLines$}. */
export interface ReadOptions {
  /** Called after every chunk with the bytes read so far and the total size of all files. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called when a file starts, with the number of lines emitted before it (to map line numbers to files). */
  readonly onFile?: (file: string, linesBefore: number) => void;
}

/**
 * Where {@link readLines$} keeps its files and options on the observable it returns: `replay$` given that observable
 * as it is reads the files itself, with {@link linesOf$} skipping outbound lines by their bytes.
 */
export const LOG_FILES = Symbol('rxpaf.logFiles');
interface LogFiles {
  readonly files: readonly string[];
  readonly opts: ReadOptions;
}

/**
 * The lines of `files`, concatenated (`.gz` files gunzipped); a last line without a newline is emitted too. A file
 * that cannot be read errors the observable with `PafReplayError` (the file system's error as its `cause`).
 */
export const readLines$ = (files: readonly string[], opts: ReadOptions = {}): Observable<string> =>
  Object.assign(linesOf$(files, opts), { [LOG_FILES]: { files, opts } });

/**
 * The files and options of an observable made by {@link readLines$} and not transformed since (`undefined` for
 * any other observable).
 */
export const logFilesOf = (lines$: Observable<string>): LogFiles | undefined =>
  (lines$ as Observable<string> & { [LOG_FILES]?: LogFiles })[LOG_FILES];

/**
 * {@link readLines$}'s lines; those `skip` accepts by their bytes (`replay$`: the outbound lines as the recorder
 * frames them, which it passes over) are emitted as empty strings, not decoded (a line still, for the numbering), and
 * so are the long lines `skipLong` accepts by their head (`replay$`: the snapshots it has passed; see `fileChunks`:
 * asked once every line before it was emitted).
 */
export const linesOf$ = (
  files: readonly string[],
  opts: ReadOptions,
  skip?: (b: Uint8Array, start: number, end: number) => boolean,
  skipLong?: (b: Uint8Array, start: number, end: number) => boolean,
): Observable<string> =>
  new Observable<string>((sub) => {
    let total = 0;
    let lines = 0;
    let file = '';
    /** A file that cannot be read: PafReplayError at the line it would have gone on with, the fs error as cause. */
    const unreadable = (e: unknown): PafReplayError =>
      new PafReplayError(lines + 1, `cannot read ${file}: ${messageOf(e)}`, { cause: e });
    try {
      for (const f of files) {
        file = f;
        total += statSync(f).size;
      }
    } catch (e) {
      sub.error(unreadable(e));
      return undefined;
    }
    let done = 0;
    const run = async (): Promise<void> => {
      for (const f of files) {
        file = f;
        opts.onFile?.(f, lines);
        // (one chunk buffer read again and again: the lines are strings of their own)
        for await (const chunk of fileChunks(f, 0, (b) => (done += b), skip, '', true, skipLong)) {
          for (const l of chunk.lines) {
            if (sub.closed) return;
            lines++;
            sub.next(l);
          }
          opts.onProgress?.(done, total);
        }
      }
      sub.complete();
    };
    run().catch((e: unknown) => sub.error(unreadable(e)));
    return undefined;
  });

/** Writable side of a terminal. */
export interface ProgressStream {
  write(s: string): unknown;
  readonly columns?: number;
}

/** A progress bar redrawn at most every 100 ms; call `end()` to erase it. */
export const progressBar = (
  out: ProgressStream,
  label = 'replaying',
): { readonly update: (done: number, total: number) => void; readonly end: () => void } => {
  let last = 0;
  let shown = false;
  return {
    update: (done, total) => {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      shown = true;
      const width = Math.max(10, Math.min(50, (out.columns ?? 80) - label.length - 30));
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const fill = Math.round(frac * width);
      const mb = (n: number): string => (n / 1048576).toFixed(1);
      out.write(
        `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MiB`,
      );
    },
    end: () => {
      if (shown) out.write('\r\x1b[K');
      shown = false;
    },
  };
};

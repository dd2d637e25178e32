/**
 * The event recorder: appends every event that enters a domain's reducer (and optionally every message sent) to
 * an NDJSON file in the format of ./event-codec.ts, so an incident can be replayed later (see ./replay.ts).
 *
 * Writing never stalls the event loop for long: lines are buffered in memory and written with one synchronous
 * `fs.writeSync` per event-loop turn (`setImmediate`), so a crash loses at most the current turn and every line on
 * disk is complete (the reader tolerates a partial last line anyway). Files rotate by size: when a line would make
 * the file exceed `maxBytes`, `file.N-1` → `file.N` … `file` → `file.1` (keeping `keep` old files) and a new `file`
 * starts with every domain's header again, flagged `rotated` (a rotated file continues its predecessor: replaying
 * it alone starts from an empty directory, so replay `file.2 file.1 file` in that order to see everything).
 *
 * @example
 * const rec = createRecorder({ file: '/var/log/rxpaf/events.ndjson', maxBytes: 64 << 20, outbound: true });
 * const server = await createServer({ domains, onStart: rec.header, onEvents: rec.events, onOutbound: rec.outbound });
 * // … later
 * await server.close();
 * await rec.close();
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

import type { Event } from '../state/events';
import type { ConnId } from '../state/model';
import { encodeEventLine, encodeHeaderLine, encodeOutLine, type DomainInfo } from './event-codec';
import { rotateFiles } from './record-rotate';

export interface RecorderOptions {
  readonly file: string;
  /** Rotate when the file would exceed this many bytes (default: never). */
  readonly maxBytes?: number;
  /** Number of rotated files kept (`file.1` … `file.keep`, default 5). */
  readonly keep?: number;
  /** Also record every outbound message (needed by `rxpaf-replay --verify`). */
  readonly outbound?: boolean;
  /** Called once if writing fails; recording then stops (the server keeps running). Default: ignore. */
  readonly onError?: (error: unknown) => void;
}

/** The recorder's methods are bound: pass them directly as `createServer`'s `onStart`/`onEvents`/`onOutbound`. */
export interface Recorder {
  /** Record a domain's start (settings, seed, start time); must come before its events. */
  header(domainIndex: number, info: DomainInfo): void;
  /** Record a batch of events, as the reducer is about to see it. */
  events(domainIndex: number, batch: readonly Event[]): void;
  /** Record one sent message (ignored unless `outbound` is on). */
  outbound(domainIndex: number, conn: ConnId, json: string): void;
  /** Write what is buffered now (synchronously). */
  flush(): void;
  /** Flush and close the file. */
  close(): Promise<void>;
}

/** Open (create or append to) the log file; throws the `fs` error if it cannot be opened. */
export const createRecorder = (opts: RecorderOptions): Recorder => {
  const maxBytes = opts.maxBytes ?? 0;
  const keep = opts.keep ?? 5;
  const headers = new Map<number, DomainInfo>();
  let fd: number | undefined = openSync(opts.file, 'a+');
  const tail = readTail(fd, fstatSync(fd).size);
  if (tail.complete < tail.size) ftruncateSync(fd, tail.complete); // drop a partial line left by a crash
  let size = tail.complete;
  let seq = tail.lastSeq + 1;
  let pending: string[] = [];
  let immediate: NodeJS.Immediate | undefined;

  const fail = (e: unknown): void => {
    pending = [];
    if (fd !== undefined) closeQuietly(fd);
    fd = undefined;
    opts.onError?.(e);
  };
  const write = (text: string): void => {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd!, buf, off);
    size += buf.length;
  };
  const headerLines = (rotated: boolean): string =>
    [...headers].map(([d, info]) => encodeHeaderLine(d, info, { outbound: opts.outbound, rotated }) + '\n').join('');
  const rotate = (): void => {
    closeSync(fd!);
    fd = undefined;
    rotateFiles(opts.file, keep);
    fd = openSync(opts.file, 'w');
    size = 0;
    write(headerLines(true));
  };
  const flush = (): void => {
    if (immediate !== undefined) clearImmediate(immediate);
    immediate = undefined;
    if (fd === undefined || pending.length === 0) return;
    const lines = pending;
    pending = [];
    try {
      let chunk = '';
      let chunkBytes = 0;
      for (const line of lines) {
        const n = Buffer.byteLength(line);
        if (maxBytes > 0 && size + chunkBytes + n > maxBytes && size + chunkBytes > 0) {
          if (chunk !== '') write(chunk);
          rotate();
          chunk = '';
          chunkBytes = 0;
        }
        chunk += line;
        chunkBytes += n;
      }
      if (chunk !== '') write(chunk);
    } catch (e) {
      fail(e);
    }
  };
  const push = (line: string): void => {
    if (fd === undefined) return;
    pending.push(line + '\n');
    immediate ??= setImmediate(flush);
  };

  return {
    header: (d, info) => {
      headers.set(d, info);
      push(encodeHeaderLine(d, info, { outbound: opts.outbound }));
    },
    events: (d, batch) => {
      for (const e of batch) push(encodeEventLine(seq++, d, e));
    },
    outbound: (d, conn, json) => {
      if (opts.outbound === true) push(encodeOutLine(d, conn, json));
    },
    flush,
    close: async () => {
      flush();
      if (fd !== undefined) closeQuietly(fd);
      fd = undefined;
    },
  };
};

const closeQuietly = (fd: number): void => {
  try {
    closeSync(fd);
  } catch {
    // already closed or broken: nothing left to do
  }
};

/**
 * Inspect the tail of an existing file: where its last complete line ends, and the `seq` of its last event line
 * (appending continues the numbering; -1 if none).
 */
const readTail = (fd: number, size: number): { size: number; complete: number; lastSeq: number } => {
  if (size === 0) return { size, complete: 0, lastSeq: -1 };
  const len = Math.min(size, 1 << 16);
  const buf = Buffer.alloc(len);
  const n = readSync(fd, buf, 0, len, size - len);
  const nl = buf.subarray(0, n).lastIndexOf(0x0a);
  const complete = nl < 0 ? (len === size ? 0 : size) : size - len + nl + 1;
  const lines = buf
    .subarray(0, nl < 0 ? 0 : nl)
    .toString('utf8')
    .split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\{"v":\d+,"seq":(\d+),/.exec(lines[i]!);
    if (m !== null) return { size, complete, lastSeq: Number(m[1]) };
  }
  return { size, complete, lastSeq: -1 };
};

/**
 * Streaming replay of log files: reads them in 256 KiB chunks (from a byte offset when seeking), decodes each line,
 * and folds the events through a {@link Replayer}, many per reducer call where the consumer does not need every
 * step. Memory is the replay's state plus one chunk and one batch, whatever the length of the log.
 *
 * @example
 * await runFiles([{ file: 'events.ndjson' }], new Replayer(), {
 *   batchable: () => true,
 *   item: (i) => verifier.add(i),
 *   batch: (b) => verifier.addBatch(b),
 * });
 */
import { isAscii } from 'node:buffer';
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

import * as E from 'fp-ts/Either';

import {
  decodeLine,
  decodeOutFrame,
  fastDecode,
  isOutFrameBytes,
  isOutLineFrame,
  outFrame,
  outFrameAt,
  type EventRecord,
  type HeaderRecord,
  type LogRecord,
} from './event-codec';
import {
  passedSnapshot,
  Replayer,
  ReplayError,
  type BatchObserver,
  type ReplayBatch,
  type ReplayItem,
} from './replay-core';

/** What {@link fileChunks} gives for an outbound line framed from its bytes: a lone surrogate, never decoded text. */
const OUT_BYTES = '\ud800';

/** Events folded per reducer call at most. */
export const BATCH = 256;

/** What a replay does with what it replays. */
export interface ReplaySink {
  /** Whether an event may be folded together with its neighbours (no step of its own is needed). */
  readonly batchable: (rec: EventRecord) => boolean;
  /** Every record that is not folded in a batch, replayed. */
  readonly item: (i: ReplayItem) => void;
  /** A batch of folded events (the items of its records are not delivered). */
  readonly batch: (b: ReplayBatch) => void;
  /** Sees every event of a batch as it is folded (what it did, the sizes after it), before `batch`. */
  readonly each?: BatchObserver;
  /** True to stop before `rec` (it is not replayed; the run ends). */
  readonly stop?: (rec: LogRecord) => boolean;
  /**
   * False if the sink ignores outbound messages: their lines are then only checked for their frame (not parsed,
   * not delivered), which is most of a log recorded with outbound messages. `'unchecked'`: they are delivered with
   * their message text sliced out by the frame, not parsed (`OutRecord.unchecked`: the sink checks what it uses).
   * `'bytes'`: the lines the recorder framed are not even decoded to strings: {@link ReplaySink.outBytes} gets their
   * bytes (any other outbound line is delivered as with `'unchecked'`).
   */
  readonly outbound?: boolean | 'unchecked' | 'bytes';
  /**
   * With `outbound: 'bytes'`: an outbound line of domain `d` to `conn`, whose message text is the UTF-8 bytes
   * `b[start, end)` and whose line is `b[lineStart, end + 1)` (line number `line`). `b` is a chunk of the file: keep
   * a reference only while it is needed (a copy otherwise). Not passed to `stop`.
   */
  readonly outBytes?: (
    d: number,
    conn: number,
    b: Buffer,
    start: number,
    end: number,
    lineStart: number,
    line: number,
  ) => void;
  /**
   * With `outbound: 'bytes'`: the chunk `b` given to {@link ReplaySink.outBytes} is about to be read over: copy
   * what is still kept of it. Without it, every chunk is a new buffer.
   */
  readonly release?: (b: Buffer) => void;
  /**
   * True if the sink reads no messages of a batch (its `effects` have no `send`, its `delivered` is empty): the
   * reducer then builds none (`reduceAll`'s `quiet`). Items and expanded batches still carry every message.
   */
  readonly quiet?: boolean;
}

/**
 * `fileChunks`'s `skipLong` for a replay: whether a long line is, by its first bytes, a snapshot of a state `replayer`
 * has or has passed ({@link passedSnapshot}; `lastSeq`: the last event read, folded or still waiting in a batch).
 */
export const passedSnapshotHead =
  (replayer: Replayer, lastSeq: () => number) =>
  (b: Uint8Array, start: number, end: number): boolean =>
    passedSnapshot(replayer, (b as Slicer).latin1Slice(start, Math.min(end, start + LONG_PREFIX)), lastSeq());

/** Where to read a file from: all of it, or from a byte offset that starts line `line`. */
export interface FileStart {
  readonly file: string;
  readonly offset?: number;
  readonly line?: number;
}

export interface RunOptions {
  /** Called after every chunk with the bytes read so far and the total to read. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called when a file starts: line numbers of the error are `linesBefore` + the line in the file. */
  readonly onFile?: (file: string, linesBefore: number) => void;
}

/** A line that cannot be replayed; `partial`: it is the unterminated last line of the last file (a crash). */
export class LineError extends ReplayError {
  constructor(
    line: number,
    reason: string,
    readonly partial: boolean,
  ) {
    super(line, reason);
  }
}

/**
 * The size of the chunks read: the lines of a chunk are strings alive until it has been replayed (a young
 * collection copies those not replayed yet); 256 KiB: -10 % CPU for `replay$` (which reads every line) against
 * 1 MiB, 8 MB less RSS; 64 KiB costs more system time in reads.
 */
export const CHUNK = 1 << 18;

/** How many of a long line's first bytes `fileChunks` gives its `skipLong` at least (a snapshot's head is ~60). */
export const LONG_PREFIX = 256;

/**
 * The chunks of a file from a byte offset: gunzipped if the name ends in `.gz` (a new buffer each), else read into
 * one buffer, used again for the next chunk once the consumer asks for it (`reuse`: the consumer keeps no reference
 * to a chunk past its turn; a memory of one chunk, where a stream's new buffers waited for the garbage collector:
 * ~20 MB of RSS on a large log), or a new buffer each.
 */
async function* rawChunks(
  file: string,
  offset: number,
  progress: (bytes: number) => void,
  reuse: boolean,
): AsyncGenerator<Buffer> {
  if (file.endsWith('.gz')) {
    const raw = createReadStream(file, { start: offset, highWaterMark: CHUNK });
    raw.on('data', (c) => progress(c.length));
    try {
      for await (const data of raw.pipe(createGunzip())) yield data as Buffer;
    } finally {
      raw.destroy();
    }
    return;
  }
  const fh = await open(file, 'r');
  // the next chunk is read (by libuv's threads) while the consumer takes this one: two buffers in turn when reused
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let turn = 0;
  let pos = offset;
  const readNext = (): Promise<{ buf: Buffer; bytesRead: number }> => {
    const buf = reuse ? bufs[turn++ & 1]! : Buffer.allocUnsafe(CHUNK);
    const at = pos;
    pos += CHUNK;
    return fh.read(buf, 0, CHUNK, at).then(({ bytesRead }) => ({ buf, bytesRead }));
  };
  let next: Promise<{ buf: Buffer; bytesRead: number }> | undefined = readNext();
  try {
    for (;;) {
      const { buf, bytesRead } = await next;
      next = undefined;
      if (bytesRead === 0) return;
      progress(bytesRead);
      if (bytesRead < CHUNK) {
        // (a file still being written may have grown: read on from where this read ended)
        pos -= CHUNK - bytesRead;
      }
      // (the other buffer's chunk was taken when this one was asked for: it may be read over)
      next = readNext();
      yield bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    // (a read still running would write into a buffer of a closed file)
    await next?.catch(() => undefined);
    await fh.close();
  }
}

/** `Buffer`'s own decoders of a range (what `toString(encoding, start, end)` calls after checking its arguments). */
type Slicer = Buffer & {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
};

/**
 * The lines of a file from a byte offset, in chunks (gunzipped if the name ends in `.gz`). Each line is decoded from
 * the bytes on its own (a newline byte is never part of a multi-byte UTF-8 sequence), so that a line, and whatever a
 * decoder slices out of it and the directory keeps (a property value), holds no reference to the chunk it came
 * from: splitting a decoded chunk would pin every chunk one service was published in. A line `skip` accepts
 * (read from its bytes) is given as `skipped` (default an empty string, which every reader passes over), not decoded.
 * `reuse`: the chunks `skip` sees are one buffer, read again once the lines of a chunk have been taken (`skip` and
 * the consumer keep no reference to it past that, or copy what they keep).
 * `skipLong`: for a line longer than what is left of its chunk (a snapshot is as long as the directory: megabytes),
 * asked once, with at least its first {@link LONG_PREFIX} bytes (or all of it if shorter), when the next chunk is
 * read, so after the consumer has taken every line before it: true gives an empty line for it, its bytes neither
 * kept, joined nor decoded.
 */
export async function* fileChunks(
  file: string,
  offset: number,
  progress: (bytes: number) => void,
  skip?: (b: Uint8Array, start: number, end: number) => boolean,
  skipped = '',
  reuse = false,
  skipLong?: (b: Uint8Array, start: number, end: number) => boolean,
): AsyncGenerator<{ lines: string[]; last: boolean }> {
  /** The start of a line longer than the chunks read so far (joined once it ends: no quadratic copying). */
  let rest: Buffer[] = [];
  let restBytes = 0;
  /** `skipLong`'s answer for the line in `rest` (undefined: not asked yet); true: its bytes are dropped. */
  let dropping: boolean | undefined;
  // (a reused chunk's rest is copied: the buffer is read again)
  const keep = (b: Buffer): Buffer => (reuse ? Buffer.from(b) : b);
  const hold = (b: Buffer): void => {
    if (dropping === true) return;
    rest.push(keep(b));
    restBytes += b.length;
  };
  for await (const chunk of rawChunks(file, offset, progress, reuse)) {
    if (dropping === undefined && skipLong !== undefined && restBytes > 0) {
      // the line's first bytes: its first piece, completed from this chunk if shorter than the prefix
      if (rest[0]!.length >= LONG_PREFIX) dropping = skipLong(rest[0]!, 0, rest[0]!.length);
      else {
        const head = Buffer.concat([...rest, chunk.subarray(0, LONG_PREFIX)]);
        const nl = head.indexOf(0x0a, restBytes);
        dropping = skipLong(head, 0, nl < 0 ? head.length : nl);
      }
      if (dropping) rest = [];
    }
    let nl = chunk.indexOf(0x0a);
    if (nl < 0) {
      hold(chunk);
      continue;
    }
    const lines: string[] = [];
    let start = 0;
    if (dropping === true || rest.length > 0) {
      if (dropping === true) lines.push('');
      else {
        rest.push(chunk.subarray(0, nl));
        const whole = Buffer.concat(rest);
        lines.push(skip?.(whole, 0, whole.length) === true ? skipped : whole.toString('utf8'));
      }
      rest = [];
      restBytes = 0;
      dropping = undefined;
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    // a chunk of ASCII only (a log's usual content) decodes as Latin-1, the same text: a copy of its bytes, where
    // UTF-8 decoding checks every byte again (one SIMD pass over the chunk decides; -30 % CPU in decoding a line)
    const ascii = isAscii(chunk);
    const c = chunk as Slicer;
    while (nl >= 0) {
      // a skipped line is still a line (numbering): `skipped`
      lines.push(
        skip?.(chunk, start, nl) === true ? skipped : ascii ? c.latin1Slice(start, nl) : c.utf8Slice(start, nl),
      );
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) hold(chunk.subarray(start));
    yield { lines, last: false };
  }
  // (a dropped line that never ended, cut by a crash: skipped as its whole text would have been, by its head)
  if (dropping === true) {
    yield { lines: [''], last: true };
    return;
  }
  const last = Buffer.concat(rest).toString('utf8');
  if (last !== '') yield { lines: [last], last: true };
}

/**
 * Replay `files` in order into `sink`. Resolves when the files end or the sink stops; rejects with a
 * {@link LineError} at the first line that cannot be replayed, after everything before it was delivered.
 */
export const runFiles = async (
  files: readonly FileStart[],
  replayer: Replayer,
  sink: ReplaySink,
  opts: RunOptions = {},
): Promise<'end' | 'stopped'> => {
  let total = 0;
  for (const f of files) total += statSync(f.file).size - (f.offset ?? 0);
  let done = 0;
  let n = 0;
  let pending: EventRecord[] = [];
  let pendingLines: number[] = [];
  /** The last event read: folded, or waiting in the batch (where a snapshot after it counts as passed). */
  const lastRead = (): number => (pending.length > 0 ? pending[pending.length - 1]!.seq : replayer.lastSeq);
  const flush = (): void => {
    if (pending.length === 0) return;
    const [recs, lines] = [pending, pendingLines];
    pending = [];
    pendingLines = [];
    sink.batch(replayer.feedBatch(recs, lines, sink.each, sink.quiet === true));
  };
  // outbound lines framed from their bytes (`outbound: 'bytes'`), in chunk order: [buffer, message start, message
  // end, line start, conn, d] per line
  const outBufs: Buffer[] = [];
  const outs: number[] = [];
  const keepOut = (b: Uint8Array, start: number, end: number): boolean => {
    const e = end > start && b[end - 1] === 0x0d ? end - 1 : end;
    const at = outFrameAt(b, start, e);
    if (at < 0) return false;
    outBufs.push(b as Buffer); // (fileChunks reads Buffers)
    outs.push(at, e - 1, start, outFrame.conn, outFrame.d);
    return true;
  };
  const bytes = sink.outbound === 'bytes' && sink.outBytes !== undefined ? sink.outBytes : undefined;
  const unchecked = sink.outbound === 'unchecked' || sink.outbound === 'bytes';
  for (const [fi, f] of files.entries()) {
    const base = n;
    n += (f.line ?? 1) - 1;
    opts.onFile?.(f.file, base);
    const skip = sink.outbound === false ? isOutFrameBytes : bytes !== undefined ? keepOut : undefined;
    // one chunk buffer, read again and again, unless the sink keeps outbound bytes and cannot release them
    const reuse = bytes === undefined || sink.release !== undefined;
    const chunks = fileChunks(
      f.file,
      f.offset ?? 0,
      (b) => (done += b),
      skip,
      bytes !== undefined ? OUT_BYTES : '',
      reuse,
      // a snapshot the replay has passed (as the loop below would find it) is not even joined
      passedSnapshotHead(replayer, lastRead),
    );
    for await (const { lines, last } of chunks) {
      let k = 0;
      for (const raw of lines) {
        n++;
        if (raw === OUT_BYTES) {
          const j = 5 * k;
          const d = outs[j + 4]!;
          if (!replayer.domains.has(d)) {
            flush();
            throw new ReplayError(n, `record for domain ${d} before its header`);
          }
          bytes!(d, outs[j + 3]!, outBufs[k]!, outs[j]!, outs[j + 1]!, outs[j + 2]!, n);
          k++;
          continue;
        }
        const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (text === '' || (text.charCodeAt(0) !== 0x7b && text.trim() === '')) continue;
        // events waiting in the batch count as replayed (the snapshot is ignored after the batch is folded)
        if (passedSnapshot(replayer, text, lastRead())) continue;
        if (sink.outbound === false && isOutLineFrame(text)) continue;
        // (the unterminated last line of a log is decoded in full: it may be a write cut short by a crash)
        const frame = unchecked && !last ? decodeOutFrame(text) : undefined;
        // (the recorder's common lines without an `Either`; the strict path decides the others)
        let rec = frame ?? fastDecode(text, false); // (no sink reads a message's text: not kept)
        if (rec === undefined) {
          const r = decodeLine(text);
          if (E.isLeft(r)) {
            flush();
            throw new LineError(n, r.left, last && fi === files.length - 1);
          }
          rec = r.right;
        }
        if (sink.stop?.(rec) === true) {
          flush();
          return 'stopped';
        }
        if (rec.kind === 'event' && sink.batchable(rec)) {
          // a connection's end is folded on its own (the interpreter's bookkeeping depends on it)
          const closed = rec.event.type === 'closed';
          if (pending.length > 0 && (closed || pending[0]!.d !== rec.d || pending.length >= BATCH)) flush();
          pending.push(rec);
          pendingLines.push(n);
          if (closed) flush();
          continue;
        }
        if (rec.kind !== 'out') flush(); // outbound lines do not change any state: a batch goes on past them
        sink.item(replayer.feed(rec, n));
      }
      if (sink.release !== undefined)
        for (let j = 0; j < outBufs.length; j++)
          if (j === 0 || outBufs[j] !== outBufs[j - 1]) sink.release(outBufs[j]!);
      outBufs.length = 0;
      outs.length = 0;
      opts.onProgress?.(done, total);
    }
  }
  flush();
  return 'end';
};

/** Read the record at a byte offset of a file (for a seek); the left says why there is none. */
export const readRecordAt = async (file: string, offset: number): Promise<E.Either<string, LogRecord>> => {
  for await (const { lines } of fileChunks(file, offset, () => {})) return decodeLine(lines[0]!);
  return E.left('past the end of the file');
};

/** Read the header line at a byte offset of a file (for a seek). */
export const readHeaderAt = async (file: string, offset: number): Promise<HeaderRecord | undefined> => {
  const r = await readRecordAt(file, offset);
  return E.isRight(r) && r.right.kind === 'domain' ? r.right : undefined;
};

/**
 * The event recorder: appends every event that enters a domain's reducer (and optionally every message sent) to
 * an NDJSON file in the format of ./event-codec.ts, so an incident can be replayed later (see ./replay.ts).
 *
 * Writing never stalls the event loop for long: lines are buffered in memory and written with one synchronous
 * `fs.writeSync` per event-loop turn (`setImmediate`), so a crash loses at most the current turn and every line on
 * disk is complete (the reader tolerates a partial last line anyway).
 *
 * Files rotate by size, between event batches: when a batch's event lines would make the file exceed `maxBytes`,
 * what is buffered is written, `file.N-1` → `file.N` … `file` → `file.1` (keeping `keep` old files), and a new
 * `file` starts with every domain's header again, flagged `rotated`, each followed by a snapshot of the domain's
 * whole state at that point (./state-codec.ts; only for domains whose `header` info has a `state` getter, as
 * `createServer`'s `onStart` provides). The snapshot is the state after exactly the events written to the previous
 * files: `createServer` calls `onEvents` before the reducer applies a batch and sends the batch's messages before
 * the next one, so at that moment every domain's current state matches the lines written, and the previous batch's
 * outbound messages are in the previous file. A rotated file therefore replays on its own (the oldest files may be
 * gone); replaying `file.2 file.1 file` in that order gives the same result. A file can exceed `maxBytes` by the
 * outbound messages of its last batch and by its headers and snapshots (a batch is never split).
 *
 * Checkpoints: every `snapshotEvery` events or `snapshotSeconds` seconds of event time (whichever comes first), and
 * at the top of every rotated file, each domain's state is written as a `snapshot` line, and one line is appended
 * to the sidecar index `file.idx` (./log-index.ts): where the checkpoint's snapshots start (byte offset and line),
 * the seq and time it follows, where each domain's header is, and which service and client ids appeared since the
 * previous checkpoint. `rxpaf-replay --at` starts from the nearest checkpoint instead of the file's start.
 *
 * A checkpoint never holds the event loop for long: the states at the checkpoint (immutable) are encoded about 1 ms
 * per turn (./snapshot-slices.ts) into a scratch file, then copied into the log 256 KiB per turn while the lines of
 * later events wait in the buffer. A periodic snapshot line therefore lands after the events that followed its
 * checkpoint; its index line says where the snapshot is (`snapshots`) and where those events start (`offset`). A
 * rotation waits for its checkpoint: the new file gets the headers, the snapshots, then the lines written since the
 * checkpoint (copied), and the old file is cut back to end at the checkpoint. `flush()` and `close()` finish a
 * checkpoint at once.
 *
 * @example
 * const rec = createRecorder({ file: '/var/log/rxpaf/events.ndjson', maxBytes: 64 << 20, outbound: true });
 * const server = await createServer({ domains, onStart: rec.header, onEvents: rec.events, onOutbound: rec.outbound });
 * // … later
 * await server.close();
 * await rec.close();
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import type { Event } from '../state/events';
import type { ConnId, DomainState } from '../state/model';
import { encodeEventLine, encodeHeaderLine, encodeOutLine, type DomainInfo } from './event-codec';
import { encodeIndexLine, IdSet, indexFile, type IndexEntry } from './log-index';
import { rotateFiles } from './record-rotate';
import { snapshotSlices } from './snapshot-slices';

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
  /**
   * Write a checkpoint (snapshots + index line) after this many events (0: never). Default: after
   * {@link DEFAULT_SNAPSHOT_EVERY} events once the log has also grown by {@link SNAPSHOT_RATIO} times the last
   * checkpoint's snapshots since it (snapshots stay a fifth of the log at most, however large the directory).
   */
  readonly snapshotEvery?: number;
  /** Write a checkpoint after this many seconds of event time (default 300; 0: never). */
  readonly snapshotSeconds?: number;
  /**
   * Compress each rotated file with gzip (`file.1` becomes `file.1.gz`, its index goes: a compressed file replays
   * from its start). Done on the thread pool (node:zlib) after the rotation; default false.
   */
  readonly compress?: boolean;
}

/**
 * Default checkpoint interval in events: a seek (`--at`) decodes one snapshot and replays at most this many events
 * (about 0.6 CPU s on the benchmark's log, plus 0.6 s for a 10,000-service snapshot: bench/README.md, "replay15c").
 */
export const DEFAULT_SNAPSHOT_EVERY = 25_000;
/** By default, a checkpoint by event count waits until the log has grown by this many times the last snapshots. */
export const SNAPSHOT_RATIO = 4;
/** Default checkpoint interval in seconds. */
export const DEFAULT_SNAPSHOT_SECONDS = 300;

/** A domain's start, and optionally a getter of its current state (for the snapshots of rotated files). */
export interface RecorderDomainInfo extends DomainInfo {
  /** The domain's state after every batch already passed to `events` (not yet the one being passed). */
  readonly state?: () => DomainState;
}

/** The recorder's functions are bound: pass them directly as `createServer`'s `onStart`/`onEvents`/`onOutbound`. */
export interface Recorder {
  /** Record a domain's start (settings, seed, start time); must come before its events. */
  readonly header: (domainIndex: number, info: RecorderDomainInfo) => void;
  /** Record a batch of events, as the reducer is about to see it. */
  readonly events: (domainIndex: number, batch: readonly Event[]) => void;
  /** Record one sent message (ignored unless `outbound` is on). */
  readonly outbound: (domainIndex: number, conn: ConnId, json: string) => void;
  /** Write what is buffered now (synchronously). */
  readonly flush: () => void;
  /** Flush and close the file (synchronously; the Promise is resolved). */
  readonly close: () => Promise<void>;
}

/** Bytes of a snapshot (or of a rotated file's tail) written per event-loop turn at most. */
const WRITE_BYTES = 1 << 18;
/** Milliseconds of snapshot encoding per event-loop turn (about; one slice of 64 elements may exceed it). */
const ENCODE_MS = 1;

/** Written ahead of the buffered lines: text, a copy of a file's bytes, or an action once all before it is written. */
type Chunk =
  | { readonly text: string }
  | { readonly copy: number; pos: number; readonly end: number }
  | { readonly then: () => void };

/** A checkpoint being encoded: the states of its domains as they were at `seq`, encoded a slice at a time. */
interface Job {
  readonly seq: number;
  readonly at: number;
  /** A rotation: the checkpoint goes to the top of a new file (`cut`: where the events after `seq` start). */
  top: boolean;
  readonly cut: readonly [offset: number, line: number];
  readonly headers: IndexEntry['headers'];
  readonly services: string;
  readonly clients: string;
  readonly todo: Array<readonly [number, Generator<string, void, void>]>;
  /** The encoded snapshots so far, in a scratch file (holding them as strings would grow the heap by their size). */
  readonly scratch: number;
  /** Bytes in the scratch file, where each finished domain's line is in it. */
  bytes: number;
  readonly done: Array<readonly [number, number, number]>;
}

/**
 * The bytes of a finished job's snapshot lines in the log (each domain's encoding and its newline): the index's
 * `bytes`.
 */
const snapshotLineBytes = (j: Job): number => j.bytes + j.done.length;

/** Open (create or append to) the log file; throws the `fs` error if it cannot be opened. */
export const createRecorder = (opts: RecorderOptions): Recorder => {
  const maxBytes = opts.maxBytes ?? 0;
  const keep = opts.keep ?? 5;
  const every = opts.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  const ratio = opts.snapshotEvery === undefined ? SNAPSHOT_RATIO + 1 : 0;
  const seconds = opts.snapshotSeconds ?? DEFAULT_SNAPSHOT_SECONDS;
  const headers = new Map<number, RecorderDomainInfo>();
  let fd: number | undefined = openSync(opts.file, 'a+');
  const tail = readTail(fd, fstatSync(fd).size);
  if (tail.complete < tail.size) ftruncateSync(fd, tail.complete); // drop a partial line left by a crash
  /** Bytes written to the file. */
  let size = tail.complete;
  /** Lines in the file (written, queued and buffered). */
  let lines = tail.complete > 0 ? countLines(fd, tail.complete) : 0;
  let seq = tail.lastSeq + 1;
  let ifd: number | undefined = openSync(indexFile(opts.file), 'a');
  /** Whether the file holds anything but its headers and snapshots (only then is rotating worth it). */
  let content = size > 0;
  /** Big writes (snapshots, a rotated file's tail), a slice per turn, before the buffered lines. */
  let queue: Chunk[] = [];
  let queuedBytes = 0;
  let pending: string[] = [];
  let pendingBytes = 0;
  let pendingIndex = '';
  let immediate: NodeJS.Immediate | undefined;
  let job: Job | undefined;
  /** Where each domain's last header line is: [byte offset, line]. */
  const headerAt = new Map<number, readonly [number, number]>();
  let sinceSeq = seq;
  let sinceAt: number | undefined;
  /** Where the last checkpoint started (byte offset) and the size of its snapshots. */
  let sinceBytes = size;
  let snapshotBytes = 0;
  let lastAt = 0;
  let services = new IdSet();
  let clients = new IdSet();
  /** Rotations so far (a file being compressed has moved on by the rotations since it started). */
  let rotations = 0;
  const compressing = new Set<Promise<void>>();

  /** Gzip the newest rotated file, off the event loop; it replaces the file once complete. */
  const compress = (): void => {
    const started = rotations;
    const tmp = `${opts.file}.${started}.gz.tmp`;
    let src: number;
    try {
      src = openSync(`${opts.file}.1`, 'r');
    } catch {
      return;
    }
    const done = pipeline(createReadStream('', { fd: src }), createGzip(), createWriteStream(tmp)).then(
      () => {
        const n = 1 + rotations - started;
        const name = `${opts.file}.${n}`;
        if (n > keep || !existsSync(name)) return rmSync(tmp, { force: true });
        renameSync(tmp, `${name}.gz`);
        rmSync(name, { force: true });
        rmSync(indexFile(name), { force: true });
      },
      (e: unknown) => {
        rmSync(tmp, { force: true });
        opts.onError?.(e);
      },
    );
    compressing.add(done);
    void done.finally(() => compressing.delete(done));
  };

  /** Where the next buffered line goes in the file. */
  const pos = (): number => size + queuedBytes + pendingBytes;
  const schedule = (): void => {
    immediate ??= setImmediate(turn);
  };
  const fail = (e: unknown): void => {
    const fds = new Set<number>();
    for (const c of queue) if ('copy' in c) fds.add(c.copy);
    if (job !== undefined) fds.add(job.scratch);
    for (const f of fds) closeQuietly(f);
    queue = [];
    queuedBytes = 0;
    pending = [];
    pendingBytes = 0;
    pendingIndex = '';
    job = undefined;
    if (fd !== undefined) closeQuietly(fd);
    if (ifd !== undefined) closeQuietly(ifd);
    fd = ifd = undefined;
    opts.onError?.(e);
  };
  const writeBuf = (f: number, buf: Buffer): number => {
    let off = 0;
    while (off < buf.length) off += writeSync(f, buf, off);
    return buf.length;
  };
  const writeAll = (f: number, text: string): number => writeBuf(f, Buffer.from(text));
  const push = (line: string, n = 1): void => {
    pending.push(line);
    pendingBytes += Buffer.byteLength(line);
    lines += n;
    schedule();
  };
  /** Buffered lines go ahead of what is queued next. */
  const pendingToQueue = (): void => {
    if (pending.length > 0) enqueue({ text: pending.join('') }, pendingBytes);
    pending = [];
    pendingBytes = 0;
  };
  const enqueue = (c: Chunk, bytes: number): void => {
    queue.push(c);
    queuedBytes += bytes;
  };

  /** Start a checkpoint of the state after `lastSeq` (encoded in slices, see {@link work}). */
  const checkpoint = (lastSeq: number, top: boolean): void => {
    if (job !== undefined) {
      job.top ||= top; // a rotation due while a checkpoint is being encoded: that checkpoint starts the new file
      return;
    }
    const todo = [...headers]
      .filter(([, info]) => info.state !== undefined)
      .map(([d, info]) => [d, snapshotSlices(d, lastSeq, info.state!())] as const);
    if (todo.length === 0 && !top) return;
    job = {
      seq: lastSeq,
      at: lastAt,
      top,
      cut: [pos(), lines + 1],
      headers: [...headerAt].map(([d, [o, l]]) => [d, o, l] as const),
      services: services.encode(),
      clients: clients.encode(),
      todo,
      scratch: openSync(`${opts.file}.snapshot.tmp`, 'w+'),
      bytes: 0,
      done: [],
    };
    services = new IdSet();
    clients = new IdSet();
    sinceSeq = lastSeq + 1;
    sinceAt = undefined;
    sinceBytes = pos();
    schedule();
  };
  /** Encode the checkpoint for about `ms` milliseconds; queue it once complete. */
  const work = (ms: number): void => {
    const j = job!;
    const t0 = performance.now();
    let start = j.done.length > 0 ? j.done[j.done.length - 1]![2] : 0;
    while (j.todo.length > 0) {
      const [d, gen] = j.todo[0]!;
      const r = gen.next();
      if (r.done === true) {
        j.done.push([d, start, j.bytes]);
        start = j.bytes;
        j.todo.shift();
      } else j.bytes += writeBuf(j.scratch, Buffer.from(r.value));
      if (performance.now() - t0 >= ms) return;
    }
    job = undefined;
    snapshotBytes = j.bytes;
    const scratch = j.scratch;
    const copy = (from: number, to: number): void => {
      if (to > from) enqueue({ copy: scratch, pos: from, end: to }, to - from);
      enqueue({ text: '\n' }, 1);
    };
    const dropScratch = (): void =>
      enqueue(
        {
          then: () => {
            closeQuietly(scratch);
            rmSync(`${opts.file}.snapshot.tmp`, { force: true });
          },
        },
        0,
      );
    if (j.top) {
      rotate(j, copy);
      dropScratch();
    } else {
      pendingToQueue();
      let line = lines + 1;
      const snapshots: Array<readonly [number, number, number]> = [];
      for (const [d, from, to] of j.done) {
        snapshots.push([d, pos(), line++]);
        copy(from, to);
      }
      dropScratch();
      lines += j.done.length;
      const entry: IndexEntry = {
        seq: j.seq,
        at: j.at,
        offset: j.cut[0],
        line: j.cut[1],
        headers: j.headers,
        domains: j.done.map(([d]) => d),
        services: j.services,
        clients: j.clients,
        ...(snapshots.length > 0 ? { snapshots } : {}),
        bytes: snapshotLineBytes(j),
      };
      pendingIndex += encodeIndexLine(entry) + '\n';
    }
  };
  /**
   * A new file that starts with the headers and the checkpoint's snapshots, followed by the lines written after the
   * checkpoint (copied from the old file, which is then cut back to end at the checkpoint).
   */
  const rotate = (j: Job, copy: (from: number, to: number) => void): void => {
    flushPending();
    if (fd === undefined) return;
    let old: number | undefined;
    try {
      old = openSync(opts.file, 'r+');
      closeSync(fd);
      closeSync(ifd!);
      fd = ifd = undefined;
      rotateFiles(opts.file, keep);
      fd = openSync(opts.file, 'w');
      ifd = openSync(indexFile(opts.file), 'w');
    } catch (e) {
      if (old !== undefined) closeQuietly(old);
      fail(e);
      return;
    }
    const [cutOffset, cutLine] = j.cut;
    const tailBytes = size - cutOffset;
    const tailLines = lines - cutLine + 1;
    size = 0;
    lines = 0;
    sinceBytes = 0; // the new file starts with the checkpoint
    const moved = new Map(headerAt);
    headerAt.clear();
    const snapshots = new Map(j.done.map(([d, from, to]) => [d, [from, to] as const]));
    for (const [d, info] of headers) {
      headerAt.set(d, [queuedBytes, ++lines]);
      const h = encodeHeaderLine(d, info, { outbound: opts.outbound, rotated: true }) + '\n';
      enqueue({ text: h }, Buffer.byteLength(h));
      const at = snapshots.get(d);
      if (at === undefined) continue;
      copy(at[0], at[1]);
      lines++;
    }
    const shift = queuedBytes - cutOffset;
    // a header written after the checkpoint (a domain that started meanwhile) moves with the tail
    for (const [d, [o, l]] of moved) if (o >= cutOffset) headerAt.set(d, [o + shift, l - cutLine + 1 + lines]);
    const entry: IndexEntry = {
      seq: j.seq,
      at: j.at,
      offset: 0,
      line: 1,
      headers: [],
      domains: j.done.map(([d]) => d),
      services: j.services,
      clients: j.clients,
      bytes: snapshotLineBytes(j),
    };
    pendingIndex += encodeIndexLine(entry) + '\n';
    if (tailBytes > 0) enqueue({ copy: old, pos: cutOffset, end: cutOffset + tailBytes }, tailBytes);
    const o = old;
    enqueue(
      {
        then: () => {
          ftruncateSync(o, cutOffset);
          closeSync(o);
          if (opts.compress === true && keep > 0) compress();
        },
      },
      0,
    );
    rotations++;
    lines += tailLines;
    content = tailLines > 0;
  };
  /** Write up to `budget` bytes of the queue; true when it is empty. */
  const writeQueue = (budget: number): boolean => {
    while (queue.length > 0 && budget > 0 && fd !== undefined) {
      const c = queue[0]!;
      if ('then' in c) {
        queue.shift();
        c.then();
      } else if ('text' in c) {
        queue.shift();
        const n = writeAll(fd, c.text);
        size += n;
        queuedBytes -= n;
        budget -= n;
      } else {
        const buf = Buffer.alloc(Math.min(WRITE_BYTES, c.end - c.pos, budget));
        const r = readSync(c.copy, buf, 0, buf.length, c.pos);
        if (r === 0) throw new Error('recorder: the rotated file is shorter than written');
        const n = writeBuf(fd, buf.subarray(0, r));
        c.pos += n;
        size += n;
        queuedBytes -= n;
        budget -= n;
        if (c.pos >= c.end) queue.shift();
      }
    }
    return queue.length === 0;
  };
  /** Write the buffered lines and index lines (nothing may be queued). */
  const flushPending = (): void => {
    if (fd === undefined || (pending.length === 0 && pendingIndex === '')) return;
    const text = pending.join('');
    const index = pendingIndex;
    pending = [];
    pendingBytes = 0;
    pendingIndex = '';
    size += writeAll(fd, text);
    if (index !== '') writeAll(ifd!, index); // after the lines it points to
  };
  /** One event-loop turn's work: a slice of the checkpoint being encoded, a slice of the queue, the lines. */
  const turn = (): void => {
    immediate = undefined;
    try {
      if (job !== undefined) work(ENCODE_MS);
      if (writeQueue(WRITE_BYTES)) flushPending();
    } catch (e) {
      fail(e);
      return;
    }
    if (job !== undefined || queue.length > 0) schedule();
  };
  /** Everything now: finish the checkpoint being encoded, write all that is queued and buffered. */
  const flush = (): void => {
    if (immediate !== undefined) clearImmediate(immediate);
    immediate = undefined;
    try {
      while (job !== undefined && fd !== undefined) work(Infinity);
      writeQueue(Infinity);
      flushPending();
    } catch (e) {
      fail(e);
    }
  };
  /** Note the ids a batch brings in (for the index's history look-ups). */
  const note = (batch: readonly Event[]): void => {
    for (const e of batch) {
      if (e.now > lastAt) lastAt = e.now;
      if (e.type !== 'message') continue;
      const m = e.msg;
      if (m['ta-cmd'] === 'publish') services.add(m['service-id']);
      else if (m['ta-cmd'] === 'hello') clients.add(m['client-id']);
    }
  };
  /** Whether a rotation is on its way (the checkpoint for the new file is being encoded or written). */
  const rotating = (): boolean => job?.top === true || queue.length > 0;

  return {
    header: (d, info) => {
      if (fd === undefined) return;
      headers.set(d, info);
      headerAt.set(d, [pos(), lines + 1]);
      push(encodeHeaderLine(d, info, { outbound: opts.outbound }) + '\n');
    },
    events: (d, batch) => {
      if (fd === undefined || batch.length === 0) return;
      const text = batch.map((e, i) => encodeEventLine(seq + i, d, e) + '\n').join('');
      const bytes = Buffer.byteLength(text);
      if (maxBytes > 0 && content && !rotating() && pos() + bytes > maxBytes) checkpoint(seq - 1, true);
      else if (
        queue.length === 0 &&
        ((every > 0 && seq - sinceSeq >= every && pos() - sinceBytes >= ratio * snapshotBytes) ||
          (seconds > 0 && sinceAt !== undefined && batch[0]!.now - sinceAt >= seconds))
      )
        checkpoint(seq - 1, false);
      sinceAt ??= batch[0]!.now;
      note(batch);
      seq += batch.length;
      content = true;
      pending.push(text);
      pendingBytes += bytes;
      lines += batch.length;
      schedule();
    },
    outbound: (d, conn, json) => {
      if (opts.outbound === true && fd !== undefined) push(encodeOutLine(d, conn, json) + '\n');
    },
    flush,
    close: () => {
      flush();
      if (fd !== undefined) closeQuietly(fd);
      if (ifd !== undefined) closeQuietly(ifd);
      fd = ifd = undefined;
      return Promise.all([...compressing]).then(() => undefined);
    },
  };
};

/** The number of newlines in the first `size` bytes of a file. */
const countLines = (fd: number, size: number): number => {
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (let pos = 0; pos < size;) {
    const r = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    if (r === 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < r; i = buf.indexOf(10, i + 1)) n++;
    pos += r;
  }
  return n;
};

const closeQuietly = (fd: number): void => {
  try {
    closeSync(fd);
  } catch {
    // already closed or broken: nothing left to do
  }
};

const EVENT_SEQ = /^\{(?:"v":\d+,)?"seq":(\d+),/;
const SNAPSHOT_SEQ = /^\{"v":\d+,"kind":"snapshot","d":\d+,"seq":(-?\d+),/;

/**
 * Inspect an existing file, backwards from its end: where its last complete line ends, and the `seq` of its last
 * event or snapshot line (appending continues the numbering; -1 if none). Reads 64 KiB chunks until it has found
 * both, so long snapshot lines near the end do not hide the numbering.
 */
const readTail = (fd: number, size: number): { size: number; complete: number; lastSeq: number } => {
  const CHUNK = 1 << 16;
  const HEAD = 128; // enough of a line to match the patterns
  let complete: number | undefined;
  let pos = size;
  let next = Buffer.alloc(0); // the first bytes from `pos` on (already read)
  while (pos > 0) {
    const len = Math.min(pos, CHUNK);
    pos -= len;
    const chunk = Buffer.alloc(len);
    let n = 0;
    while (n < len) {
      const r = readSync(fd, chunk, n, len - n, pos + n);
      if (r === 0) break;
      n += r;
    }
    const data = Buffer.concat([chunk.subarray(0, n), next]);
    // line starts in this chunk: after each newline, and the file start
    for (let i = n - 1; i >= -1; i--) {
      if (i >= 0 && chunk[i] !== 0x0a) continue;
      if (i < 0 && pos > 0) break;
      if (complete === undefined) {
        complete = pos + i + 1; // the bytes after the last newline are a partial line (or nothing)
        continue;
      }
      const head = data.subarray(i + 1, i + 1 + HEAD).toString('latin1');
      const m = EVENT_SEQ.exec(head) ?? SNAPSHOT_SEQ.exec(head);
      if (m !== null) return { size, complete, lastSeq: Number(m[1]) };
    }
    next = data.subarray(0, HEAD);
  }
  return { size, complete: complete ?? 0, lastSeq: -1 };
};

/**
 * `rxpaf-replay --verify`: checks that replaying a log sends exactly the messages the live server sent (recorded
 * with `outbound: true`), per connection and in order. A log that starts from a state snapshot (a rotated file)
 * is checked from there: the messages sent before the snapshot are not in it. Messages are compared as text, and as
 * canonical JSON (same values, same key order) when the texts differ. The first divergence names the replayed event
 * (seq, line), the connection, both messages, and the inputs that led to it (the last events of that connection).
 * Events folded in batches are located by re-running their batch event by event, only when it diverges.
 *
 * @example
 * const v = new Verifier();
 * for (const item of replayItems(lines)) v.add(item);
 * const d = v.finish(); // undefined if every recorded message was reproduced
 */
import * as E from 'fp-ts/Either';

import { encodeMessage, encodeMessageParts, type EncodedParts } from '../codec/encode';
import { decodeLine, encodeEventLine, sameJson, type EventRecord } from './event-codec';
import { ReplayError, type ReplayBatch, type ReplayItem, type ReplayStep } from './replay-core';

/** A recorded input, as its log line. */
export interface InputLine {
  readonly seq: number;
  readonly line: number;
  readonly text: string;
}

export interface Divergence {
  readonly domain: number;
  readonly conn: number;
  /** The replayed event that sent `actual` (undefined if nothing was replayed for the recorded message). */
  readonly seq?: number;
  /** Line of the recorded message (or of the replayed event if nothing was recorded). */
  readonly line: number;
  readonly expected?: string;
  readonly actual?: string;
  /** The last inputs of that connection (and timer ticks) up to the event that sent `actual`, oldest first. */
  readonly inputs: readonly InputLine[];
}

interface Sent {
  /** The message's text (of a recorded message read by its bytes: decoded when it is needed, see {@link textOf}). */
  json?: string;
  /** A recorded message whose line was only checked for its frame: the line (see `OutRecord.unchecked`). */
  readonly unchecked?: string;
  /** A recorded message read by its bytes: the text is `buf[start, end)`, the line `buf[lineStart, end + 1)`. */
  readonly buf?: Buffer;
  readonly start?: number;
  readonly end?: number;
  readonly lineStart?: number;
  readonly line: number;
  readonly seq?: number;
  /** For a message of a folded batch: the batch and the message's index among its deliveries. */
  readonly batch?: ReplayBatch;
  readonly k?: number;
  /** A replayed message: its place in the order the replay sent all messages (the live server's, recorded). */
  readonly n?: number;
}

/** Inputs kept to explain a divergence. */
const RECENT = 4096;
/** Inputs shown with a divergence. */
const SHOWN = 5;

/** The messages of one connection not matched yet, recorded and replayed (each a queue from its head). */
interface Pair {
  readonly domain: number;
  readonly conn: number;
  expected: Sent[];
  actual: Sent[];
  e: number;
  a: number;
}

/** A recorded message read by its frame only is checked in full: throws {@link ReplayError} if its line is bad. */
const checkLine = (x: Sent): void => {
  const line = x.buf !== undefined ? x.buf.toString('utf8', x.lineStart, x.end! + 1) : x.unchecked;
  if (line === undefined) return;
  const r = decodeLine(line);
  if (E.isLeft(r)) throw new ReplayError(x.line, r.left);
};

/** A message's text (a recorded one read by its bytes is decoded once, here). */
const textOf = (x: Sent): string => (x.json ??= x.buf!.toString('utf8', x.start, x.end));

/** Where a replayed text is encoded to be compared with a recorded one's bytes (grown when a text does not fit). */
let scratch = Buffer.allocUnsafe(1 << 16);

/** Whether the text `s`, encoded as UTF-8, is the bytes `b[start, end)`. */
const sameBytes = (s: string, b: Buffer, start: number, end: number): boolean => {
  const n = end - start;
  if (s.length > n) return false; // (a character is at least a byte)
  if (n <= 64 && s.length === n) {
    // short and of one byte per character if ASCII (a notification's head): compared here, no call into the runtime
    let j = 0;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c > 0x7f || c !== b[start + j]) break;
      j++;
    }
    if (j === n) return true;
    if (s.charCodeAt(j) <= 0x7f) return false;
  }
  // room for a character more than `n` bytes (up to 4): a longer text cannot be cut to exactly `n` bytes
  if (n + 4 > scratch.length) scratch = Buffer.allocUnsafe(2 * (n + 4));
  return scratch.write(s, 0, 'utf8') === n && scratch.compare(b, start, end, 0, n) === 0;
};

/**
 * The last shared tail of notifications compared ({@link samePartsBytes}), and its UTF-8 bytes: the first
 * `lastTailLength` of a buffer written over for each new tail (no buffer per notification).
 */
let lastTail = '';
let lastTailBytes = Buffer.allocUnsafe(1 << 12);
let lastTailLength = 0;

/**
 * Whether the text `head + tail` (a message in its encoder's two pieces), encoded as UTF-8, is the bytes
 * `b[start, end)`: the tail a notification shares with the others of its change is encoded once, and the two
 * pieces are never joined into one string (a join, then flattened to be written, per message). Exported for its spec.
 */
export const samePartsBytes = (head: string, tail: string, b: Buffer, start: number, end: number): boolean => {
  if (tail === '') return sameBytes(head, b, start, end);
  if (tail !== lastTail) {
    // (at most 3 bytes a UTF-16 unit: room for any text of this length)
    if (3 * tail.length > lastTailBytes.length) lastTailBytes = Buffer.allocUnsafe(6 * tail.length);
    lastTailLength = lastTailBytes.write(tail, 0, 'utf8');
    lastTail = tail;
  }
  const h = end - start - lastTailLength;
  return (
    h >= 0 && sameBytes(head, b, start, start + h) && lastTailBytes.compare(b, start + h, end, 0, lastTailLength) === 0
  );
};

/** The pieces of a replayed message being compared. */
const parts: EncodedParts = { head: '', tail: '' };

/** Whether a recorded message `x` and a replayed one `y` are the same message. */
const same = (x: Sent, y: Sent): boolean =>
  (x.buf !== undefined && sameBytes(y.json!, x.buf, x.start!, x.end!)) || sameJson(textOf(x), y.json!);

/** Recorded messages waiting for their replayed ones beyond which each keeps a copy of its line, not its chunk. */
const PINNED = 256;

export class Verifier {
  /** Messages matched so far. */
  matched = 0;
  /** Whether every domain header said outbound messages were recorded. */
  recorded = true;
  /**
   * Replayed messages left unmatched at the end of the log, sent after every message the log has (set by
   * {@link finish}): not checked, not a divergence. A log ends wherever the recording was read or cut (a live log,
   * `head -n`), and the recorder writes a turn's messages after its inputs, in the order they were sent.
   */
  unchecked = 0;
  /** The log line of the first input that sent an {@link unchecked} message. */
  uncheckedFrom = 0;
  /** Messages replayed so far (each one's `n`). */
  private sent = 0;
  /** The last replayed message (by `n`) a recorded one matched. */
  private lastMatched = -1;
  private divergence: Divergence | undefined;
  /** Per domain, per connection. */
  private readonly pairs = new Map<number, Map<number, Pair>>();
  /** The last {@link RECENT} inputs and their lines, a ring (no object per input: every one would outlive many batches). */
  private readonly recent = new Array<EventRecord | undefined>(RECENT).fill(undefined);
  private readonly recentLines = new Float64Array(RECENT);
  private next = 0;

  /** `expand` re-runs a batch event by event (to name the event that sent a diverging message). */
  constructor(private readonly expand?: (b: ReplayBatch) => readonly ReplayStep[]) {}

  private remember(rec: EventRecord, line: number): void {
    this.recent[this.next] = rec;
    this.recentLines[this.next] = line;
    this.next = (this.next + 1) % RECENT;
  }

  /** Feed a batch of folded events. */
  addBatch(b: ReplayBatch): Divergence | undefined {
    if (this.divergence !== undefined) return this.divergence;
    for (let i = 0; i < b.records.length; i++) this.remember(b.records[i]!, b.lines[i]!);
    const line = b.lines[0]!;
    for (let k = 0; k < b.delivered.length; k++) {
      const f = b.delivered[k]!;
      const p = this.pair(b.domain, f.conn);
      encodeMessageParts(f.msg, parts);
      // the recorded message is usually there already (read before the batch was folded): compared at once
      const x = p.a === p.actual.length ? p.expected[p.e] : undefined;
      const n = this.sent++;
      if (x !== undefined && x.buf !== undefined && samePartsBytes(parts.head, parts.tail, x.buf, x.start!, x.end!)) {
        p.e++;
        this.matched++;
        this.lastMatched = n;
        this.trim(p);
        continue;
      }
      const json = parts.tail === '' ? parts.head : parts.head + parts.tail;
      p.actual.push({ json, line, batch: b, k, n });
      this.match(p);
    }
    return this.divergence;
  }

  /** Feed a recorded message read by its bytes (`ReplaySink.outBytes`). */
  addOutBytes(d: number, conn: number, b: Buffer, start: number, end: number, lineStart: number, line: number): void {
    if (this.divergence !== undefined) return;
    const p = this.pair(d, conn);
    const y = p.expected.length === p.e ? p.actual[p.a] : undefined;
    if (y !== undefined && sameBytes(y.json!, b, start, end)) {
      p.a++;
      this.matched++;
      this.lastMatched = Math.max(this.lastMatched, y.n!);
      this.trim(p);
      return;
    }
    // a message that waits long keeps a copy of its line, not the chunk it is in (the chunk is 256 KiB)
    p.expected.push(
      p.expected.length - p.e < PINNED
        ? { buf: b, start, end, lineStart, line }
        : {
            buf: Buffer.from(b.subarray(lineStart, end + 1)),
            start: start - lineStart,
            end: end - lineStart,
            lineStart: 0,
            line,
          },
    );
    this.match(p);
  }

  /**
   * The chunk `b` is to be read over (`ReplaySink.release`): the recorded messages still waiting in it keep a copy
   * of their lines instead (those of the events not folded yet: a few hundred at most).
   */
  release(b: Buffer): void {
    for (const conns of this.pairs.values())
      for (const p of conns.values())
        for (let i = p.e; i < p.expected.length; i++) {
          const x = p.expected[i]!;
          if (x.buf !== b) continue;
          const from = x.lineStart!;
          p.expected[i] = {
            buf: Buffer.from(b.subarray(from, x.end! + 1)),
            start: x.start! - from,
            end: x.end! - from,
            lineStart: 0,
            line: x.line,
          };
        }
  }

  /** Feed one replay item; returns the first divergence once there is one. */
  add(item: ReplayItem): Divergence | undefined {
    if (this.divergence !== undefined) return this.divergence;
    if (item.kind === 'domain') {
      if (!item.header.outbound) this.recorded = false;
    } else if (item.kind === 'out') {
      const p = this.pair(item.out.d, item.out.conn);
      const { json, unchecked } = item.out;
      p.expected.push(unchecked === undefined ? { json, line: item.line } : { json, line: item.line, unchecked });
      this.match(p);
    } else if (item.kind === 'step') {
      const { step } = item;
      this.remember({ kind: 'event', seq: step.seq, d: step.domain, event: step.event }, step.line);
      for (const f of step.delivered) {
        const p = this.pair(step.domain, f.conn);
        p.actual.push({ json: encodeMessage(f.msg), line: step.line, seq: step.seq, n: this.sent++ });
        this.match(p);
      }
    }
    return this.divergence;
  }

  /**
   * At the end of a log: throws {@link ReplayError} at the first recorded message left unmatched whose line is not a
   * valid record (a text that matched a replayed one is valid; a mismatch is checked when it is found).
   */
  checkUnmatched(): void {
    const left: Sent[] = [];
    for (const conns of this.pairs.values())
      for (const p of conns.values()) for (let i = p.e; i < p.expected.length; i++) left.push(p.expected[i]!);
    left.sort((a, b) => a.line - b.line);
    for (const x of left) checkLine(x);
  }

  /** No mismatch so far, and no message waiting for its match on either side of any connection. */
  settled(): boolean {
    if (this.divergence !== undefined) return false;
    for (const conns of this.pairs.values())
      for (const p of conns.values()) if (p.e < p.expected.length || p.a < p.actual.length) return false;
    return true;
  }

  /** The first mismatch so far (messages not yet matched are not divergences yet). */
  first(): Divergence | undefined {
    return this.divergence;
  }

  /**
   * The first divergence, including messages left unmatched at the end of the log: a recorded message not replayed,
   * or a replayed one not recorded although one sent after it was (those sent after every recorded one are counted
   * as {@link unchecked}).
   */
  finish(): Divergence | undefined {
    if (this.divergence !== undefined) return this.divergence;
    const left: Divergence[] = [];
    for (const conns of this.pairs.values())
      for (const p of conns.values()) {
        if (p.e < p.expected.length) left.push(this.diverge(p, p.expected[p.e], undefined));
        if (p.a < p.actual.length) {
          // (the connection's later messages were sent after this one)
          const y = p.actual[p.a]!;
          if (y.n! > this.lastMatched) {
            this.unchecked += p.actual.length - p.a;
            const from = this.locate(y)?.line ?? y.line;
            this.uncheckedFrom = this.uncheckedFrom === 0 ? from : Math.min(this.uncheckedFrom, from);
          } else left.push(this.diverge(p, undefined, y));
        }
      }
    left.sort((a, b) => a.line - b.line);
    return (this.divergence = left[0]);
  }

  private pair(domain: number, conn: number): Pair {
    let conns = this.pairs.get(domain);
    if (conns === undefined) this.pairs.set(domain, (conns = new Map<number, Pair>()));
    let p = conns.get(conn);
    if (p === undefined) conns.set(conn, (p = { domain, conn, expected: [], actual: [], e: 0, a: 0 }));
    return p;
  }

  /** Compare what both sides of a connection have; messages are text, compared as canonical JSON if they differ. */
  private match(p: Pair): void {
    while (p.e < p.expected.length && p.a < p.actual.length) {
      const x = p.expected[p.e++]!;
      const y = p.actual[p.a++]!;
      if (!same(x, y)) {
        checkLine(x);
        // the first one is reported (the rest of a batch is still matched, and counted)
        this.divergence ??= this.diverge(p, x, y);
        return;
      }
      this.matched++;
      this.lastMatched = Math.max(this.lastMatched, y.n!);
    }
    this.trim(p);
  }

  /** The matched heads are dropped in bulk (no shifting one by one; no growth while one side stays ahead). */
  private trim(p: Pair): void {
    if (p.e > 0 && p.e === p.expected.length) p.expected.length = p.e = 0;
    else if (p.e >= 4096) [p.expected, p.e] = [p.expected.slice(p.e), 0];
    if (p.a > 0 && p.a === p.actual.length) p.actual.length = p.a = 0;
    else if (p.a >= 4096) [p.actual, p.a] = [p.actual.slice(p.a), 0];
  }

  private diverge(p: Pair, x: Sent | undefined, y: Sent | undefined): Divergence {
    const { domain, conn } = p;
    const at = y === undefined ? undefined : this.locate(y);
    const upTo = at?.seq ?? Infinity;
    const inputs: InputLine[] = [];
    for (let i = 1; i <= RECENT && inputs.length < SHOWN; i++) {
      const j = (this.next - i + RECENT) % RECENT;
      const r = this.recent[j];
      if (r === undefined) break;
      const e = r.event;
      if (r.d !== domain || r.seq > upTo || ('conn' in e ? e.conn !== conn : e.type !== 'tick')) continue;
      inputs.unshift({ seq: r.seq, line: this.recentLines[j]!, text: encodeEventLine(r.seq, r.d, e) });
    }
    return {
      domain,
      conn,
      ...(at !== undefined ? { seq: at.seq } : {}),
      line: x?.line ?? at?.line ?? y!.line,
      ...(x !== undefined ? { expected: textOf(x) } : {}),
      ...(y !== undefined ? { actual: y.json } : {}),
      inputs,
    };
  }

  /** The event that sent a replayed message. */
  private locate(y: Sent): { seq: number; line: number } | undefined {
    if (y.seq !== undefined) return { seq: y.seq, line: y.line };
    if (y.batch === undefined || this.expand === undefined) return undefined;
    let k = y.k!;
    for (const step of this.expand(y.batch)) {
      const n = step.delivered.length;
      if (k < n) return { seq: step.seq, line: step.line };
      k -= n;
    }
    return undefined;
  }
}

import { checkPayloadSize, payloadSize } from './payload';
import { MAX_MESSAGE_SIZE } from './transport';

/**
 * `Buffer#utf8Write(string, offset, length)`: what `Buffer#write(string, offset, 'utf8')` calls once it has checked
 * and normalised its arguments (that wrapper: 11 % of the CPU of a notification in `bench/shell.ts` profiles); the
 * offset and length given here are in range by construction (`room`). Node has it on every Buffer, untyped.
 */
type Utf8Writer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** `Buffer#latin1Write`, as {@link Utf8Writer}: one byte per character, exact for ASCII text. */
type Latin1Writer = Buffer & { latin1Write(s: string, offset: number, length: number): number };

/** The size of the output buffers a big turn adds once its first one is full (bytes). */
const OUT_CHUNK = 64 * 1024;
/**
 * The largest first output buffer of a turn (bytes; see `lastFlushBytes`): below half of `Buffer.poolSize`, so that it
 * is a slice of Node's shared 8 KiB pool, not an ArrayBuffer of its own. A turn that tells one notification to each
 * of 1,000 connections whose last flush was big (the initial listings of a mass of subscribers) would otherwise take
 * a 64 KiB buffer each: 64 MB of external memory in one turn, which V8 answers with collections in that very turn
 * (scavenges for "external memory pressure", a mass kill's first turn: docs/audits/issue-13.md).
 */
const FIRST_MAX = (Buffer.poolSize >>> 1) - 1;
/**
 * An output buffer this big or bigger is not grown by copying when full: it is kept as it is (`filled`) and a new one
 * of {@link OUT_CHUNK} bytes (or the message's size) started. Below it a buffer doubles, copying less than this
 * per turn (a first buffer of {@link FIRST_MAX} bytes is sealed at its first doubling).
 */
const OUT_SEAL = 2 * FIRST_MAX;

/**
 * `[0, used)` of an output buffer, to write: a write the kernel does not take at once keeps its whole buffer until it
 * does, so a mostly empty one (a small turn after a big one) is copied to its size first, and no connection holds
 * much more than it has queued.
 */
const trimmed = (out: Buffer, used: number): Buffer =>
  out.length > 2 * used + 4096 ? Buffer.from(out.subarray(0, used)) : out.subarray(0, used);

/**
 * The output of a tcp/tls connection queued since its last flush, framed: each message is encoded into a buffer as it
 * is sent (a 4-byte big-endian length, then UTF-8), so that a flush writes the buffers as they are. Nothing holds the
 * message's string after `send` (a turn that fans a change out to many subscribers keeps bytes, not thousands of
 * strings, until its flush), and no size is computed twice.
 */
export class FrameOutput {
  /** The buffer messages are encoded into. */
  private out: Buffer | undefined = undefined;
  /** Bytes used in `out`. */
  private outUsed = 0;
  /**
   * Output buffers filled earlier in the turn (each the used part of its buffer), written before `out`: a turn's
   * output grows by new buffers of {@link OUT_CHUNK} bytes, not by copying what it queued into a buffer twice as big.
   */
  private filled: Buffer[] | undefined = undefined;
  /** Bytes queued: in `filled` and `out`. */
  queuedBytes = 0;
  /** Messages queued. */
  queued = 0;
  /** The size of the last flush (at most {@link FIRST_MAX}): the next turn's output buffer starts that big. */
  private lastFlushBytes = 0;

  /** Queue one message (1..262144 bytes as UTF-8; throws otherwise). */
  send(payload: string | Uint8Array): void {
    if (typeof payload === 'string') {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit: the exact size is only needed to refuse a message that may
      // be too long (or empty); the write below tells the size of every other one
      if (payload.length === 0 || payload.length * 3 > MAX_MESSAGE_SIZE) payloadSize(payload, MAX_MESSAGE_SIZE);
      const out = this.room(4 + payload.length * 3);
      const at = this.outUsed;
      const size = (out as Utf8Writer).utf8Write(payload, at + 4, out.length - at - 4);
      out.writeUInt32BE(size, at);
      this.used(at, 4 + size);
    } else {
      const size = payloadSize(payload, MAX_MESSAGE_SIZE);
      const out = this.room(4 + size);
      const at = this.outUsed;
      out.writeUInt32BE(size, at);
      out.set(payload, at + 4);
      this.used(at, 4 + size);
    }
    this.queued++;
  }

  /** Queue one message given as an ASCII head and the UTF-8 bytes of its rest (`Connection.sendJoined`). */
  sendJoined(head: string | Uint8Array, rest: Uint8Array): void {
    // ASCII: a byte per character (latin1Write does less per call than utf8Write; bytes are copied, cheaper still);
    // head is never empty
    const h = head.length;
    const size = checkPayloadSize(h + rest.length, MAX_MESSAGE_SIZE);
    const out = this.room(4 + size);
    const at = this.outUsed;
    if (typeof head === 'string') (out as Latin1Writer).latin1Write(head, at + 4, h);
    else out.set(head, at + 4);
    out.set(rest, at + 4 + h);
    out.writeUInt32BE(size, at);
    this.used(at, 4 + size);
    this.queued++;
  }

  /**
   * Everything queued, to write in this order (several buffers after a big turn), and nothing queued any more; the
   * next turn's first buffer is sized after this one. Call only when `queued > 0`.
   */
  take(): Buffer[] {
    const data = trimmed(this.out!, this.outUsed);
    const buffers = this.filled ?? [];
    buffers.push(data);
    this.lastFlushBytes = Math.min(this.queuedBytes, FIRST_MAX);
    this.drop();
    return buffers;
  }

  /** Forget what is queued. */
  drop(): void {
    this.out = undefined;
    this.filled = undefined;
    this.outUsed = 0;
    this.queuedBytes = 0;
    this.queued = 0;
  }

  /** `n` bytes were written into `out` at `at`. */
  private used(at: number, n: number): void {
    this.outUsed = at + n;
    this.queuedBytes += n;
  }

  /**
   * The output buffer, with room for `n` more bytes at `outUsed`: a small one is grown by doubling (each byte copied
   * once on average), a full one of {@link OUT_SEAL} bytes or more is kept as it is (`filled`) and a new one started.
   */
  private room(n: number): Buffer {
    const used = this.outUsed;
    const need = used + n;
    const out = this.out;
    if (out !== undefined && need <= out.length) return out;
    if (out !== undefined && out.length >= OUT_SEAL && used > 0) {
      (this.filled ??= []).push(trimmed(out, used));
      const next = Buffer.allocUnsafe(Math.max(n, OUT_CHUNK));
      this.out = next;
      this.outUsed = 0;
      return next;
    }
    // the first buffer of a turn is as big as the last turn's output (a connection that gets much every turn grows
    // it once, not by doubling from 1 KiB every turn); small ones come from Node's pool (allocUnsafe below 4 KiB)
    const grown = Buffer.allocUnsafe(
      Math.max(need, out === undefined ? Math.max(1024, this.lastFlushBytes) : 2 * out.length),
    );
    if (out !== undefined) out.copy(grown, 0, 0, used);
    this.out = grown;
    return grown;
  }
}

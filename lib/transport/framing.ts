import { MAX_MESSAGE_SIZE } from './transport';

/** What one chunk of a tcp/tls byte stream yielded. */
export interface SplitResult {
  /** All frames completed by this chunk, in order. */
  readonly frames: Uint8Array[];
  /** 'eof' after a zero-length frame, 'oversize' after a header announcing more than 262144 bytes. */
  readonly end?: 'eof' | 'oversize';
}

/** Encode one message as a 4-byte big-endian length followed by the payload. */
export const encodeFrame = (payload: Uint8Array): Buffer => {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
};

/** No bytes held back: one empty buffer for every splitter (it is only ever read). */
const NONE: Buffer = Buffer.alloc(0);

/**
 * Reassembles 4-byte-length-prefixed frames (§2.3) from arbitrary chunks. Pure: no I/O. After an 'eof' or
 * 'oversize' end the splitter ignores all further input.
 */
export class FrameSplitter {
  private pending: Buffer = NONE;
  private ended = false;

  /**
   * @param copy each frame is a copy of its bytes (default), so that it neither pins nor aliases the chunk it came
   *   in; with `false` a frame is a view of the chunk, for a consumer that reads every frame at once and keeps none
   *   (the server decodes each frame as it arrives: a copy per message saved).
   */
  constructor(
    private readonly maxSize: number = MAX_MESSAGE_SIZE,
    private readonly copy: boolean = true,
  ) {}

  /** Feed one chunk; returns every frame completed by it, in order. */
  push(chunk: Uint8Array): SplitResult {
    if (this.ended) {
      return { frames: [] };
    }
    const buf =
      this.pending.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([this.pending, chunk]);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (length === 0 || length > this.maxSize) {
        this.ended = true;
        this.pending = NONE;
        return { frames, end: length === 0 ? 'eof' : 'oversize' };
      }
      if (buf.length - offset - 4 < length) {
        break;
      }
      frames.push(
        this.copy
          ? Uint8Array.prototype.slice.call(buf, offset + 4, offset + 4 + length)
          : new Uint8Array(buf.buffer, buf.byteOffset + offset + 4, length),
      );
      offset += 4 + length;
    }
    this.pending = offset === buf.length ? NONE : Buffer.from(buf.subarray(offset));
    return { frames };
  }

  /** Bytes of an incomplete frame held back. */
  get buffered(): number {
    return this.pending.length;
  }
}

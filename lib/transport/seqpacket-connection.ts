import type { Observable } from 'rxjs';
import { type ChannelObserver, HotChannel } from './hot-channel';
import { POLL_READABLE, POLL_WRITABLE, seqpacket, type PollHandle } from './native';
import { toPayload } from './payload';
import {
  BACKPRESSURE_BYTES,
  BACKPRESSURE_MESSAGES,
  MAX_MESSAGE_SIZE,
  type Connection,
  type TransportKind,
} from './transport';
import { TransportError, toTransportError } from './transport-error';

/** At most this many records are read per readiness event, so that one busy peer cannot starve the others. */
const READ_BATCH = 64;

/** At most this many unread records are discarded when closing (to avoid resetting the peer). */
const CLOSE_DRAIN_LIMIT = 1024;

/** A ux or uxf Connection over an AF_UNIX SOCK_SEQPACKET fd from the native addon: one message = one record. */
export class SeqpacketConnection implements Connection {
  readonly acceptedAt = Date.now();
  readonly userId = 'default';

  private readonly channel: HotChannel<Uint8Array>;
  private readonly poll: PollHandle;
  private queue: Buffer[] = [];
  private queueBytes = 0;
  private outbound: Buffer[] = [];
  private outboundHead = 0;
  private outboundBytes = 0;
  private watching = 0;
  private closed = false;
  private blocked = false;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;

  /** Takes ownership of a connected, non-blocking fd. */
  constructor(
    private readonly fd: number,
    readonly transport: Extract<TransportKind, 'ux' | 'uxf'>,
    readonly remoteAddress: string,
    readonly localAddress: string,
    private readonly backpressure: boolean,
  ) {
    this.channel = new HotChannel<Uint8Array>(() => this.updatePoll());
    this.poll = seqpacket().pollStart(fd, (events) => this.onEvents(events));
  }

  get messages$(): Observable<Uint8Array> {
    return this.channel.observable$;
  }

  attach(observer: ChannelObserver<Uint8Array>): boolean {
    return this.channel.attach(observer);
  }

  get pendingOutbound(): number {
    return this.queue.length + this.outbound.length - this.outboundHead;
  }

  get pendingOutboundBytes(): number {
    return this.queueBytes + this.outboundBytes;
  }

  send(payload: string | Uint8Array): void {
    if (!this.closed) {
      const record = Buffer.from(toPayload(payload, MAX_MESSAGE_SIZE));
      this.queue.push(record);
      this.queueBytes += record.length;
    }
  }

  abort(): void {
    this.close(); // output lives in user space only: shutdown() drops it
  }

  flush(): void {
    if (this.closed || this.queue.length === 0) {
      return;
    }
    for (const record of this.queue) {
      this.outbound.push(record);
      this.outboundBytes += record.length;
    }
    this.queue = [];
    this.queueBytes = 0;
    this.writeOut();
    this.updatePoll();
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.shutdown();
    this.channel.complete();
  }

  setKeepAlive(_on: boolean): void {
    // Not applicable to AF_UNIX sockets.
  }

  private onEvents(events: number): void {
    if (this.closed) {
      return;
    }
    if (events & POLL_WRITABLE) {
      this.writeOut();
    }
    if (events & POLL_READABLE && this.readable()) {
      this.readIn();
    }
    this.updatePoll();
  }

  private readable(): boolean {
    return !this.closed && this.channel.active && !this.congested();
  }

  private congested(): boolean {
    return (
      this.backpressure &&
      (this.outbound.length - this.outboundHead >= BACKPRESSURE_MESSAGES || this.outboundBytes >= BACKPRESSURE_BYTES)
    );
  }

  private readIn(): void {
    const addon = seqpacket();
    for (let i = 0; i < READ_BATCH && this.readable(); i++) {
      let record: Buffer | null;
      try {
        record = addon.recv(this.fd);
      } catch (err) {
        this.fail(toTransportError(this.remoteAddress, err));
        return;
      }
      if (record === null) {
        return;
      }
      if (record.length === 0) {
        this.close();
        return;
      }
      if (record.length > MAX_MESSAGE_SIZE) {
        this.fail(new TransportError(`${this.remoteAddress}: message exceeds ${MAX_MESSAGE_SIZE} bytes`, 'EPROTO'));
        return;
      }
      this.channel.next(new Uint8Array(record.buffer, record.byteOffset, record.length));
    }
  }

  private writeOut(): void {
    const addon = seqpacket();
    while (!this.closed && this.outboundHead < this.outbound.length) {
      const record = this.outbound[this.outboundHead]!;
      let sent: number;
      try {
        sent = addon.send(this.fd, record);
      } catch (err) {
        this.fail(toTransportError(this.remoteAddress, err));
        return;
      }
      if (sent === 0) {
        break;
      }
      this.outboundHead++;
      this.outboundBytes -= record.length;
    }
    if (this.outboundHead === this.outbound.length) {
      this.outbound = [];
      this.outboundHead = 0;
    } else if (this.outboundHead > 1024 && this.outboundHead * 2 > this.outbound.length) {
      this.outbound = this.outbound.slice(this.outboundHead);
      this.outboundHead = 0;
    }
  }

  private updatePoll(): void {
    if (this.closed) {
      return;
    }
    const blocked = this.channel.active && this.congested();
    if (blocked !== this.blocked) {
      this.blocked = blocked;
      this.onOutputBlocked?.(blocked);
      if (this.closed) return;
    }
    const events =
      (this.readable() ? POLL_READABLE : 0) | (this.outboundHead < this.outbound.length ? POLL_WRITABLE : 0);
    if (events !== this.watching) {
      this.watching = events;
      seqpacket().pollSet(this.poll, events);
    }
  }

  private fail(err: TransportError): void {
    if (!this.closed) {
      this.shutdown();
      this.channel.error(err);
    }
  }

  /** Discard output, consume what the peer already sent (else it sees ECONNRESET), close the fd. */
  private shutdown(): void {
    this.closed = true;
    this.queue = [];
    this.queueBytes = 0;
    this.outbound = [];
    this.outboundHead = 0;
    this.outboundBytes = 0;
    const addon = seqpacket();
    addon.pollClose(this.poll);
    try {
      for (let i = 0; i < CLOSE_DRAIN_LIMIT; i++) {
        const record = addon.recv(this.fd);
        if (record === null || record.length === 0) {
          break;
        }
      }
    } catch {
      // The peer is gone already.
    }
    addon.close(this.fd);
  }
}

import type { Observable } from 'rxjs';
import { formatIpAddress, ipUserId } from './address';
import { FrameOutput } from './frame-output';
import { FrameSplitter } from './framing';
import { type ChannelObserver, HotChannel } from './hot-channel';
import { POLL_READABLE, POLL_WRITABLE, type NativeTcpAddon, type PollHandle } from './native';
import {
  BACKPRESSURE_BYTES,
  BACKPRESSURE_MESSAGES,
  MAX_MESSAGE_SIZE,
  READ_FRAMES_PER_TURN,
  type Connection,
} from './transport';
import { TransportError, toTransportError } from './transport-error';

/** Bytes asked of the kernel per read. */
const READ_SIZE = 64 * 1024;
/** At most this many reads per readiness event, so that one busy peer cannot starve the others (libuv reads 32). */
const READS_PER_EVENT = 16;
/** How long a closed connection may wait for the peer's FIN (consuming its input) before its fd is closed. */
const LINGER_MS = 2000;
/** At most this many bytes of unread input are consumed (and dropped) when a connection is cut. */
const DRAIN_LIMIT = 1024 * 1024;

/**
 * The one buffer every native tcp connection reads into: frames are views of it, delivered (and decoded by the server)
 * before the next read; a partial frame is copied out by the splitter. No allocation per read, so a wave of 1,000
 * EOFs (a mass kill) is 1,000 small reads, not 1,000 64 KiB buffers (issue 13).
 */
let shared: Buffer | undefined;
const readBuffer = (): Buffer => (shared ??= Buffer.allocUnsafeSlow(READ_SIZE));

/** Where a connection is in its life. */
const enum State {
  /** Read and written. */
  Open,
  /** The peer sent EOF: the server was told (messages$ completed); the fd waits for close() or abort(). */
  Ended,
  /** Closed by the server: what was flushed is still written, then FIN; input is consumed until EOF or the linger. */
  Closing,
  /** The fd is closed. */
  Gone,
}

/**
 * A server-side tcp Connection on an accepted fd, read and written through rxpaf's native addon (no node:net Socket):
 * the same framing, back-pressure and close rules as {@link StreamConnection} on a server, at a fraction of its cost
 * per connection and per read (issues 12 and 13).
 */
export class NativeTcpConnection implements Connection {
  readonly transport = 'tcp' as const;
  readonly acceptedAt = Date.now();
  readonly remoteAddress: string;
  readonly userId: string;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;

  private readonly channel: HotChannel<Uint8Array>;
  private readonly splitter = new FrameSplitter(MAX_MESSAGE_SIZE, false);
  private readonly output = new FrameOutput();
  private readonly poll: PollHandle;
  private state = State.Open;
  /** Flushed buffers the kernel has not taken entirely, from `head`; `offset` bytes of the first are written. */
  private pending: Buffer[] = [];
  /** Messages that end in each pending buffer (a flush's count on its last buffer). */
  private counts: number[] = [];
  private head = 0;
  private offset = 0;
  private pendingBytes = 0;
  private unwrittenMessages = 0;
  /** Frames delivered since the last flush (see StreamConnection `readFrames`). */
  private readFrames = 0;
  private readReset: ReturnType<typeof setImmediate> | undefined = undefined;
  /** Closing: the fd is closed after {@link LINGER_MS} at the latest. */
  private linger: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Cut (abort): the fd is closed at the next turn. */
  private cut: ReturnType<typeof setImmediate> | undefined = undefined;
  private watching = 0;
  private blocked = false;
  private local: string | undefined;

  /** Takes ownership of an accepted, non-blocking fd. */
  constructor(
    private readonly addon: NativeTcpAddon,
    private readonly fd: number,
    remote: { address: string; port: number },
  ) {
    this.remoteAddress = formatIpAddress('tcp', remote.address, remote.port);
    this.userId = ipUserId(this.remoteAddress);
    this.channel = new HotChannel<Uint8Array>(() => this.updatePoll());
    this.poll = addon.pollStart(fd, (events) => this.onEvents(events));
  }

  get messages$(): Observable<Uint8Array> {
    return this.channel.observable$;
  }

  attach(observer: ChannelObserver<Uint8Array>): boolean {
    return this.channel.attach(observer);
  }

  /** Own address, read when first asked (the server does not ask). */
  get localAddress(): string {
    if (this.local === undefined && this.state !== State.Gone) {
      try {
        const own = this.addon.inetName(this.fd, false);
        this.local = formatIpAddress('tcp', own.address, own.port);
      } catch {
        // not connected any more
      }
    }
    return this.local ?? 'tcp:0.0.0.0:0';
  }

  get queuedMessages(): number {
    return this.output.queued;
  }

  get pendingOutbound(): number {
    return this.output.queuedBytes + this.pendingBytes;
  }

  get pendingOutboundBytes(): number {
    return this.pendingOutbound;
  }

  send(payload: string | Uint8Array): void {
    if (this.state === State.Open) this.output.send(payload);
  }

  sendJoined(head: string | Uint8Array, rest: Uint8Array): void {
    if (this.state === State.Open) this.output.sendJoined(head, rest);
  }

  flush(): void {
    if (this.state !== State.Open || this.output.queued === 0) return;
    const count = this.output.queued;
    const buffers = this.output.take();
    for (const b of buffers) {
      this.pending.push(b);
      this.counts.push(0);
      this.pendingBytes += b.length;
    }
    this.counts[this.counts.length - 1] = count;
    this.unwrittenMessages += count;
    this.readFrames = 0; // what was read is answered: this flush holds the replies
    this.writeOut();
    this.updatePoll();
  }

  setKeepAlive(on: boolean): void {
    if (this.state === State.Open) this.addon.tcpKeepAlive(this.fd, on);
  }

  /**
   * Orderly close: unflushed output is dropped, flushed output is still written, then FIN; input is consumed until
   * the peer's EOF (or {@link LINGER_MS}) so that the peer is not reset. After the peer's EOF: the fd is closed once
   * the flushed output is written.
   */
  close(): void {
    this.closeAfter(undefined);
  }

  private closeAfter(err: TransportError | undefined): void {
    if (this.state === State.Ended) return this.finish();
    if (this.state !== State.Open) return;
    this.shut(State.Closing, err);
    this.linger = setTimeout(() => this.destroy(), LINGER_MS);
    this.linger.unref();
    this.writeOut();
    this.updatePoll();
  }

  /** Cut: every byte of output not yet in the kernel dropped; unread input consumed (one turn), then the fd closed. */
  abort(): void {
    if (this.state === State.Gone) return;
    if (this.state === State.Ended) return this.destroy();
    if (this.state === State.Open) this.shut(State.Closing);
    this.dropPending();
    this.drainInput();
    if (this.gone()) return;
    this.cut ??= setImmediate(() => this.destroy());
    this.updatePoll();
  }

  /** The fd is closed (a method: the compiler does not narrow `state` across calls that may close it). */
  private gone(): boolean {
    return this.state === State.Gone;
  }

  private onEvents(events: number): void {
    if (this.state === State.Gone) return;
    if (events & POLL_WRITABLE) this.writeOut();
    if (events & POLL_READABLE) {
      if (this.state === State.Open) this.readIn();
      else if (this.state === State.Closing) this.drainInput();
    }
    this.updatePoll();
  }

  private readIn(): void {
    const buf = readBuffer();
    for (let i = 0; i < READS_PER_EVENT && this.readable(); i++) {
      let n: number;
      try {
        n = this.addon.readInto(this.fd, buf);
      } catch (err) {
        return this.fail(toTransportError(this.remoteAddress, err));
      }
      if (n < 0) return;
      if (n === 0) return this.peerEnded();
      const { frames, end } = this.splitter.push(buf.subarray(0, n));
      this.readFrames += frames.length;
      for (const frame of frames) {
        if (this.state !== State.Open) return;
        this.channel.next(frame);
      }
      if (end === 'oversize') {
        // as for an EOF frame, an orderly close: the peer is not reset
        const err = new TransportError(`${this.remoteAddress}: frame exceeds ${MAX_MESSAGE_SIZE} bytes`, 'EPROTO');
        return this.closeAfter(err);
      }
      if (end === 'eof') return this.close();
      if (n < buf.length) return; // the kernel had no more
    }
  }

  /** Consume (and drop) input while closing: at EOF or an error the fd is closed. */
  private drainInput(): void {
    const buf = readBuffer();
    for (let read = 0; read < DRAIN_LIMIT;) {
      let n: number;
      try {
        n = this.addon.readInto(this.fd, buf);
      } catch {
        return this.destroy();
      }
      if (n < 0) return;
      if (n === 0) return this.destroy();
      read += n;
    }
  }

  /** The peer's EOF: the server is told; the fd stays open until it calls close() (sliced over its turns). */
  private peerEnded(): void {
    this.shut(State.Ended);
  }

  /** After the peer's EOF, the server closes: the fd is closed once what was flushed is written. */
  private finish(): void {
    if (this.head === this.pending.length) return this.destroy();
    this.state = State.Closing;
    this.linger = setTimeout(() => this.destroy(), LINGER_MS);
    this.linger.unref();
    this.updatePoll();
  }

  /** Closed for the server: nothing more is sent or delivered; messages$ completes (or errors with `err`). */
  private shut(state: State.Ended | State.Closing, err?: TransportError): void {
    this.state = state;
    this.output.drop();
    if (err === undefined) this.channel.complete();
    else this.channel.error(err);
  }

  private fail(err: TransportError): void {
    if (this.state === State.Gone) return;
    const open = this.state === State.Open;
    this.output.drop();
    this.destroy();
    if (open) this.channel.error(err);
  }

  private destroy(): void {
    if (this.state === State.Gone) return;
    this.state = State.Gone;
    this.output.drop();
    this.dropPending();
    if (this.linger !== undefined) clearTimeout(this.linger);
    if (this.cut !== undefined) clearImmediate(this.cut);
    if (this.readReset !== undefined) clearImmediate(this.readReset);
    this.addon.pollClose(this.poll);
    this.addon.close(this.fd);
  }

  private dropPending(): void {
    this.pending = [];
    this.counts = [];
    this.head = this.offset = this.pendingBytes = this.unwrittenMessages = 0;
  }

  private writeOut(): void {
    const { pending, counts, addon, fd } = this;
    while (this.head < pending.length) {
      const b = pending[this.head]!;
      let n: number;
      try {
        n = addon.writeFrom(fd, b, this.offset);
      } catch (err) {
        return this.fail(toTransportError(this.remoteAddress, err));
      }
      this.offset += n;
      this.pendingBytes -= n;
      if (this.offset < b.length) break; // the kernel is full: wait until writable
      this.unwrittenMessages -= counts[this.head]!;
      pending[this.head] = undefined!; // written: not kept
      this.head++;
      this.offset = 0;
    }
    if (this.head === pending.length) {
      if (this.head > 0) {
        this.pending = [];
        this.counts = [];
        this.head = 0;
      }
      if (this.state === State.Closing) addon.shutdownWrite(fd);
    } else if (this.head > 1024 && this.head * 2 > pending.length) {
      this.pending = pending.slice(this.head);
      this.counts = counts.slice(this.head);
      this.head = 0;
    }
  }

  private congested(): boolean {
    return this.unwrittenMessages >= BACKPRESSURE_MESSAGES || this.pendingBytes >= BACKPRESSURE_BYTES;
  }

  private readable(): boolean {
    return (
      this.state === State.Open && this.channel.active && !this.congested() && this.readFrames < READ_FRAMES_PER_TURN
    );
  }

  /** Back-pressure (§15.3) and what to watch: no reading while too much output waits for the kernel. */
  private updatePoll(): void {
    if (this.state === State.Gone) return;
    if (this.state === State.Open && this.channel.active) {
      const congested = this.congested();
      if (congested !== this.blocked) {
        this.blocked = congested;
        this.onOutputBlocked?.(congested);
        if (this.state !== State.Open) return this.updatePoll();
      }
      if (this.readFrames >= READ_FRAMES_PER_TURN) this.readReset ??= setImmediate(this.resetReads);
    }
    const read = this.state === State.Closing || this.readable();
    const events = (read ? POLL_READABLE : 0) | (this.head < this.pending.length ? POLL_WRITABLE : 0);
    if (events !== this.watching) {
      this.watching = events;
      this.addon.pollSet(this.poll, events);
    }
  }

  /** One turn after reading was throttled: the server has answered what was read; read again unless congested. */
  private readonly resetReads = (): void => {
    this.readReset = undefined;
    this.readFrames = 0;
    this.updatePoll();
  };
}

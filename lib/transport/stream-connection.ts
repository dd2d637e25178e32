import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Observable } from 'rxjs';
import { formatIpAddress, ipUserId } from './address';
import { FrameOutput } from './frame-output';
import { FrameSplitter } from './framing';
import { type ChannelObserver, HotChannel } from './hot-channel';
import { skiUserId } from './ski';
import {
  BACKPRESSURE_BYTES,
  BACKPRESSURE_MESSAGES,
  MAX_MESSAGE_SIZE,
  READ_FRAMES_PER_TURN,
  type Connection,
  type TransportKind,
} from './transport';
import { TransportError, toTransportError } from './transport-error';

/** How long a closed connection may wait for the peer's FIN (consuming its input) before it is destroyed. */
const LINGER_MS = 2000;

/** Keepalive idle time used when keepalive is on (XCM: TCP_KEEPIDLE 1 s). */
const KEEPALIVE_DELAY_MS = 1000;

/**
 * The socket's listeners are shared functions that find their connection on the socket (Node calls a listener with
 * the emitter as `this`), not closures made per connection (issue 12, the cost of a connection).
 */
const kConnection = Symbol('rxpaf.connection');
type OwnedSocket = Socket & { [kConnection]: StreamConnection };
function onSocketError(this: OwnedSocket, err: Error): void {
  const c = this[kConnection];
  c.fail(toTransportError(c.remoteAddress, err));
}
function onSocketPeerEnd(this: OwnedSocket): void {
  this[kConnection].peerEnded();
}
function onSocketClose(this: OwnedSocket): void {
  this[kConnection].close();
}
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection].onData(chunk);
}

/** A tcp or tls Connection: 4-byte big-endian length framing over a net.Socket or an established tls.TLSSocket. */
export class StreamConnection implements Connection {
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  readonly userId: string;
  readonly acceptedAt = Date.now();

  private readonly channel: HotChannel<Uint8Array>;
  private readonly splitter: FrameSplitter;
  /** Queued output, framed (see FrameOutput), until flush() writes it. */
  private readonly output = new FrameOutput();
  private unwrittenMessages = 0;
  private closed = false;
  /**
   * The peer ended (EOF) on a server-side connection: the connection is closed for the server (messages$ completed,
   * nothing more is sent) but the socket is left as it is until close() or abort(): the server calls that when it
   * folds the connection's `closed` event, in chunks sized to its turn budget, so a wave of 1,000 peer closes (a
   * mass kill) does not end 1,000 sockets in the one event-loop turn that read their EOFs (issue 13).
   */
  private ended = false;
  private paused = false;
  /** Output congestion as last reported to {@link onOutputBlocked}. */
  private blocked = false;
  /**
   * Frames delivered since the last flush: their replies are not queued yet, so the output's congestion does not
   * count them. A peer that pipelines more than {@link READ_FRAMES_PER_TURN} requests is not read further until the
   * server has had a turn to answer them (then `readReset`): without it, the tens of thousands of requests the kernel
   * held (libuv reads up to 32 chunks of 64 KiB in one go) were all answered in one turn, and their replies could
   * exceed the output limits, cutting as a slow consumer a client that the upstream rule holds by back-pressure.
   */
  private readFrames = 0;
  private readReset: ReturnType<typeof setImmediate> | undefined = undefined;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;

  /**
   * @param socket a connected net.Socket (tcp) or a TLSSocket whose handshake has completed (tls).
   * @param backpressure stop reading while output is congested (server side; a client must keep reading). Server
   *   side, inbound frames are views of the socket's reads (the server decodes each one as it arrives).
   */
  constructor(
    private readonly socket: Socket,
    private readonly backpressure: boolean,
  ) {
    // `encrypted` is set on every tls.TLSSocket (and on no net.Socket): no `instanceof`, so node:tls is not loaded
    // for tcp: alone
    const tls = (socket as Partial<TLSSocket>).encrypted === true ? (socket as TLSSocket) : undefined;
    this.transport = tls !== undefined ? 'tls' : 'tcp';
    this.remoteAddress = formatIpAddress(this.transport, socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0);
    this.userId = tls !== undefined ? skiUserId(tls.getPeerCertificate()?.raw) : ipUserId(this.remoteAddress);
    this.splitter = new FrameSplitter(MAX_MESSAGE_SIZE, !backpressure);
    if (!backpressure) this.local = this.readLocal();
    this.channel = new HotChannel<Uint8Array>(() => this.startReading());
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('error', onSocketError);
    socket.on('end', onSocketPeerEnd);
    socket.on('close', onSocketClose);
  }

  get messages$(): Observable<Uint8Array> {
    return this.channel.observable$;
  }

  attach(observer: ChannelObserver<Uint8Array>): boolean {
    return this.channel.attach(observer);
  }

  /**
   * Own address. A server-side connection reads it when first asked, while the socket is open (nothing in the server
   * asks: a getsockname call and a string per accepted connection saved); a client's is read at once (its owner may
   * ask after the close).
   */
  get localAddress(): string {
    return (this.local ??= this.readLocal());
  }
  private local: string | undefined;
  private readLocal(): string {
    const s = this.socket;
    return formatIpAddress(this.transport, s.localAddress ?? '0.0.0.0', s.localPort ?? 0);
  }

  get queuedMessages(): number {
    return this.output.queued;
  }

  get pendingOutbound(): number {
    return this.output.queuedBytes + this.socket.writableLength;
  }

  get pendingOutboundBytes(): number {
    return this.pendingOutbound;
  }

  /** Mark closed and drop the queued output; the socket if it still needs closing (close and abort share this). */
  private shut(): Socket | undefined {
    if (this.closed) return undefined;
    this.closed = true;
    this.output.drop();
    this.channel.complete();
    return this.socket.destroyed ? undefined : this.socket;
  }

  /**
   * EOF from the peer: a client closes at once; a server connection leaves its socket to close() (see `ended`).
   * @internal the socket's `end` listener
   */
  peerEnded(): void {
    if (this.closed) return;
    if (!this.backpressure) return this.close();
    this.shut();
    this.ended = true;
  }

  /**
   * The socket of a connection whose peer ended, once the server closes it: its input is over (nothing to consume,
   * no linger), so it is destroyed at once unless output is still waiting in Node's buffer (then FIN after it).
   */
  private finish(): void {
    this.ended = false;
    const s = this.socket;
    if (s.destroyed) return;
    if (s.writableLength > 0 && !s.writableEnded) s.end();
    else s.destroy();
  }

  abort(): void {
    if (this.ended) return this.finish();
    const socket = this.shut();
    if (socket === undefined) return;
    // Node's write buffer is released by destroy(); what the kernel holds is still sent, then FIN. Unread input
    // is consumed first (one turn) so that closing does not reset the peer.
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    socket.resume();
    const timer = setImmediate(() => socket.destroy());
    socket.once('close', () => clearImmediate(timer));
  }

  send(payload: string | Uint8Array): void {
    if (!this.closed) this.output.send(payload);
  }

  sendJoined(head: string | Uint8Array, rest: Uint8Array): void {
    if (!this.closed) this.output.sendJoined(head, rest);
  }

  flush(): void {
    if (this.closed || this.output.queued === 0) {
      return;
    }
    // one write (§2.3 framing: a length header, then the payload, per message), of the bytes queued; several
    // buffers (a big turn) as one corked write, which the socket hands to the kernel as one writev
    const count = this.output.queued;
    const buffers = this.output.take();
    this.unwrittenMessages += count;
    this.readFrames = 0; // what was read is answered: this flush holds the replies
    const socket = this.socket;
    const last = buffers.length - 1;
    if (last > 0) {
      socket.cork();
      for (let i = 0; i < last; i++) socket.write(buffers[i]!);
    }
    socket.write(buffers[last]!, () => {
      this.unwrittenMessages -= count;
      this.updateFlow();
    });
    if (last > 0) socket.uncork();
    this.updateFlow();
  }

  close(): void {
    if (this.ended) return this.finish();
    const socket = this.shut();
    if (socket === undefined) return;
    // Keep consuming input so that the kernel does not reset the connection, then FIN (close_notify for TLS).
    socket.removeAllListeners('data');
    socket.resume();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  setKeepAlive(on: boolean): void {
    if (!this.closed) {
      this.socket.setKeepAlive(on, KEEPALIVE_DELAY_MS);
    }
  }

  private startReading(): void {
    if (this.closed) {
      return;
    }
    this.socket.on('data', onSocketData);
    this.updateFlow();
  }

  /** @internal the socket's `data` listener */
  onData(chunk: Buffer): void {
    if (this.closed) {
      return;
    }
    const { frames, end } = this.splitter.push(chunk);
    this.readFrames += frames.length;
    for (const frame of frames) {
      if (this.closed) {
        return;
      }
      this.channel.next(frame);
    }
    if (end === 'oversize') {
      this.channel.error(
        new TransportError(`${this.remoteAddress}: frame exceeds ${MAX_MESSAGE_SIZE} bytes`, 'EPROTO'),
      );
    }
    if (end) {
      this.close();
    } else {
      this.updateFlow();
    }
  }

  /** @internal the socket's `error` listener */
  fail(err: TransportError): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.output.drop();
    this.channel.error(err);
    this.socket.destroy();
  }

  /** Back-pressure (§15.3): no reading while too much output is waiting for the kernel. */
  private updateFlow(): void {
    if (this.closed || !this.channel.active || !this.backpressure) {
      return;
    }
    const congested =
      this.unwrittenMessages >= BACKPRESSURE_MESSAGES || this.socket.writableLength >= BACKPRESSURE_BYTES;
    const throttled = this.readFrames >= READ_FRAMES_PER_TURN;
    if (throttled) this.readReset ??= setImmediate(this.resetReads);
    const pause = congested || throttled;
    if (pause && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!pause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (congested !== this.blocked) {
      this.blocked = congested;
      this.onOutputBlocked?.(congested);
    }
  }

  /** One turn after reading was throttled: the server has answered what was read; read again unless congested. */
  private readonly resetReads = (): void => {
    this.readReset = undefined;
    this.readFrames = 0;
    this.updateFlow();
  };
}

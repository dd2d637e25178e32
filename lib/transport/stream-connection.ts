import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Observable } from 'rxjs';
import { formatIpAddress, ipUserId } from './address';
import { FrameSplitter } from './framing';
import { HotChannel } from './hot-channel';
import { skiUserId } from './ski';
import { payloadSize } from './payload';
import {
  BACKPRESSURE_BYTES,
  BACKPRESSURE_MESSAGES,
  MAX_MESSAGE_SIZE,
  type Connection,
  type TransportKind,
} from './transport';
import { TransportError, toTransportError } from './transport-error';

/** How long a closed connection may wait for the peer's FIN (consuming its input) before it is destroyed. */
const LINGER_MS = 2000;

/** Keepalive idle time used when keepalive is on (XCM: TCP_KEEPIDLE 1 s). */
const KEEPALIVE_DELAY_MS = 1000;

/** A frame's 4-byte big-endian length as four latin1 characters (one byte each). */
const header = (n: number): string => String.fromCharCode(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

/** A tcp or tls Connection: 4-byte big-endian length framing over a net.Socket or an established tls.TLSSocket. */
export class StreamConnection implements Connection {
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  readonly userId: string;
  readonly acceptedAt = Date.now();
  readonly messages$: Observable<Uint8Array>;

  private readonly channel: HotChannel<Uint8Array>;
  private readonly splitter = new FrameSplitter();
  /** Queued messages (strings are encoded at flush time, straight into the one outgoing buffer) and their sizes. */
  private queue: Array<string | Uint8Array> = [];
  private sizes: number[] = [];
  private queuedBytes = 0;
  private unwrittenMessages = 0;
  private closed = false;
  private paused = false;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;

  /**
   * @param socket a connected net.Socket (tcp) or a TLSSocket whose handshake has completed (tls).
   * @param backpressure stop reading while output is congested (server side; a client must keep reading).
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
    if (!backpressure) this.local = this.readLocal();
    this.channel = new HotChannel<Uint8Array>(() => this.startReading());
    this.messages$ = this.channel.observable$;
    socket.on('error', (err) => this.fail(toTransportError(`${this.remoteAddress}`, err)));
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
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

  get pendingOutbound(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  get pendingOutboundBytes(): number {
    return this.pendingOutbound;
  }

  /** Mark closed and drop the queued output; the socket if it still needs closing (close and abort share this). */
  private shut(): Socket | undefined {
    if (this.closed) return undefined;
    this.closed = true;
    this.queue = [];
    this.sizes = [];
    this.queuedBytes = 0;
    this.channel.complete();
    return this.socket.destroyed ? undefined : this.socket;
  }

  abort(): void {
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
    if (this.closed) {
      return;
    }
    const size = payloadSize(payload, MAX_MESSAGE_SIZE);
    this.queue.push(payload);
    this.sizes.push(size);
    this.queuedBytes += 4 + size;
  }

  flush(): void {
    if (this.closed || this.queue.length === 0) {
      return;
    }
    const count = this.queue.length;
    // one buffer (§2.3 framing: a length header, then the payload). A run of ASCII strings (the usual JSON: one
    // byte per character) is joined with its headers as one latin1 string, written by one call; others one by one.
    const data = Buffer.allocUnsafe(this.queuedBytes);
    let at = 0;
    let run = '';
    for (let i = 0; i < count; i++) {
      const p = this.queue[i]!;
      const size = this.sizes[i]!;
      if (typeof p === 'string' && size === p.length) {
        run += header(size) + p;
        continue;
      }
      if (run.length > 0) at += data.write(run, at, run.length, 'latin1');
      run = '';
      data.writeUInt32BE(size, at);
      at += 4;
      if (typeof p === 'string') data.write(p, at, size, 'utf8');
      else data.set(p, at);
      at += size;
    }
    if (run.length > 0) data.write(run, at, run.length, 'latin1');
    this.queue = [];
    this.sizes = [];
    this.queuedBytes = 0;
    this.unwrittenMessages += count;
    this.socket.write(data, () => {
      this.unwrittenMessages -= count;
      this.updateFlow();
    });
    this.updateFlow();
  }

  close(): void {
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
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.updateFlow();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) {
      return;
    }
    const { frames, end } = this.splitter.push(chunk);
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

  private fail(err: TransportError): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.queue = [];
    this.sizes = [];
    this.queuedBytes = 0;
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
    if (congested && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.onOutputBlocked?.(true);
    } else if (!congested && this.paused) {
      this.paused = false;
      this.socket.resume();
      this.onOutputBlocked?.(false);
    }
  }
}

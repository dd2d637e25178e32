import type { Observable } from 'rxjs';

import type { TlsFiles } from '../model';
import type { ChannelObserver } from './hot-channel';

/** The XCM transports a Pathfinder server socket or client connection can use (utls resolves to ux or tls). */
export type TransportKind = 'tcp' | 'tls' | 'ux' | 'uxf';

/** One message-oriented connection (server-accepted or client-side), XCM semantics. */
export interface Connection {
  /** Underlying transport (utls connections report 'ux' or 'tls'). */
  readonly transport: TransportKind;
  /** Peer address in XCM format: tcp:<ip>:<port>, tls:..., IPv6 as tcp:[addr]:port, ux:<name>, uxf:<path>. */
  readonly remoteAddress: string;
  /** Own address in the same format (what the server sees as this side's remoteAddress). */
  readonly localAddress: string;
  /** §10.1 user id: tls -> 'ski:' + hex bytes of the peer certificate SKI, tcp -> 'ip:' + host, else 'default'. */
  readonly userId: string;
  /** Milliseconds since the epoch when the connection was accepted/connected. */
  readonly acceptedAt: number;
  /**
   * Each inbound message, in order; completes on orderly close (EOF, zero-length frame); errors on transport
   * error or a frame over 262144 bytes. Hot observable per connection; subscribe once (reading starts at the
   * subscription). Messages that arrived in one socket read are emitted synchronously in order. On a server-side
   * tcp/tls connection a message may be a view of the bytes read (not a copy): read it when it is emitted, copy it
   * to keep it (through node:net a kept view keeps its whole read in memory; through the native addon the buffer it
   * views is the next read's, shared by every connection).
   */
  readonly messages$: Observable<Uint8Array>;
  /**
   * The same deliveries as a subscription to `messages$`, to a plain observer (the server: no Observable, Subscriber
   * and closures per accepted connection). Either this or `messages$`, once: false (nothing delivered) if the
   * connection's messages already have a subscriber. Optional: a connection without it is read through `messages$`.
   */
  attach?(observer: ChannelObserver<Uint8Array>): boolean;
  /** Queue one message; nothing is written until flush(). */
  send(payload: string | Uint8Array): void;
  /**
   * Queue one message given in two pieces, its text's start (ASCII only; as text, or as its bytes) and the UTF-8
   * bytes of the rest: the same
   * as `send(head + rest)` without joining them (a notification fanned out to many subscribers differs only in its
   * start, `{"ta-cmd":"subscribe","ta-id":<id>,`, and its rest is encoded once for all). Optional: without it the
   * caller joins the pieces.
   */
  sendJoined?(head: string | Uint8Array, rest: Uint8Array): void;
  /**
   * Messages queued since the last flush (0 after it, and once closed). A server that flushes every connection it
   * wrote to adds a connection to that set only when it was 0 before a send (no lookup per message).
   */
  readonly queuedMessages?: number;
  /** Write everything queued since the last flush: one socket write for tcp/tls, one record per message for ux/uxf. */
  flush(): void;
  /**
   * Orderly close: discard unflushed data, send close_notify for TLS, consume unread input where feasible, never
   * write anything on a connection whose TLS handshake has not finished. Idempotent. messages$ completes.
   */
  close(): void;
  /** TCP keepalive on/off (tcp/tls only; no-op otherwise). */
  setKeepAlive(on: boolean): void;
  /** Outbound data not yet accepted by the kernel: bytes for tcp/tls, messages for ux/uxf. */
  readonly pendingOutbound: number;
  /** Outbound payload bytes queued or not yet accepted by the kernel, on every transport (output accounting). */
  readonly pendingOutboundBytes: number;
  /**
   * Cut the connection, dropping every byte of output still queued in user space (a slow consumer): input is
   * consumed and discarded while the kernel sends what it already holds, then the socket closes. Idempotent;
   * messages$ completes.
   */
  abort(): void;
  /**
   * Called (server side) when the connection's output becomes congested and its input is no longer read
   * (back-pressure, `true`), and when it drains again (`false`).
   */
  onOutputBlocked: ((blocked: boolean) => void) | undefined;
}

/** A server socket (or, for utls, a pair of server sockets). */
export interface Listener {
  /** The bound address with the real port (port 0 resolved), e.g. tcp:127.0.0.1:40123; for utls utls:<host>:<real port>. */
  readonly address: string;
  /** Each accepted connection (for TLS: after the TLS handshake completed). Buffered until first subscribed. */
  readonly connections$: Observable<Connection>;
  /** Stop listening, close the server socket(s), unlink uxf files; accepted connections stay open. */
  close(): Promise<void>;
}

/** TLS credential files: the public model's (one declaration for the server, the client and the transports). */
export type { TlsFiles };

/** Options of listen(). */
export interface ListenOptions {
  tls?: TlsFiles;
  /** TLS handshake deadline after TCP accept (default 2500 ms); on expiry the socket is closed without writing. */
  handshakeTimeoutMs?: number;
}

/** Options of connect(). */
export interface ConnectOptions {
  tls?: TlsFiles;
  /** Local address to bind to, in XCM format (tcp:<ip>:<port>, tls:<ip>:<port>, ux:<name>). */
  localAddress?: string;
  /** Connect (and TLS handshake) deadline, default 10000 ms. */
  timeoutMs?: number;
}

/** Maximum message payload (XCM tcp/tls/ux limit). */
export const MAX_MESSAGE_SIZE = 262144;

/** Back-pressure: stop reading a connection while at least this many messages are not yet written. */
export const BACKPRESSURE_MESSAGES = 128;

/** Back-pressure: stop reading a connection while at least this many bytes are not yet written. */
export const BACKPRESSURE_BYTES = 1024 * 1024;

/**
 * Back-pressure on input: after this many frames read from one connection without a flush of its output, stop reading
 * it until the server has had a turn (the replies of what was read are not counted as output yet).
 */
export const READ_FRAMES_PER_TURN = 4096;

/**
 * One transport connection as core events: `accepted`, then each frame decoded into `message` (or `malformed`),
 * then `closed` — unless the server closed it first (then nothing more is emitted).
 *
 * A `ConnectionFeed` is one object per connection, attached to the transport as its (plain) observer, that emits into
 * the domain's one event stream through a hub shared by all connections. It was an Observable per connection under
 * a `mergeMap`: an Observable, three Subscribers and about fifteen closures per accepted connection, ~2 KB of heap
 * each and work at every accept (issue 12, the cost of a connection).
 */
import { decodeInbound } from './inbound';
import type { Event } from '../state/events';
import type { ConnId } from '../state/model';
import type { Connection } from '../transport/transport';
import type { Clock } from './clock';

/** What every feed of a domain reports to (one per domain). */
export interface FeedHub {
  readonly clock: Clock;
  /** Into the domain's event stream. */
  readonly emit: (e: Event) => void;
  /** The transport ended the connection (EOF or error; its `closed` event has been emitted): forget the feed. */
  readonly ended: (id: ConnId) => void;
  /** Every inbound frame, before it is decoded (metrics, debug log). */
  readonly onInbound?: (id: ConnId, bytes: Uint8Array) => void;
  /** The transport failed the connection (e.g. EPROTO: a frame over 256 KiB, a bad length). */
  readonly onTransportError?: (id: ConnId, conn: Connection, error: unknown) => void;
}

export class ConnectionFeed {
  /** Ended: by the transport (EOF, error: `closed` was emitted) or by the server (nothing more is emitted). */
  private done = false;

  constructor(
    readonly id: ConnId,
    private readonly conn: Connection,
    private readonly hub: FeedHub,
  ) {}

  /**
   * Emit the connection's `accepted`, then start reading it: its frames follow as events, and its end (`closed`, then
   * `hub.ended`) unless the server stops the feed first. What the transport buffered is delivered at once.
   */
  start(): void {
    const { hub, conn, id } = this;
    hub.emit({
      type: 'accepted',
      now: hub.clock(),
      conn: id,
      address: conn.remoteAddress,
      user: conn.userId,
      transport: conn.transport,
    });
    if (conn.attach === undefined || !conn.attach(this)) conn.messages$.subscribe(this);
  }

  /** The server closed the connection: nothing more is emitted (what the transport still delivers is dropped). */
  stop(): void {
    this.done = true;
  }

  next(bytes: Uint8Array): void {
    if (this.done) return;
    const { hub, id } = this;
    let e: Event;
    try {
      hub.onInbound?.(id, bytes);
      const r = decodeInbound(bytes);
      e =
        r._tag === 'Right'
          ? { type: 'message', now: hub.clock(), conn: id, msg: r.right }
          : { type: 'malformed', now: hub.clock(), conn: id, reason: r.left.reason };
    } catch (error) {
      hub.onTransportError?.(id, this.conn, error);
      return this.end('transport-error');
    }
    hub.emit(e);
  }

  error(error: unknown): void {
    if (this.done) return;
    this.hub.onTransportError?.(this.id, this.conn, error);
    this.end('transport-error');
  }

  complete(): void {
    this.end('eof');
  }

  private end(cause: 'eof' | 'transport-error'): void {
    if (this.done) return;
    this.done = true;
    this.hub.emit({ type: 'closed', now: this.hub.clock(), conn: this.id, cause });
    this.hub.ended(this.id);
  }
}

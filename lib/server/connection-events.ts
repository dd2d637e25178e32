/**
 * One transport connection as a stream of core events: `accepted`, then each frame decoded into `message` (or
 * `malformed`), then `closed` — unless the server closed it first (then the stream just stops).
 *
 * Written as one observable rather than a chain of operators (concat, map, endWith, catchError, takeUntil): every
 * inbound message passes here, and every accepted connection builds one, so each operator layer cost a subscriber
 * per connection and a hop per message (issue 12, connect + hello).
 */
import { Observable } from './rx';

import { decodeClientMessage } from '../codec/decode';
import type { Event } from '../state/events';
import type { ConnId } from '../state/model';
import type { Connection } from '../transport/transport';
import type { Clock } from './clock';

export const connectionEvents = (
  id: ConnId,
  conn: Connection,
  clock: Clock,
  /**
   * Registers the stop of this stream when the server closes the connection; returns the unregistration (called when
   * the stream ends). A callback, not an observable: one subscription less per accepted connection.
   */
  onServerClose: (stop: () => void) => () => void,
  onInbound?: (id: ConnId, bytes: Uint8Array) => void,
  /** The transport failed the connection (e.g. EPROTO: a frame over 256 KiB, a bad length). */
  onTransportError?: (id: ConnId, error: unknown) => void,
): Observable<Event> => {
  const accepted: Event = {
    type: 'accepted',
    now: clock(),
    conn: id,
    address: conn.remoteAddress,
    user: conn.userId,
    transport: conn.transport,
  };
  return new Observable<Event>((subscriber) => {
    subscriber.next(accepted);
    /** Ended: by the transport (EOF, error: `closed` was emitted) or by the server (nothing more is emitted). */
    let done = false;
    const end = (cause?: 'eof' | 'transport-error'): void => {
      if (done) return;
      done = true;
      if (cause !== undefined) subscriber.next({ type: 'closed', now: clock(), conn: id, cause });
      subscriber.complete(); // unsubscribes from the transport and unregisters from the server's close (below)
    };
    // the server's close is watched first
    subscriber.add(onServerClose(() => end()));
    subscriber.add(
      conn.messages$.subscribe({
        next: (bytes) => {
          if (done) return;
          let e: Event;
          try {
            onInbound?.(id, bytes);
            const r = decodeClientMessage(bytes);
            e =
              r._tag === 'Right'
                ? { type: 'message', now: clock(), conn: id, msg: r.right }
                : { type: 'malformed', now: clock(), conn: id, reason: r.left.reason };
          } catch (error) {
            onTransportError?.(id, error);
            return end('transport-error');
          }
          subscriber.next(e);
        },
        error: (error: unknown) => {
          if (done) return;
          onTransportError?.(id, error);
          end('transport-error');
        },
        complete: () => end('eof'),
      }),
    );
  });
};

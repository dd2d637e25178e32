/**
 * One transport connection as a stream of core events: `accepted`, then each frame decoded into `message` (or
 * `malformed`), then `closed` — unless the server closed it first (then the stream just stops).
 */
import { concat, defer, endWith, map, type Observable, of, catchError, takeUntil } from './rx';

import { decodeClientMessage } from '../codec/decode';
import type { Event } from '../state/events';
import type { ConnId } from '../state/model';
import type { Connection } from '../transport/transport';
import type { Clock } from './clock';

export const connectionEvents = (
  id: ConnId,
  conn: Connection,
  clock: Clock,
  closedByServer$: Observable<unknown>,
  onInbound?: (id: ConnId, bytes: Uint8Array) => void,
  /** The transport failed the connection (e.g. EPROTO: a frame over 256 KiB, a bad length). */
  onTransportError?: (id: ConnId, error: unknown) => void,
): Observable<Event> =>
  concat(
    of<Event>({
      type: 'accepted',
      now: clock(),
      conn: id,
      address: conn.remoteAddress,
      user: conn.userId,
      transport: conn.transport,
    }),
    defer(() => conn.messages$).pipe(
      map((bytes): Event => {
        onInbound?.(id, bytes);
        const r = decodeClientMessage(bytes);
        return r._tag === 'Right'
          ? { type: 'message', now: clock(), conn: id, msg: r.right }
          : { type: 'malformed', now: clock(), conn: id, reason: r.left.reason };
      }),
      endWith<Event>({ type: 'closed', now: 0, conn: id, cause: 'eof' }),
      catchError((error: unknown) => {
        onTransportError?.(id, error);
        return of<Event>({ type: 'closed', now: 0, conn: id, cause: 'transport-error' });
      }),
      map((e) => (e.type === 'closed' ? { ...e, now: clock() } : e)),
      takeUntil(closedByServer$),
    ),
  );

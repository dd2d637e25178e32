/**
 * `track` (§5.3, v3 only): the two-way liveness transaction.
 */
import type { TrackInform, TrackRequest } from '../../codec/messages';
import type { Ctx } from '../../state/context';
import { patchConn, send } from '../../state/context';
import { closeConn } from '../../state/connections';
import type { Conn } from '../../state/model';
import { accept, fail, track } from '../../state/replies';
import { hamtSet } from '../../util/hamt';

export const trackRequest = (ctx: Ctx, conn: Conn, msg: TrackRequest): void => {
  const taId = msg['ta-id'];
  if (conn.trackTaId !== undefined) return send(ctx, conn.id, fail('track', taId, 'track-exists'));
  patchConn(ctx, conn, { trackTaId: taId, txs: hamtSet(conn.txs, taId, { cmd: 'track' }) });
  send(ctx, conn.id, accept('track', taId));
};

export const trackInform = (ctx: Ctx, conn: Conn, msg: TrackInform): void => {
  const taId = msg['ta-id'];
  if (msg['track-type'] === 'query') return send(ctx, conn.id, track(taId, 'notify', 'reply'));
  // a reply answers the server's outstanding query; an unsolicited one is a protocol error (B4)
  if (conn.queryOutstandingSince === undefined)
    return closeConn(ctx, conn.id, 'protocol error: unsolicited track reply');
  patchConn(ctx, conn, {
    latency: Math.max(0, ctx.now - conn.queryOutstandingSince),
    queryOutstandingSince: undefined,
  });
};

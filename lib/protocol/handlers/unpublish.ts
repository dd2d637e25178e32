/**
 * `unpublish` (§7.4): also allowed for non-owners of the same user, and for orphans (republished first).
 */
import type { UnpublishRequest } from '../../codec/messages';
import type { Ctx } from '../../state/context';
import { send } from '../../state/context';
import { claim, removeService } from '../../state/directory';
import type { Conn } from '../../state/model';
import { complete, fail } from '../../state/replies';
import { touchService } from '../../state/work';

export const unpublish = (ctx: Ctx, conn: Conn, msg: UnpublishRequest): void => {
  const taId = msg['ta-id'];
  let s = touchService(ctx, msg['service-id']);
  if (s === undefined) return send(ctx, conn.id, fail('unpublish', taId, 'non-existent-service-id'));
  if (s.user !== conn.user) return send(ctx, conn.id, fail('unpublish', taId, 'permission-denied'));
  if (s.clientId !== conn.clientId || s.orphanSince !== undefined) s = claim(ctx, s, conn.clientId!, conn.id); // step 3
  removeService(ctx, s);
  send(ctx, conn.id, complete('unpublish', taId));
};

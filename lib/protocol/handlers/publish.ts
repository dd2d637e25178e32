/**
 * `publish` (§7.3): create, republish, transfer ownership of, or reclaim a service.
 */
import type { PublishRequest } from '../../codec/messages';
import { propsEqual } from '../../codec/primitives';
import { compactProps } from '../../filter/compact-props';
import type { Ctx } from '../../state/context';
import { send } from '../../state/context';
import { applyChange, claim, putService } from '../../state/directory';
import type { Conn, Service } from '../../state/model';
import { allocate } from '../../state/resources';
import { complete, fail } from '../../state/replies';
import { touchService } from '../../state/work';

export const publish = (ctx: Ctx, conn: Conn, msg: PublishRequest): void => {
  const taId = msg['ta-id'];
  const id = msg['service-id'];
  const generation = msg.generation;
  const props = msg['service-props'];
  const ttl = msg.ttl;
  const clientId = conn.clientId!;
  const s = touchService(ctx, id);
  if (s === undefined) {
    if (!allocate(ctx, 'services', conn.user))
      return send(ctx, conn.id, fail('publish', taId, 'insufficient-resources'));
    const after: Service = {
      id,
      generation,
      props: compactProps(props),
      ttl,
      orphanSince: undefined,
      clientId,
      user: conn.user,
      record: conn.id,
    };
    putService(ctx, undefined, after);
    applyChange(ctx, { kind: 'added', after });
  } else if (s.user !== conn.user) {
    return send(ctx, conn.id, fail('publish', taId, 'permission-denied'));
  } else if (generation === s.generation) {
    if (ttl !== s.ttl || !propsEqual(props, s.props))
      return send(ctx, conn.id, fail('publish', taId, 'same-generation-but-different'));
    // identical: transfer, reclaim (moved to the active record, B1 fixed), or nothing at all
    if (s.clientId !== clientId || s.orphanSince !== undefined || s.record !== conn.id)
      claim(ctx, s, clientId, conn.id);
  } else if (generation > s.generation) {
    claim(ctx, s, clientId, conn.id, { generation, props: compactProps(props), ttl });
  } else {
    return send(ctx, conn.id, fail('publish', taId, 'old-generation'));
  }
  send(ctx, conn.id, complete('publish', taId));
};

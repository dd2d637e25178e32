/**
 * `publish` (§7.3): create, republish, transfer ownership of, or reclaim a service.
 */
import type { PropValue, Props } from '../../filter/props';
import type { PublishRequest } from '../../codec/messages';
import { propsEqual } from '../../codec/values';
import { CompactProps, compactProps } from '../../filter/compact-props';
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
    const added: Service = {
      id,
      generation,
      props: compactProps(props),
      ttl,
      orphanSince: undefined,
      clientId,
      user: conn.user,
      record: conn.id,
    };
    const after = putService(ctx, undefined, added);
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
    // a republish with the same props (the usual refresh) keeps the stored ones: the service index has nothing to
    // update, the encoder's cached JSON of them still serves, and the message's copy is garbage at once
    const kept = sameProps(props, s.props) ? s.props : compactProps(props);
    claim(ctx, s, clientId, conn.id, { generation, props: kept, ttl });
  } else {
    return send(ctx, conn.id, fail('publish', taId, 'old-generation'));
  }
  send(ctx, conn.id, complete('publish', taId));
};

/** The same keys in the same order, each with the same values in the same order (what a notification would show). */
const sameProps = (a: Props, b: Props): boolean => {
  if (a === b) return true;
  if (b instanceof CompactProps) return b.sameAs(a); // the stored props: no iterator, no entry arrays
  if (a.size !== b.size) return false;
  const ib = b.entries();
  for (const [k, va] of a) {
    const [kb, vb] = ib.next().value as [string, readonly PropValue[]];
    if (k !== kb || va.length !== vb.length) return false;
    for (let i = 0; i < va.length; i++) if (va[i] !== vb[i]) return false;
  }
  return true;
};

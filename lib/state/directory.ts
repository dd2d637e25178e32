/**
 * Service-directory mutations shared by the handlers (§7): attaching services to connection records, moving and
 * removing them, orphaning and expiry, with the notifications each change causes (§7.8) queued in order.
 */
import { matchNotify } from './replies';
import type { Ctx } from './context';
import { nextSeq, send } from './context';
import type { DirectoryChange } from './effects';
import { diffNotifications, notified } from './notify';
import type { ClientId, ConnId, SdRecord, Service, ServiceId, Subscription } from './model';
import { release } from './resources';
import { OrderedIds } from './ordered-ids';
import { orphanQueuePush } from './orphan-queue';
import { serviceIndexUpdate } from './service-index';
import { type TtlCounts, ttlCountsAdd, ttlCountsEmpty } from './ttl-counts';
import { editOwn, editOwns } from '../util/hamt';

/**
 * Record a change: notify every concerned subscription (creation order), then publish it to observers. `told`
 * narrows the subscriptions to those that knew the service as it was (sliced orphaning and expiry, see work.ts).
 */
export const applyChange = (ctx: Ctx, change: DirectoryChange, told?: (sub: Subscription) => boolean): void => {
  const n = diffNotifications(ctx.d, change);
  const { subs, types } = notified; // (read before the next change: nothing below finds notifications again)
  for (let i = 0; i < n; i++) {
    const sub = subs[i]!;
    const mt = types[i]!;
    if (told !== undefined && !told(sub)) continue;
    ctx.budget.left--;
    // a quiet step builds only the notifications that are kept in the state (held behind a listing)
    if (ctx.quiet === true && !ctx.d.held.has(sub.conn)) continue;
    send(ctx, sub.conn, matchNotify(sub.taId, mt, change.kind === 'removed' ? change.before : change.after));
  }
  ctx.fx.push({ type: 'change', change });
};

/** A fresh, empty, active record for a connection. */
export const newRecord = (id: ConnId, clientId: ClientId): SdRecord => ({
  id,
  clientId,
  active: true,
  services: OrderedIds.empty(),
  ttls: ttlCountsEmpty,
  disconnectedAt: undefined,
  closeSeq: undefined,
});

/**
 * `r` with other services and TTLs: `r` itself, changed in place, when the transient edit in progress made it (a
 * batch of publishes or unpublishes of one client changes its record once per message: one copy per batch, and the
 * records map is then set to the object it holds, which immutable.js leaves as it is), else a copy that the edit owns
 * from now on (../util/hamt.ts `editOwn`; a listing that keeps the records map seals the edit first, work.ts
 * `startJob`, so no kept version sees a change). The copy is an object literal, not a spread: V8 copies a spread
 * property by property; every field of `SdRecord` is required, so a field added to it and not here does not compile.
 */
const recordWith = (r: SdRecord, services: OrderedIds, ttls: TtlCounts): SdRecord => {
  if (editOwns(r)) {
    const own = r as { -readonly [K in keyof SdRecord]: SdRecord[K] };
    own.services = services;
    own.ttls = ttls;
    return r;
  }
  return editOwn({
    id: r.id,
    clientId: r.clientId,
    active: r.active,
    services,
    ttls,
    disconnectedAt: r.disconnectedAt,
    closeSeq: r.closeSeq,
  });
};

/** `s` orphaned since `orphanSince` (or no longer orphaned): an object literal, as {@link recordWith}. */
export const serviceWithOrphanSince = (s: Service, orphanSince: number | undefined): Service => ({
  id: s.id,
  generation: s.generation,
  props: s.props,
  ttl: s.ttl,
  orphanSince,
  clientId: s.clientId,
  user: s.user,
  record: s.record,
  slot: s.slot,
});

/** `s` attached at `slot` of its record: an object literal, as {@link recordWith}. */
const serviceAt = (s: Service, slot: number): Service => ({
  id: s.id,
  generation: s.generation,
  props: s.props,
  ttl: s.ttl,
  orphanSince: s.orphanSince,
  clientId: s.clientId,
  user: s.user,
  record: s.record,
  slot,
});

/**
 * Attach a service id (with its TTL) to a record, which must not hold it; returns its slot in the record (kept in the
 * service, `Service.slot`, for {@link detach}).
 */
export const attach = (ctx: Ctx, recordId: ConnId, id: ServiceId, ttl: bigint): number => {
  const r = ctx.d.records.get(recordId)!;
  const slot = r.services.next;
  ctx.d.records = ctx.d.records.set(recordId, recordWith(r, r.services.append(id), ttlCountsAdd(r.ttls, ttl, 1)));
  return slot;
};

/**
 * Detach a service from its record. An inactive record left empty is dropped, and a client left with no
 * connection and no records is forgotten (§7.4 step 4; also on ownership transfer, bug B2 fixed).
 */
export const detach = (ctx: Ctx, s: Service): void => {
  // a service's record and its TTL count are there: a record holding services is never dropped
  const r = ctx.d.records.get(s.record)!;
  const next = recordWith(r, r.services.delete(s.id, s.slot), ttlCountsAdd(r.ttls, s.ttl, -1));
  if (next.services.size === 0 && !next.active) dropRecord(ctx, next);
  else ctx.d.records = ctx.d.records.set(r.id, next);
};

/** Remove a record and forget its client if that leaves the client with nothing (§7.5 step 6). */
export const dropRecord = (ctx: Ctx, r: SdRecord): void => {
  ctx.d.records = ctx.d.records.delete(r.id);
  const c = ctx.d.clients.get(r.clientId)!; // a client is kept while it has a record
  const records = c.records.filter((id) => id !== r.id);
  if (records.length === 0 && c.active === undefined) ctx.d.clients = ctx.d.clients.delete(c.id);
  else ctx.d.clients = ctx.d.clients.set(c.id, { ...c, records });
};

/** Replace one TTL of a record's multiset with another, keeping the service's attachment position (§7.5 step 4). */
const retime = (ctx: Ctx, recordId: ConnId, from: bigint, to: bigint): void => {
  const r = ctx.d.records.get(recordId)!;
  const ttls = ttlCountsAdd(ttlCountsAdd(r.ttls, from, -1), to, 1);
  ctx.d.records = ctx.d.records.set(recordId, recordWith(r, r.services, ttls));
};

/**
 * Store a service record, moving it to `record` if it is attached elsewhere. A new TTL on the same record only
 * updates the TTL multiset: the service keeps its attachment order (§7.5 step 4, §7.9). Returns the record as stored:
 * `after`, or a copy with its new slot when it was attached (use that one from then on).
 */
export const putService = (ctx: Ctx, before: Service | undefined, after: Service): Service => {
  if (before === undefined) after = serviceAt(after, attach(ctx, after.record, after.id, after.ttl));
  else if (before.record !== after.record) {
    detach(ctx, before);
    after = serviceAt(after, attach(ctx, after.record, after.id, after.ttl));
  } else if (before.ttl !== after.ttl) retime(ctx, after.record, before.ttl, after.ttl);
  ctx.d.services = ctx.d.services.set(after.id, after);
  ctx.d.serviceIndex = serviceIndexUpdate(ctx.d.serviceIndex, after.id, before?.props, after.props);
  if (after.orphanSince !== undefined && (before?.orphanSince !== after.orphanSince || before.ttl !== after.ttl))
    ctx.d.orphanQueue = orphanQueuePush(ctx.d.orphanQueue, expiryOf(after), nextSeq(ctx), after.id);
  return after;
};

/** When an orphan expires (§7.6): `orphan_since + ttl`. */
export const expiryOf = (s: Service): number => s.orphanSince! + Number(s.ttl);

/** Remove a service (unpublish or expiry): release its resource, detach, delete, notify REMOVED (§7.4 step 4). */
export const removeService = (ctx: Ctx, s: Service, told?: (sub: Subscription) => boolean): void => {
  release(ctx, 'services', s.user);
  detach(ctx, s);
  ctx.d.services = ctx.d.services.delete(s.id);
  ctx.d.serviceIndex = serviceIndexUpdate(ctx.d.serviceIndex, s.id, s.props, undefined);
  applyChange(ctx, { kind: 'removed', before: s }, told);
};

/** Make `s` owned by `clientId` on `record`, not orphan: the reclaim/transfer of §7.3/§7.4 step 3 (B1 fixed). */
export const claim = (
  ctx: Ctx,
  s: Service,
  clientId: ClientId,
  record: ConnId,
  patch?: Pick<Service, 'generation' | 'props' | 'ttl'>,
): Service => {
  // an object literal, as `recordWith` (a republish, the usual refresh, comes here)
  const after = putService(ctx, s, {
    id: s.id,
    generation: patch !== undefined ? patch.generation : s.generation,
    props: patch !== undefined ? patch.props : s.props,
    ttl: patch !== undefined ? patch.ttl : s.ttl,
    orphanSince: undefined,
    clientId,
    user: s.user,
    record,
    slot: s.slot,
  });
  applyChange(ctx, { kind: 'modified', before: s, after });
  return after;
};

/**
 * Resource accounting (§10.3): totals per domain and per user, checked total first, then user; `limit` reached
 * means the allocation fails. Counters are released symmetrically; a user whose counters all drop to zero is
 * forgotten, so per-user state does not grow with the users ever seen.
 */
import { editOwn, editOwns } from '../util/hamt';
import type { Ctx } from './context';
import type { ResourceCounts, ResourceType } from './model';

const zero: ResourceCounts = { clients: 0, services: 0, subscriptions: 0 };

/**
 * `c` with one counter moved: `c` itself, changed in place, when the transient edit in progress made it (a batch of
 * publishes moves the same counters once per publish: one copy per batch, not one per publish, and the user's map
 * entry is then set to the object it holds, which immutable.js leaves as it is), else a copy that the edit owns
 * from now on (../util/hamt.ts `editOwn`: no state from before the edit, and none after it, is ever changed). One
 * fixed shape: a computed key in a spread takes V8's slow path.
 */
const bump = (c: ResourceCounts, type: ResourceType, by: number): ResourceCounts => {
  const next = editOwns(c)
    ? (c as { -readonly [K in keyof ResourceCounts]: number })
    : editOwn({ clients: c.clients, services: c.services, subscriptions: c.subscriptions });
  next[type] += by;
  return next;
};

/** Allocate one resource of `type` for `user`; `false` when a limit is reached (→ `insufficient-resources`). */
export const allocate = (ctx: Ctx, type: ResourceType, user: string): boolean => {
  const { total, user: perUser } = ctx.d.settings.limits;
  const totalLimit = total[type];
  if (totalLimit !== undefined && ctx.d.used[type] >= totalLimit) return false;
  const mine = ctx.d.usedByUser.get(user) ?? zero;
  const userLimit = perUser[type];
  if (userLimit !== undefined && mine[type] >= userLimit) return false;
  ctx.d.used = bump(ctx.d.used, type, 1);
  const next = bump(mine, type, 1);
  // (the counters changed in place are the ones the map already holds: no walk of the map to set them again)
  if (next !== mine) ctx.d.usedByUser = ctx.d.usedByUser.set(user, next);
  return true;
};

/** Release `n` (default one) resources of `type` held by `user`. */
export const release = (ctx: Ctx, type: ResourceType, user: string, n = 1): void => {
  ctx.d.used = bump(ctx.d.used, type, -n);
  // a release always follows an allocation for the same user (a client, service or subscription keeps its user)
  const before = ctx.d.usedByUser.get(user)!;
  const mine = bump(before, type, -n);
  if (mine.clients === 0 && mine.services === 0 && mine.subscriptions === 0)
    ctx.d.usedByUser = ctx.d.usedByUser.delete(user);
  else if (mine !== before) ctx.d.usedByUser = ctx.d.usedByUser.set(user, mine);
};

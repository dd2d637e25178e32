/**
 * The client's own services, kept on every connected server (§13.2): publish everywhere, republish everything at
 * the current generation when a link comes up, unpublish everywhere. A publish or modify is answered as soon as one
 * server has completed that generation (subscribers merge across servers, so the service is visible in the domain;
 * the other servers catch up in the background, and a hung server does not hold the caller); an unpublish once
 * every server it was sent to has answered (or went away).
 *
 * @example
 * onPublish(ctx, { type: 'publish', req: 1, id: 42n, generation: 0n, props, ttl: 30 });
 */
import { PafArgumentError, PafError, PafRequestError, PafUnpublishedError } from '../../errors';
import { upLinks, type Ctx } from './context';
import type { ClientEvent } from './events';
import { idIndexDelete, idIndexGet, idIndexSet } from './id-index';
import { enqueue, enqueueAll } from './queue';
import type { OwnService, Owner, Ref, ReqId } from './state';
import type { ServerMsg } from './wire';

type Of<T extends ClientEvent['type']> = Extract<ClientEvent, { type: T }>;

const hex = (id: bigint): string => `0x${id.toString(16)}`;

const countTtl = (ctx: Ctx, ttl: number, delta: 1 | -1): void => {
  const n = (ctx.s.ttls.get(ttl) ?? 0) + delta;
  ctx.s.ttls = n === 0 ? ctx.s.ttls.delete(ttl) : ctx.s.ttls.set(ttl, n);
};

const reject = (ctx: Ctx, req: ReqId, error: PafError): void => {
  ctx.fx.push({ type: 'reject', req, error });
};

/** The own service with this id, if published. */
const ownService = (ctx: Ctx, id: bigint): OwnService | undefined => {
  const ref = idIndexGet(ctx.s.ids, id);
  return ref === undefined ? undefined : ctx.s.services.get(ref);
};

/** Answer the waiters of service `ref` whose generation a server has completed (`generation`). */
const settleWaiters = (ctx: Ctx, ref: Ref, generation: bigint): void => {
  const svc = ctx.s.services.get(ref);
  if (svc === undefined || svc.waiters.length === 0) return;
  if (svc.waiters.length === 1) {
    // the usual case: one publish or modify waiting
    const [w] = svc.waiters;
    if (w!.generation > generation) return;
    ctx.fx.push({ type: 'resolve', req: w!.req });
    ctx.s.services = ctx.s.services.set(ref, { ...svc, waiters: [] });
    return;
  }
  const done = svc.waiters.filter((w) => w.generation <= generation);
  if (done.length === 0) return;
  const waiters = svc.waiters.filter((w) => w.generation > generation);
  for (const w of done) ctx.fx.push({ type: 'resolve', req: w.req });
  ctx.s.services = ctx.s.services.set(ref, { ...svc, waiters });
};

export const onPublish = (ctx: Ctx, ev: Of<'publish'>): void => {
  if (idIndexGet(ctx.s.ids, ev.id) !== undefined)
    return reject(ctx, ev.req, new PafArgumentError(`service ${hex(ev.id)} is already published`));
  const { id, generation, props, ttl } = ev;
  const ref = ctx.s.nextRef;
  ctx.s.nextRef = ref + 1;
  ctx.s.ids = idIndexSet(ctx.s.ids, id, ref);
  ctx.s.services = ctx.s.services.set(ref, {
    id,
    ref,
    generation,
    props,
    ttl,
    waiters: [{ req: ev.req, generation }],
  });
  countTtl(ctx, ttl, 1);
  for (const l of upLinks(ctx)) enqueue(ctx, l.key, { kind: 'publish', ref });
};

export const onModify = (ctx: Ctx, ev: Of<'modify'>): void => {
  const svc = ownService(ctx, ev.id);
  if (svc === undefined) return reject(ctx, ev.req, new PafUnpublishedError(`service ${hex(ev.id)} is unpublished`));
  countTtl(ctx, svc.ttl, -1);
  countTtl(ctx, ev.ttl, 1);
  const waiters = [...svc.waiters, { req: ev.req, generation: ev.generation }];
  ctx.s.services = ctx.s.services.set(svc.ref, {
    ...svc,
    generation: ev.generation,
    props: ev.props,
    ttl: ev.ttl,
    waiters,
  });
  for (const l of upLinks(ctx)) enqueue(ctx, l.key, { kind: 'publish', ref: svc.ref });
};

export const onUnpublish = (ctx: Ctx, ev: Of<'unpublish'>): void => {
  const svc = ownService(ctx, ev.id);
  if (svc === undefined) {
    ctx.fx.push({ type: 'resolve', req: ev.req });
    return;
  }
  ctx.s.services = ctx.s.services.delete(svc.ref);
  ctx.s.ids = idIndexDelete(ctx.s.ids, ev.id);
  countTtl(ctx, svc.ttl, -1);
  for (const w of svc.waiters) reject(ctx, w.req, new PafUnpublishedError(`service ${hex(ev.id)} was unpublished`));
  const ups = upLinks(ctx);
  for (const l of ups) enqueue(ctx, l.key, { kind: 'unpublish', id: ev.id, ref: svc.ref, req: ev.req });
  if (ups.length === 0) ctx.fx.push({ type: 'resolve', req: ev.req });
  else ctx.s.unpublishing = ctx.s.unpublishing.set(ev.req, { links: ups.map((l) => l.key) });
};

/** One server answered an unpublish (or went away): answer the request when every server has. */
const unpublishDone = (ctx: Ctx, req: ReqId, key: string): void => {
  const u = ctx.s.unpublishing.get(req);
  if (u === undefined) return;
  const links = u.links.filter((k) => k !== key);
  if (links.length > 0) {
    ctx.s.unpublishing = ctx.s.unpublishing.set(req, { links });
    return;
  }
  ctx.s.unpublishing = ctx.s.unpublishing.delete(req);
  ctx.fx.push({ type: 'resolve', req });
};

/** A server answered a publish or unpublish; returns an error if the link must restart (libpaf: any fail). */
export const onPublishAnswer = (
  ctx: Ctx,
  key: string,
  owner: Extract<Owner, { kind: 'publish' | 'unpublish' }>,
  msg: ServerMsg,
): PafError | undefined => {
  const failed = msg['msg-type'] === 'fail';
  const reason = msg['fail-reason'] as string | undefined;
  if (owner.kind === 'unpublish') {
    if (failed && reason !== 'non-existent-service-id') {
      const error = new PafRequestError('unpublish', reason);
      if (owner.req !== undefined && ctx.s.unpublishing.has(owner.req)) {
        ctx.s.unpublishing = ctx.s.unpublishing.delete(owner.req);
        reject(ctx, owner.req, error);
      }
      return error;
    }
    if (owner.req !== undefined) unpublishDone(ctx, owner.req, key);
    return undefined;
  }
  if (failed) {
    const error = new PafRequestError('publish', reason);
    const svc = ctx.s.services.get(owner.ref);
    if (svc !== undefined && svc.waiters.length > 0) {
      for (const w of svc.waiters) reject(ctx, w.req, error);
      ctx.s.services = ctx.s.services.set(owner.ref, { ...svc, waiters: [] });
    }
    return error;
  }
  settleWaiters(ctx, owner.ref, owner.generation);
  return undefined;
};

/** A link came up: publish every own service on it. */
export const publishUp = (ctx: Ctx, key: string): void => {
  enqueueAll(
    ctx,
    key,
    [...ctx.s.services.keys()].map((ref) => ({ kind: 'publish', ref }) as const),
  );
};

/** A link went down (it is no longer up): unpublish requests no longer wait for it. */
export const publishDown = (ctx: Ctx, key: string): void => {
  for (const req of [...ctx.s.unpublishing.keys()]) unpublishDone(ctx, req, key);
};

/** The client is closing: every waiting request fails. */
export const publishClose = (ctx: Ctx, error: PafError): void => {
  // once per client: a scan of every own service is fine here
  for (const svc of ctx.s.services.values()) for (const w of svc.waiters) reject(ctx, w.req, error);
  for (const req of ctx.s.unpublishing.keys()) reject(ctx, req, error);
  ctx.s.unpublishing = ctx.s.unpublishing.clear();
};

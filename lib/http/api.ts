/**
 * The JSON API (`/v1`), read-only, modelled on Consul's and etcd's: domains, a domain's services (with a Pathfinder
 * `?filter=`), one service, clients, subscriptions, a size series for charts, and the watch stream. Integers (ids,
 * generations, integer property values) are exact JSON integer literals (see `toJson`); `?pretty` indents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { PafFilterError } from '../errors';
import type { Filter } from '../filter/ast';
import { matchFilter } from '../filter/match';
import { parseFilter } from '../filter/parse';
import { toJson } from '../json';
import type { DomainState } from '../state/model';
import {
  domainCounts,
  handshakedConnections,
  serviceById,
  servicesInOrder,
  subscriptionsInOrder,
} from '../state/selectors';
import { type DomainFeed, formatEventId } from './feed';
import { streamJsonArray } from './listing';
import { publicClient, publicService, publicSubscription } from './public-model';
import type { Series } from './series';
import type { Slicer } from './slicer';
import { serveWatch } from './watch';

/** A running domain as the API sees it. */
export interface ApiDomain {
  readonly index: number;
  readonly name: string | undefined;
  readonly addresses: readonly string[];
  readonly state: () => DomainState;
  readonly feed: DomainFeed;
  readonly series: Series;
}

export interface ApiContext {
  readonly domains: readonly ApiDomain[];
  readonly slicer: Slicer;
  /** Wall-clock seconds since the epoch. */
  readonly now: () => number;
  readonly heartbeatMs: number;
  readonly maxBlockedMs: number;
  readonly maxWatches: number;
  readonly watches: { count: number };
  readonly onDrop: (what: string, reason: string) => void;
}

/** The route label of a request (for metrics), and whether it was handled. */
export type Route =
  'domains' | 'domain' | 'services' | 'service' | 'clients' | 'subscriptions' | 'stats' | 'watch' | 'not_found';

const JSON_TYPE = 'application/json; charset=utf-8';

export const sendJson = (res: ServerResponse, status: number, value: unknown, pretty = false): void => {
  const body = toJson(value, pretty ? 2 : 0) + (pretty ? '\n' : '');
  res.writeHead(status, {
    'Content-Type': JSON_TYPE,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
};

export const sendError = (res: ServerResponse, status: number, message: string): void =>
  sendJson(res, status, { error: message });

/** The domain named `key`: by configured name first, else by index. */
export const findDomain = (domains: readonly ApiDomain[], key: string): ApiDomain | undefined =>
  domains.find((d) => d.name === key) ?? (/^\d+$/.test(key) ? domains.find((d) => d.index === Number(key)) : undefined);

/** The path segment that names a domain in URLs. */
export const domainKey = (d: ApiDomain): string => d.name ?? String(d.index);

const summary = (d: ApiDomain) => {
  const counts = domainCounts(d.state());
  return {
    index: d.index,
    ...(d.name !== undefined ? { name: d.name } : {}),
    key: domainKey(d),
    addresses: d.addresses,
    ...counts,
    orphans: d.feed.orphans,
    eventId: formatEventId({ epoch: d.feed.epoch, seq: d.feed.head }),
  };
};

/** Parse `?filter=`; undefined for none; a PafFilterError when it does not parse. */
export const filterParam = (url: URL): Filter | undefined | PafFilterError => {
  const text = url.searchParams.get('filter');
  if (text === null || text === '') return undefined;
  const r = parseFilter(text);
  return r._tag === 'Right' ? r.right : new PafFilterError(text, r.left.reason, r.left.position);
};

const MAX_SERVICE_ID = (1n << 63n) - 1n;

/** Indent the lines of an item of a pretty array. */
const item = (v: unknown, pretty: boolean): string => (pretty ? toJson(v, 2).replace(/\n/g, '\n  ') : toJson(v));

/** Handle `/v1/...`; `segments` are the decoded path segments after `v1`. */
export const handleApi = (
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: readonly string[],
  url: URL,
): Route => {
  const pretty = url.searchParams.has('pretty');
  const listing = { slicer: ctx.slicer, pretty, maxBlockedMs: ctx.maxBlockedMs };
  if (segments[0] !== 'domains') return notFound(res);
  if (segments.length === 1) {
    sendJson(res, 200, ctx.domains.map(summary), pretty);
    return 'domains';
  }
  const d = findDomain(ctx.domains, segments[1]!);
  if (d === undefined) {
    sendError(res, 404, `no domain ${JSON.stringify(segments[1])}`);
    return 'domain';
  }
  const what = segments[2];
  if (segments.length === 2) {
    sendJson(res, 200, summary(d), pretty);
    return 'domain';
  }
  if (what === 'services' && segments.length === 4) {
    const text = segments[3]!;
    const id = /^\d{1,19}$/.test(text) ? BigInt(text) : undefined;
    if (id === undefined || id > MAX_SERVICE_ID) {
      sendError(res, 400, `invalid service id ${JSON.stringify(text)} (expected an integer 0..${MAX_SERVICE_ID})`);
      return 'service';
    }
    const s = serviceById(d.state(), id);
    if (s === undefined) sendError(res, 404, `no service ${id} in domain ${JSON.stringify(domainKey(d))}`);
    else sendJson(res, 200, publicService(s), pretty);
    return 'service';
  }
  if (segments.length !== 3) return notFound(res);
  switch (what) {
    case 'services': {
      const filter = filterParam(url);
      if (filter instanceof PafFilterError) {
        sendError(res, 400, filter.message);
        return 'services';
      }
      const state = d.state();
      res.writeHead(200, {
        'Content-Type': JSON_TYPE,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Rxpaf-Event-Id': formatEventId({ epoch: d.feed.epoch, seq: d.feed.head }),
      });
      streamJsonArray(res, servicesInOrder(state), {
        ...listing,
        render: (s) =>
          filter === undefined || matchFilter(filter, s.props) ? item(publicService(s), pretty) : undefined,
        onDrop: (r) => ctx.onDrop('services listing', r),
      });
      return 'services';
    }
    case 'clients': {
      const now = ctx.now();
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
      streamJsonArray(res, handshakedConnections(d.state()), {
        ...listing,
        render: (c) => item(publicClient(c, now), pretty),
        onDrop: (r) => ctx.onDrop('clients listing', r),
      });
      return 'clients';
    }
    case 'subscriptions':
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' });
      streamJsonArray(res, subscriptionsInOrder(d.state()), {
        ...listing,
        render: (s) => item(publicSubscription(s), pretty),
        onDrop: (r) => ctx.onDrop('subscriptions listing', r),
      });
      return 'subscriptions';
    case 'stats':
      sendJson(res, 200, d.series.columns(), pretty);
      return 'stats';
    case 'watch':
      return watch(ctx, d, req, res, url);
    default:
      return notFound(res);
  }
};

const watch = (ctx: ApiContext, d: ApiDomain, req: IncomingMessage, res: ServerResponse, url: URL): Route => {
  const filter = filterParam(url);
  if (filter instanceof PafFilterError) {
    sendError(res, 400, filter.message);
    return 'watch';
  }
  if (ctx.watches.count >= ctx.maxWatches) {
    res.setHeader('Retry-After', '5');
    sendError(res, 503, `too many watches (limit ${ctx.maxWatches})`);
    return 'watch';
  }
  if (req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' }).end();
    return 'watch';
  }
  const header = req.headers['last-event-id'];
  const lastEventId = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('after') ?? undefined;
  ctx.watches.count++;
  res.on('close', () => ctx.watches.count--);
  serveWatch(res, filter, lastEventId, {
    feed: d.feed,
    state: () => d.state(),
    slicer: ctx.slicer,
    now: ctx.now,
    heartbeatMs: ctx.heartbeatMs,
    maxBlockedMs: ctx.maxBlockedMs,
    onDrop: (r) => ctx.onDrop('watch', r),
  });
  return 'watch';
};

const notFound = (res: ServerResponse): Route => {
  sendError(res, 404, 'not found');
  return 'not_found';
};

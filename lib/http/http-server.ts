/**
 * The daemon's HTTP listener: `/metrics`, `/healthz`, `/readyz`, the JSON API under `/v1`, and the dashboard at `/`.
 * Read-only (GET and HEAD). With a token, every endpoint but the health checks and the dashboard's static files
 * needs `Authorization: Bearer <token>`. HTTP work shares the event loop with the Pathfinder sockets, so it is
 * bounded: large responses are sliced across turns, connections and watches are capped, idle or slow clients are
 * timed out and dropped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Observable } from 'rxjs';

import { PafConfigError, PafTransportError } from '../errors';
import type { Logger } from '../log/logger';
import type { DirectoryChange } from '../state/effects';
import type { DomainState } from '../state/model';
import { domainCounts } from '../state/selectors';
import { type ApiDomain, handleApi, type Route, sendError, sendJson } from './api';
import { DomainFeed } from './feed';
import { httpDateCache } from './http-date';
import type { Metrics } from './metrics';
import { Series } from './series';
import { Slicer } from './slicer';
import { StaticAssets } from './static';

/** The route of a request, as the `route` label of the request metrics. */
type HttpRoute =
  Route | 'method_not_allowed' | 'healthz' | 'readyz' | 'ui' | 'unauthorized' | 'metrics' | 'bad_request';

/** A running domain, as the HTTP layer reads it. */
export interface HttpDomainSource {
  readonly index: number;
  readonly name: string | undefined;
  readonly addresses: readonly string[];
  /** The current state. */
  state(): DomainState;
  /** Every directory change, as it happens. */
  readonly changes$: Observable<DirectoryChange>;
}

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly token?: string;
  /** Changes kept per domain for watch resumption. */
  readonly history: number;
  readonly domains: readonly HttpDomainSource[];
  readonly metrics: Metrics;
  /** Readiness: why the daemon is not ready to serve, or undefined when it is. */
  readonly notReady: () => string | undefined;
  readonly logger?: Logger;
  /** Wall clock in seconds (default Date.now()/1000). */
  readonly now?: () => number;
  /** Heartbeat interval of watch streams (default 15000 ms). */
  readonly heartbeatMs?: number;
  /** A client that does not read for this long is dropped (default 10000 ms). */
  readonly maxBlockedMs?: number;
  /** Concurrent HTTP connections (default 256) and watch streams (default 128). */
  readonly maxConnections?: number;
  readonly maxWatches?: number;
  /** Sampling of the dashboard's chart series (default every 2000 ms, 300 samples). */
  readonly sampleMs?: number;
  readonly samples?: number;
}

export interface RunningHttp {
  /** Base URL, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Paths served without a token: probes, and the dashboard shell (it holds no data; it asks for the token). */
const isPublic = (path: string): boolean => path === '/healthz' || path === '/readyz';

const decodeSegments = (path: string): string[] | undefined => {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
};

/** Start listening; rejects with a one-line error when the address cannot be bound. */
export const startHttp = async (o: HttpOptions): Promise<RunningHttp> => {
  const now = o.now ?? (() => Date.now() / 1000);
  const logger = o.logger;
  const slicer = new Slicer({
    onError: (e) => logger?.error('internal', 'http: sliced work failed', { error: String(e) }),
  });
  const sampleMs = o.sampleMs ?? 2000;
  const domains: ApiDomain[] = o.domains.map((d) => ({
    index: d.index,
    name: d.name,
    addresses: d.addresses,
    state: () => d.state(),
    feed: new DomainFeed(d.changes$, d.state(), o.history),
    series: new Series(sampleMs, o.samples ?? 300),
  }));
  const sample = (): void => {
    const t = Math.round(now());
    for (const d of domains) {
      const { services, clients, subscriptions } = domainCounts(d.state());
      d.series.add(t, { services, clients, orphans: d.feed.orphans, subscriptions });
    }
  };
  sample();
  const sampler = setInterval(sample, sampleMs);
  sampler.unref();
  const { metrics } = o;
  metrics.attach(
    domains.map((d) => ({ label: d.name ?? String(d.index), state: d.state, orphans: () => d.feed.orphans })),
  );
  const watches = { count: 0 };
  metrics.watchCount = () => watches.count;
  const ctx = {
    domains,
    slicer,
    now,
    heartbeatMs: o.heartbeatMs ?? 15_000,
    maxBlockedMs: o.maxBlockedMs ?? 10_000,
    maxWatches: o.maxWatches ?? 128,
    watches,
    onDrop: (what: string, reason: string) => {
      metrics.httpDropped.inc();
      logger?.warning('core', 'http: slow client dropped', { what, reason });
    },
  };
  const assets = new StaticAssets();
  const token = o.token === undefined ? undefined : digest(o.token);
  const authorized = (req: IncomingMessage): boolean => {
    if (token === undefined) return true;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), token);
  };

  const route = (req: IncomingMessage, res: ServerResponse): HttpRoute => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, `${req.method ?? ''} not allowed: the HTTP API is read-only`);
      return 'method_not_allowed';
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('ok\n');
      return 'healthz';
    }
    if (path === '/readyz') {
      const why = o.notReady();
      res.writeHead(why === undefined ? 200 : 503, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      const lines = domains.flatMap((d) =>
        d.addresses.map((a) => `[${why === undefined ? '+' : '-'}]domain ${d.name ?? d.index} ${a}`),
      );
      res.end(why === undefined ? `${lines.join('\n')}\nready\n` : `${lines.join('\n')}\nnot ready: ${why}\n`);
      return 'readyz';
    }
    if (assets.has(path)) {
      assets.serve(req, res, path);
      return 'ui';
    }
    if (!isPublic(path) && !authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rxpafd"');
      sendError(res, 401, 'a bearer token is required (Authorization: Bearer <token>)');
      return 'unauthorized';
    }
    if (path === '/metrics') {
      metrics.scrape().then(
        ({ text, contentType }) =>
          res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(text),
        (e: unknown) => fail(req, res, e),
      );
      return 'metrics';
    }
    const segments = decodeSegments(path);
    if (segments === undefined) {
      sendError(res, 400, 'malformed URL encoding');
      return 'bad_request';
    }
    if (segments[0] === 'v1') return handleApi(ctx, req, res, segments.slice(1), url);
    sendJson(res, 404, { error: 'not found' });
    return 'not_found';
  };

  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown): void => {
    logger?.error('internal', 'http: request failed', { path: req.url, error: String(e) });
    if (!res.headersSent) sendError(res, 500, 'internal error');
    else res.destroy();
  };

  const dateOf = httpDateCache();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // (in place of Node's own, which would page in ICU's time zones: lib/http/http-date.ts)
    res.setHeader('Date', dateOf(now() * 1000));
    let label: HttpRoute | 'unknown' = 'unknown';
    res.on('close', () => metrics.httpRequests.add([label, String(res.statusCode)], 1));
    try {
      label = route(req, res);
    } catch (e) {
      fail(req, res, e);
    }
  };

  let server: Server;
  try {
    server =
      o.tls === undefined
        ? createHttpServer({ maxHeaderSize: 16384, connectionsCheckingInterval: 2000 }, onRequest)
        : createHttpsServer({ cert: o.tls.cert, key: o.tls.key, maxHeaderSize: 16384 }, onRequest);
  } catch (e) {
    for (const d of domains) d.feed.close();
    clearInterval(sampler);
    throw new PafConfigError(
      `http: unusable TLS certificate or key: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
    );
  }
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  server.maxConnections = o.maxConnections ?? 256;
  server.on('clientError', (_e, socket) => socket.destroy());
  const hostText = o.host.includes(':') ? `[${o.host}]` : o.host;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      for (const d of domains) d.feed.close();
      clearInterval(sampler);
      reject(new PafTransportError(`http: cannot listen on ${hostText}:${o.port}: ${e.code ?? e.message}`, e.code));
    };
    server.once('error', onError);
    server.listen({ host: o.host, port: o.port, backlog: 128 }, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => logger?.error('internal', 'http: server error', { error: String(e) }));
  const port = (server.address() as AddressInfo).port;
  const url = `${o.tls === undefined ? 'http' : 'https'}://${hostText}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        clearInterval(sampler);
        for (const d of domains) d.feed.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
};

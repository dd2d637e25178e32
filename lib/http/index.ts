/**
 * The daemon's HTTP side (loaded only when `--http` or the `http:` section is configured): Prometheus metrics,
 * health endpoints, the JSON API with resumable watches, and the dashboard.
 *
 * Two steps, because the metrics observe the server from its creation: `prepareHttp` (reads the token and TLS
 * files, creates the metrics and their server observer), then `start` once the server's sockets are bound.
 *
 * @example
 * const http = prepareHttp(cfg.http, { domains: ['0'], version: '0.1.0', logger });
 * const server = await createServer({ ...options, observer: http.observer });
 * const running = await http.start(server, () => (serving ? undefined : 'starting'));
 */
import { readFileSync } from 'node:fs';

import type { HttpConfig } from '../config/config-http';
import { PafConfigError } from '../errors';
import type { Logger } from '../log/logger';
import type { RxpafServer } from '../server/create-server';
import type { ServerObserver } from '../server/observer';
import { type HttpDomainSource, type RunningHttp, startHttp } from './http-server';
import { Metrics } from './metrics';

export type { RunningHttp } from './http-server';
export { rxpafVersion } from '../version';

export interface PreparedHttp {
  /** Give this to createServer so the metrics see the traffic. */
  readonly observer: ServerObserver;
  /** Bind the listener and serve `server`'s domains; rejects with a one-line error. */
  start(server: RxpafServer, notReady: () => string | undefined): Promise<RunningHttp>;
  /** Stop the metrics' timers (when start is never called). */
  close(): void;
}

/** The server's domains, as the HTTP layer reads them (the internal state, converted to the public model later). */
export const domainSources = (server: RxpafServer): HttpDomainSource[] =>
  server.domains.map((d) => ({
    index: d.index,
    name: d.name,
    addresses: d.addresses,
    state: () => d.snapshot(),
    changes$: d.changes$,
  }));

const readText = (path: string, what: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PafConfigError(`http: cannot read the ${what} '${path}': ${code ?? String(e)}`);
  }
};

/** Read the files the configuration names and create the metrics. Throws a one-line PafConfigError. */
export const prepareHttp = (
  cfg: HttpConfig,
  opts: { readonly domains: readonly string[]; readonly version: string; readonly logger?: Logger },
): PreparedHttp => {
  let token = cfg.token;
  if (cfg.tokenFile !== undefined) {
    token = readText(cfg.tokenFile, 'token file').trim();
    if (token === '') throw new PafConfigError(`http: the token file '${cfg.tokenFile}' is empty`);
  }
  const tls =
    cfg.tls === undefined
      ? undefined
      : { cert: readText(cfg.tls.cert, 'TLS certificate'), key: readText(cfg.tls.key, 'TLS key') };
  const metrics = new Metrics({ domains: opts.domains, version: opts.version });
  return {
    observer: metrics.observer,
    close: () => metrics.close(),
    start: async (server, notReady) => {
      try {
        const running = await startHttp({
          host: cfg.host,
          port: cfg.port,
          tls,
          token,
          history: cfg.history,
          domains: domainSources(server),
          metrics,
          notReady,
          logger: opts.logger,
        });
        return {
          ...running,
          close: async () => {
            await running.close();
            metrics.close();
          },
        };
      } catch (e) {
        metrics.close();
        throw e;
      }
    },
  };
};

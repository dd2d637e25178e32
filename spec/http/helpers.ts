/** Helpers of the HTTP specs: an in-process server with its HTTP listener on 127.0.0.1 port 0, and raw publishers. */
import { request as httpRequest } from 'node:http';

import { parseJson, type Json } from '../../lib/codec/json';
import { startHttp, type HttpOptions, type RunningHttp } from '../../lib/http/http-server';
import { domainSources } from '../../lib/http';
import { Metrics } from '../../lib/http/metrics';
import { createServer, type RxpafServer, type ServerDomainOptions } from '../../lib/server/create-server';
import { helloMsg, msg, transact } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

export interface Stack {
  readonly server: RxpafServer;
  readonly http: RunningHttp;
  readonly metrics: Metrics;
  /** Base URL with a trailing slash. */
  readonly url: string;
  /** Pathfinder address of domain `i`. */
  addr(i?: number): string;
  close(): Promise<void>;
}

export const startStack = async (
  opts: {
    readonly domains?: readonly ServerDomainOptions[];
    readonly http?: Partial<Omit<HttpOptions, 'domains' | 'metrics'>>;
  } = {},
): Promise<Stack> => {
  const domains = opts.domains ?? [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }];
  const metrics = new Metrics({
    domains: domains.map((d, i) => d.name ?? String(i)),
    version: 'test',
    defaultMetrics: false,
  });
  const server = await createServer({ domains, observer: metrics.observer });
  const http = await startHttp({
    host: '127.0.0.1',
    port: 0,
    history: 1000,
    notReady: () => undefined,
    ...opts.http,
    domains: domainSources(server),
    metrics,
  });
  return {
    server,
    http,
    metrics,
    url: http.url,
    addr: (i = 0) => server.domains[i]!.addresses[0]!,
    close: async () => {
      await http.close();
      await server.close();
      metrics.close();
    },
  };
};

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body parsed losslessly (integers as bigint), or undefined when it is not JSON. */
  readonly json: Json | undefined;
}

/** One HTTP request (node's http module, no agent keep-alive). */
export const get = (
  url: string,
  opts: { readonly method?: string; readonly headers?: Readonly<Record<string, string>> } = {},
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const j = parseJson(text);
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          text,
          json: j._tag === 'Right' ? j.right : undefined,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

/** A Pathfinder client (raw protocol) that said hello. */
export const connectClient = async (addr: string, clientId: number | bigint, version = 3): Promise<RawClient> => {
  const c = await RawClient.open(addr);
  const r = await transact(c, 0, helloMsg(clientId, 2, version));
  if (r.own[0]?.['msg-type'] !== 'complete') throw new Error(`hello failed: ${JSON.stringify(r.own)}`);
  return c;
};

let taIds = 1000;

/** Publish (or republish) a service and wait for the complete. */
export const publishService = async (
  c: RawClient,
  id: number | bigint,
  props: Readonly<Record<string, ReadonlyArray<string | number | bigint>>>,
  opts: { ttl?: number; generation?: number } = {},
): Promise<void> => {
  const ta = taIds++;
  const r = await transact(
    c,
    ta,
    msg('publish', ta, 'request', {
      'service-id': id,
      generation: opts.generation ?? 0,
      'service-props': props,
      ttl: opts.ttl ?? 60,
    }),
  );
  if (r.own.at(-1)?.['msg-type'] !== 'complete') throw new Error(`publish failed: ${JSON.stringify(r.own)}`);
};

export const unpublishService = async (c: RawClient, id: number | bigint): Promise<void> => {
  const ta = taIds++;
  const r = await transact(c, ta, msg('unpublish', ta, 'request', { 'service-id': id }));
  if (r.own.at(-1)?.['msg-type'] !== 'complete') throw new Error(`unpublish failed: ${JSON.stringify(r.own)}`);
};

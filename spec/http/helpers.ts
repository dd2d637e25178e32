/** Helpers of the HTTP specs: an in-process server with its HTTP listener on 127.0.0.1 port 0, and raw publishers. */
import { request as httpRequest } from 'node:http';

import { parseJson, type Json } from '../../lib/codec/json';
import { startHttp, type HttpOptions, type RunningHttp } from '../../lib/http/http-server';
import { domainSources } from '../../lib/http';
import { Metrics } from '../../lib/http/metrics';
import {
  createServer,
  type RxpafServer,
  type ServerDomainOptions,
  type ServerOptions,
} from '../../lib/server/create-server';
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
    /** Other server options (limits, output limits). */
    readonly server?: Partial<Omit<ServerOptions, 'domains' | 'observer'>>;
  } = {},
): Promise<Stack> => {
  const domains = opts.domains ?? [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }];
  const metrics = new Metrics({
    domains: domains.map((d, i) => d.name ?? String(i)),
    version: 'test',
    defaultMetrics: false,
  });
  const server = await createServer({ ...opts.server, domains, observer: metrics.observer });
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

/** One Server-Sent Event as received. */
export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** Parse complete SSE events out of `buffer`; returns the events and the unparsed rest. */
export const parseSse = (buffer: string): { events: SseEvent[]; rest: string } => {
  const events: SseEvent[] = [];
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const [k, v] = i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1).replace(/^ /, '')];
      fields++;
      if (k === 'event') event = v;
      else if (k === 'id') id = v;
      else if (k === 'data') data.push(v);
      else fields--;
    }
    if (fields > 0 && data.length > 0) events.push({ event, id, data: data.join('\n') });
  }
  return { events, rest };
};

/** A raw SSE reader over node's http (it sends exactly the headers given, e.g. a Last-Event-ID). */
export interface SseStream {
  readonly status: number;
  readonly events: SseEvent[];
  /** The next event not yet taken, waiting up to `ms`. */
  next(ms?: number): Promise<SseEvent>;
  /** Take events until one satisfies `pred` (inclusive). */
  until(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent[]>;
  readonly closed: boolean;
  close(): void;
}

export const openSse = (url: string, headers: Readonly<Record<string, string>> = {}): Promise<SseStream> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      const events: SseEvent[] = [];
      let taken = 0;
      let buffer = '';
      let closed = false;
      let wake: (() => void) | undefined;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const p = parseSse(buffer + d);
        buffer = p.rest;
        events.push(...p.events);
        wake?.();
      });
      res.on('close', () => {
        closed = true;
        wake?.();
      });
      const next = async (ms = 3000): Promise<SseEvent> => {
        const deadline = Date.now() + ms;
        while (taken >= events.length) {
          if (closed) throw new Error('stream closed');
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no event within ${ms} ms (got ${JSON.stringify(events)})`);
          await new Promise<void>((r) => {
            const t = setTimeout(r, left);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
        }
        return events[taken++]!;
      };
      resolve({
        status: res.statusCode!,
        events,
        next,
        until: async (pred, ms = 3000) => {
          const out: SseEvent[] = [];
          for (;;) {
            const e = await next(ms);
            out.push(e);
            if (pred(e)) return out;
          }
        },
        get closed() {
          return closed;
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });

/** A TCP proxy to `port` on 127.0.0.1 whose connections can be cut, and kept from reconnecting (a network drop). */
export const startCutProxy = async (
  port: number,
): Promise<{ readonly port: number; cut(): void; hold(on: boolean): void; close(): Promise<void> }> => {
  const { createServer: netServer, connect: netConnect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  let held = false;
  const srv = netServer((a) => {
    if (held) {
      a.destroy(); // the network is down: connections fail at once
      return;
    }
    const b = netConnect(port, '127.0.0.1');
    sockets.add(a).add(b);
    a.pipe(b).pipe(a);
    const end = (): void => {
      a.destroy();
      b.destroy();
      sockets.delete(a);
      sockets.delete(b);
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as import('node:net').AddressInfo).port,
    cut: () => sockets.forEach((s) => s.destroy()),
    /** While held, new connections are cut as they arrive. */
    hold: (on: boolean) => void (held = on),
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        srv.close(() => r());
      }),
  };
};

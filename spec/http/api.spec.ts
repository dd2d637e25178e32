import { expect } from '@jest/globals';
import { msg, subscribe, transact } from '../helpers/daemon';
import type { RawClient } from '../helpers/raw-client';
import { connectClient, get, publishService, startStack, type Stack, unpublishService } from './helpers';

const MAX_ID = 9223372036854775807n;

describe('HTTP JSON API', () => {
  let stack: Stack;
  let pub: RawClient;
  let v2: RawClient;
  beforeAll(async () => {
    stack = await startStack({
      domains: [
        { name: 'alpha', sockets: [{ addr: 'tcp:127.0.0.1:0' }] },
        { sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { idleMin: 1, idleMax: 2 } },
      ],
    });
    pub = await connectClient(stack.addr(0), 0x7000000000000001n);
    v2 = await connectClient(stack.addr(0), 42, 2);
    await publishService(pub, MAX_ID, { name: ['printer'], port: [631n], big: [MAX_ID] }, { ttl: 30 });
    await publishService(pub, 7, { name: ['db'], port: ['5432'] }, { ttl: 5, generation: 3 });
    await publishService(v2, 8, { name: ['cache'] });
    expect(await subscribe(v2, 50, 99, '(name=db)')).toMatchObject({ 'msg-type': 'accept' });
    await v2.next(); // the appeared notification of service 7
  });
  afterAll(async () => {
    pub.close();
    v2.close();
    await stack.close();
  });

  it('lists the domains with their sizes and addresses', async () => {
    const r = await get(`${stack.url}v1/domains`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.json).toEqual([
      {
        index: 0n,
        name: 'alpha',
        key: 'alpha',
        addresses: [stack.addr(0)],
        connections: 2n,
        clients: 2n,
        services: 3n,
        subscriptions: 1n,
        orphans: 0n,
        eventId: expect.stringMatching(/^[0-9a-f]{12}\.3$/),
      },
      expect.objectContaining({ index: 1n, key: '1', services: 0n }),
    ]);
    expect((await get(`${stack.url}v1/domains/1`)).json).toMatchObject({ index: 1n, key: '1' });
    expect((await get(`${stack.url}v1/domains/alpha`)).json).toMatchObject({ index: 0n, name: 'alpha' });
    expect((await get(`${stack.url}v1/domains/0`)).json).toMatchObject({ index: 0n, name: 'alpha' });
  });

  it('lists services in publication order with exact 63-bit ids and typed property values', async () => {
    const r = await get(`${stack.url}v1/domains/alpha/services`);
    expect(r.status).toBe(200);
    expect(r.text).toContain(`"id":${MAX_ID}`); // an exact integer literal, not a rounded double
    expect(r.json).toEqual([
      {
        id: MAX_ID,
        generation: 0n,
        props: { name: ['printer'], port: [631n], big: [MAX_ID] },
        ttl: 30n,
        clientId: 0x7000000000000001n,
      },
      { id: 7n, generation: 3n, props: { name: ['db'], port: ['5432'] }, ttl: 5n, clientId: 0x7000000000000001n },
      { id: 8n, generation: 0n, props: { name: ['cache'] }, ttl: 60n, clientId: 42n },
    ]);
    expect(r.headers['x-rxpaf-event-id']).toMatch(/^[0-9a-f]{12}\.3$/);
  });

  it('filters services with a Pathfinder filter', async () => {
    const q = (f: string) => get(`${stack.url}v1/domains/alpha/services?filter=${encodeURIComponent(f)}`);
    expect(((await q('(port=631)')).json as Array<{ id: bigint }>).map((s) => s.id)).toEqual([MAX_ID]);
    expect(((await q('(|(name=db)(name=cache))')).json as Array<{ id: bigint }>).map((s) => s.id)).toEqual([7n, 8n]);
    expect(((await q('(port>1000)')).json as Array<{ id: bigint }>).map((s) => s.id)).toEqual([]);
    expect((await q('(nomatch=*)')).text).toBe('[]');
  });

  it('answers a bad filter with 400 and the parser message', async () => {
    const r = await get(`${stack.url}v1/domains/alpha/services?filter=${encodeURIComponent('(name=db')}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/^invalid filter "\(name=db": .+ at position \d+$/) });
  });

  it('returns one service by id, 404 for an unknown one, 400 for a non-id', async () => {
    const one = await get(`${stack.url}v1/domains/alpha/services/${MAX_ID}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: MAX_ID, props: { big: [MAX_ID] } });
    expect((await get(`${stack.url}v1/domains/alpha/services/6`)).status).toBe(404);
    for (const bad of ['x', '-1', '9223372036854775808', '1.5'])
      expect((await get(`${stack.url}v1/domains/alpha/services/${bad}`)).status).toBe(400);
  });

  it('lists clients in handshake order with protocol version and idle time', async () => {
    const r = await get(`${stack.url}v1/domains/alpha/clients`);
    const clients = r.json as Array<Record<string, unknown>>;
    expect(clients.map((c) => [c.clientId, c.protocolVersion])).toEqual([
      [0x7000000000000001n, 3n],
      [42n, 2n],
    ]);
    for (const c of clients) {
      expect(c.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
      expect(typeof c.idle === 'number' || typeof c.idle === 'bigint').toBe(true);
      expect(Number(c.idle)).toBeGreaterThanOrEqual(0);
      expect(String(c.idle)).toMatch(/^\d+(\.\d{1,3})?$/); // to the millisecond
      expect(Number(c.connectedAt)).toBeGreaterThan(1.7e9);
    }
  });

  it('reports the latency of a tracked client once the server measured it', async () => {
    const c = await connectClient(stack.addr(1), 0x51);
    try {
      const { own } = await transact(c, 5, msg('track', 5, 'request'), 5000, ['accept', 'fail']);
      expect(own.at(-1)).toMatchObject({ 'msg-type': 'accept' });
      const before = (await get(`${stack.url}v1/domains/1/clients`)).json as Array<Record<string, unknown>>;
      expect(before.find((x) => x.clientId === 0x51n)?.latency).toBeUndefined();
      const query = await c.next(4000); // the idle warning (about 1 s with idle max 2 s) sends a track query
      expect(query).toMatchObject({ 'ta-cmd': 'track', 'track-type': 'query' });
      c.send(msg('track', 5, 'inform', { 'track-type': 'reply' }));
      let latency: unknown;
      for (let i = 0; i < 50 && latency === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const list = (await get(`${stack.url}v1/domains/1/clients`)).json as Array<Record<string, unknown>>;
        latency = list.find((x) => x.clientId === 0x51n)?.latency;
      }
      expect(typeof latency).toBe('number');
      expect(latency as number).toBeGreaterThanOrEqual(0);
      expect(latency as number).toBeLessThan(1);
    } finally {
      c.close();
    }
  });

  it('lists subscriptions', async () => {
    expect((await get(`${stack.url}v1/domains/alpha/subscriptions`)).json).toEqual([
      { id: 99n, clientId: 42n, filter: '(name=db)' },
    ]);
  });

  it('answers 404 for unknown domains and paths, 405 for anything but GET and HEAD', async () => {
    expect(await get(`${stack.url}v1/domains/nope/services`)).toMatchObject({
      status: 404,
      json: { error: 'no domain "nope"' },
    });
    expect((await get(`${stack.url}v1/domains/alpha/bogus`)).status).toBe(404);
    expect((await get(`${stack.url}v2`)).status).toBe(404);
    expect((await get(`${stack.url}v1/domains/%E0%A4%A`)).status).toBe(400);
    const post = await get(`${stack.url}v1/domains`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const del = await get(`${stack.url}v1/domains/alpha/services/7`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    for (const [method, path] of [
      ['PUT', 'v1/domains/alpha/services/7'],
      ['PATCH', 'v1/domains/alpha'],
      ['POST', 'metrics'],
      ['PUT', ''],
      ['DELETE', 'v1/domains/alpha/watch'],
    ])
      expect(await get(`${stack.url}${path}`, { method })).toMatchObject({
        status: 405,
        headers: { allow: 'GET, HEAD' },
        json: { error: `${method} not allowed: the HTTP API is read-only` },
      });
    expect((await get(`${stack.url}v1/domains/alpha/services/7`)).status).toBe(200);
  });

  it('indents with ?pretty and answers HEAD without a body', async () => {
    const r = await get(`${stack.url}v1/domains/alpha/services?pretty&filter=(name=db)`);
    expect(r.text).toBe(
      '[\n  {\n    "id": 7,\n    "generation": 3,\n    "props": {\n      "name": [\n        "db"\n      ],\n' +
        '      "port": [\n        "5432"\n      ]\n    },\n    "ttl": 5,\n    "clientId": 8070450532247928833\n  }\n]\n',
    );
    const head = await get(`${stack.url}v1/domains`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    // a single object too, and a watch answers HEAD with its headers only (no stream is opened)
    const one = await get(`${stack.url}v1/domains/alpha/services/8?pretty`);
    expect(one.text).toMatch(/^\{\n {2}"id": 8,\n {2}"generation": 0,\n[^]*\n\}\n$/);
    const watch = await get(`${stack.url}v1/domains/alpha/watch`, { method: 'HEAD' });
    expect(watch.status).toBe(200);
    expect(watch.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(watch.text).toBe('');
  });

  it('answers 404 for a path under /v1 other than domains, and for extra path segments', async () => {
    expect((await get(`${stack.url}v1/services`)).status).toBe(404);
    expect((await get(`${stack.url}v1/domains/alpha/clients/1`)).status).toBe(404);
    expect((await get(`${stack.url}v1/domains/alpha/services/8/props`)).status).toBe(404);
  });

  it('shows an orphan with the time it became one', async () => {
    const c = await connectClient(stack.addr(1), 77);
    await publishService(c, 1, { name: ['gone-soon'] }, { ttl: 100 });
    c.close();
    let svc: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && svc?.orphanSince === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      svc = (await get(`${stack.url}v1/domains/1/services/1`)).json as Record<string, unknown>;
    }
    expect(Number(svc!.orphanSince)).toBeGreaterThan(Date.now() / 1000 - 10);
    expect((await get(`${stack.url}v1/domains/1`)).json).toMatchObject({ orphans: 1n, services: 1n, clients: 0n });
  });

  it('serves the size series for the chart', async () => {
    const r = await get(`${stack.url}v1/domains/alpha/stats`);
    // One sample every 2 s since the stack started (more than one on a slow machine), the first taken
    // before anything was published in domain alpha; the three series stay aligned.
    const s = r.json as { interval: bigint; time: bigint[]; services: bigint[]; orphans: bigint[] };
    expect(s.interval).toBe(2n);
    expect(s.time.length).toBeGreaterThanOrEqual(1);
    expect(s.services).toHaveLength(s.time.length);
    expect(s.orphans).toHaveLength(s.time.length);
    expect(s.services[0]).toBe(0n);
    expect(s.orphans.every((n) => n >= 0n)).toBe(true);
    expect(s.time.every((t, i) => i === 0 || t > s.time[i - 1]!)).toBe(true);
  });

  it('keeps working for other clients when one service is unpublished meanwhile', async () => {
    await unpublishService(v2, 8);
    const { own } = await transact(v2, 60, msg('services', 60, 'request'));
    expect(own.filter((m) => m['msg-type'] === 'notify')).toHaveLength(2);
    expect(((await get(`${stack.url}v1/domains/alpha/services`)).json as unknown[]).length).toBe(2);
  });
});

describe('HTTP health and authorization', () => {
  let stack: Stack;
  let ready: string | undefined = 'starting';
  beforeAll(async () => {
    stack = await startStack({ http: { token: 's3cret-token', notReady: () => ready } });
  });
  afterAll(() => stack.close());

  it('answers /healthz always and /readyz only once serving', async () => {
    expect(await get(`${stack.url}healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    const notYet = await get(`${stack.url}readyz`);
    expect(notYet.status).toBe(503);
    expect(notYet.text).toBe(`[-]domain 0 ${stack.addr()}\nnot ready: starting\n`);
    ready = undefined;
    const r = await get(`${stack.url}readyz`);
    expect(r.status).toBe(200);
    expect(r.text).toBe(`[+]domain 0 ${stack.addr()}\nready\n`);
  });

  it('requires the bearer token for data, not for probes and the dashboard shell', async () => {
    for (const path of ['metrics', 'v1/domains', 'v1/domains/0/services', 'v1/domains/0/watch']) {
      const r = await get(`${stack.url}${path}`);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="rxpafd"');
      expect((await get(`${stack.url}${path}`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    }
    const ok = await get(`${stack.url}v1/domains`, { headers: { Authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect((await get(`${stack.url}metrics`, { headers: { authorization: 'bearer s3cret-token' } })).status).toBe(200);
    expect((await get(`${stack.url}`)).status).toBe(200);
    expect((await get(`${stack.url}ui/app.js`)).status).toBe(200);
  });
});

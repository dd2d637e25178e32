import { expect } from '@jest/globals';
import { EventSource } from 'eventsource';
import { connect as netConnect } from 'node:net';

import { parseJson } from '../../lib/codec/json';
import { waitFor } from '../helpers/daemon';
import type { RawClient } from '../helpers/raw-client';
import {
  connectClient,
  get,
  openSse,
  publishService,
  type SseEvent,
  startCutProxy,
  startStack,
  type Stack,
  unpublishService,
} from './helpers';

const data = (e: SseEvent): Record<string, unknown> => {
  const j = parseJson(e.data);
  if (j._tag === 'Left') throw new Error(`not JSON: ${e.data}`);
  return j.right as Record<string, unknown>;
};
const svcId = (e: SseEvent): bigint => (data(e).service as { id: bigint }).id;
const summary = (events: readonly SseEvent[]): string[] =>
  events.map((e) =>
    e.event === 'appeared' || e.event === 'modified' || e.event === 'disappeared' ? `${e.event} ${svcId(e)}` : e.event,
  );

describe('watch (Server-Sent Events)', () => {
  let stack: Stack;
  let pub: RawClient;
  beforeEach(async () => {
    stack = await startStack({ http: { history: 8, heartbeatMs: 100 } });
    pub = await connectClient(stack.addr(), 1);
  });
  afterEach(async () => {
    pub.close();
    await stack.close();
  });
  const watchUrl = (filter?: string): string =>
    `${stack.url}v1/domains/0/watch${filter === undefined ? '' : `?filter=${encodeURIComponent(filter)}`}`;

  it('sends the current matches first, then appeared, modified and disappeared live, each with an id', async () => {
    await publishService(pub, 1, { name: ['web'], port: [80] });
    await publishService(pub, 2, { name: ['db'] });
    await publishService(pub, 3, { name: ['web'], port: [8080] });
    const s = await openSse(watchUrl('(name=web)'));
    expect(s.status).toBe(200);
    const sync = await s.until((e) => e.event === 'synced');
    expect(summary(sync)).toEqual(['reset', 'appeared 1', 'appeared 3', 'synced']);
    const epoch = sync[0]!.id!.split('.')[0]!;
    expect(sync.map((e) => e.id)).toEqual([`${epoch}.3.0`, `${epoch}.3.1`, `${epoch}.3.2`, `${epoch}.3`]);
    expect(data(sync[0]!)).toMatchObject({ reason: 'initial' });
    expect(data(sync[1]!)).toEqual({
      type: 'appeared',
      service: { id: 1n, generation: 0n, props: { name: ['web'], port: [80n] }, ttl: 60n, clientId: 1n },
    });
    expect(data(sync[3]!)).toMatchObject({ services: 2n });
    await publishService(pub, 4, { name: ['web'] }); // 4: appeared
    await publishService(pub, 1, { name: ['web'], port: [81] }, { generation: 1 }); // 5: modified
    await publishService(pub, 2, { name: ['db'], port: [1] }, { generation: 1 }); // 6: not matching, nothing
    await publishService(pub, 3, { name: ['other'] }, { generation: 1 }); // 7: stops matching: disappeared
    await unpublishService(pub, 4); // 8: disappeared
    const live = await s.until((e) => e.event === 'disappeared' && svcId(e) === 4n);
    expect(summary(live)).toEqual(['appeared 4', 'modified 1', 'disappeared 3', 'disappeared 4']);
    expect(live.map((e) => e.id)).toEqual([`${epoch}.4`, `${epoch}.5`, `${epoch}.7`, `${epoch}.8`]);
    expect(data(live[1]!)).toMatchObject({ type: 'modified', service: { generation: 1n, props: { port: [81n] } } });
    expect(data(live[2]!)).toMatchObject({ type: 'disappeared', service: { id: 3n, props: { name: ['web'] } } });
    s.close();
  });

  it('resumes a real EventSource client after a network drop with exactly the missed events', async () => {
    await publishService(pub, 1, { name: ['a'] });
    const proxy = await startCutProxy(stack.http.port);
    const es = new EventSource(
      `http://127.0.0.1:${proxy.port}/v1/domains/0/watch?filter=${encodeURIComponent('(name=*)')}`,
    );
    const got: SseEvent[] = [];
    let opens = 0;
    es.onopen = () => opens++;
    for (const type of ['reset', 'appeared', 'modified', 'disappeared', 'synced', 'resumed'])
      es.addEventListener(type, (e) => got.push({ event: type, id: e.lastEventId, data: e.data as string }));
    try {
      await waitFor(() => got.some((e) => e.event === 'synced'), 3000, 'the sync');
      await publishService(pub, 2, { name: ['b'] });
      await waitFor(() => got.length === 4, 3000, 'a live event');
      expect(summary(got)).toEqual(['reset', 'appeared 1', 'synced', 'appeared 2']);
      const lastBeforeDrop = got.at(-1)!.id!;
      proxy.cut(); // the client reconnects after the retry delay (1 s), with Last-Event-ID
      await publishService(pub, 3, { name: ['c'] });
      await publishService(pub, 2, { name: ['b'], port: [2] }, { generation: 1 });
      await publishService(pub, 9, { other: ['not matching'] });
      await unpublishService(pub, 1);
      await waitFor(() => got.some((e) => e.event === 'resumed'), 5000, 'the reconnect');
      await waitFor(() => got.length >= 8, 3000, 'the missed events');
      await publishService(pub, 4, { name: ['d'] });
      await waitFor(() => got.length >= 9, 3000, 'a live event after the resume');
      expect(opens).toBe(2);
      const after = got.slice(4);
      expect(summary(after)).toEqual(['resumed', 'appeared 3', 'modified 2', 'disappeared 1', 'appeared 4']);
      expect(data(after[0]!)).toMatchObject({ after: lastBeforeDrop, changes: 4n });
      expect(after[0]!.id).toBe(lastBeforeDrop);
      const epoch = lastBeforeDrop.split('.')[0];
      expect(after.slice(1).map((e) => e.id)).toEqual([`${epoch}.3`, `${epoch}.4`, `${epoch}.6`, `${epoch}.7`]);
    } finally {
      es.close();
      await proxy.close();
    }
  });

  it('resyncs a real EventSource client in full when it was away longer than the history', async () => {
    await publishService(pub, 1, { name: ['a'] });
    await publishService(pub, 2, { name: ['b'] });
    const proxy = await startCutProxy(stack.http.port);
    const es = new EventSource(`http://127.0.0.1:${proxy.port}/v1/domains/0/watch`);
    const got: SseEvent[] = [];
    let opens = 0;
    es.onopen = () => opens++;
    for (const type of ['reset', 'appeared', 'modified', 'disappeared', 'synced', 'resumed'])
      es.addEventListener(type, (e) => got.push({ event: type, id: e.lastEventId, data: e.data as string }));
    try {
      await waitFor(() => got.some((e) => e.event === 'synced'), 3000, 'the sync');
      expect(summary(got)).toEqual(['reset', 'appeared 1', 'appeared 2', 'synced']);
      const lastBeforeDrop = got.at(-1)!.id!;
      proxy.hold(true); // the network is down: reconnects (every second, with Last-Event-ID) fail ...
      proxy.cut();
      await unpublishService(pub, 1); // ... while 9 changes happen, one more than the history keeps
      for (let i = 3; i <= 10; i++) await publishService(pub, i, { name: [`s${i}`] });
      proxy.hold(false);
      await waitFor(() => got.filter((e) => e.event === 'synced').length === 2, 5000, 'the second sync');
      expect(opens).toBe(2);
      const after = got.slice(4);
      expect(after[0]!.event).toBe('reset');
      expect(data(after[0]!)).toMatchObject({ reason: 'expired' });
      // the full current state, not the missed changes: service 1 is simply absent
      expect(summary(after)).toEqual(['reset', ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `appeared ${i}`), 'synced']);
      expect(after.at(-1)!.id).toBe(`${lastBeforeDrop.split('.')[0]}.11`);
      await unpublishService(pub, 2); // and live again after the resync
      await waitFor(() => got.at(-1)?.event === 'disappeared', 3000, 'a live event');
      expect(got.at(-1)!.id).toBe(`${lastBeforeDrop.split('.')[0]}.12`);
    } finally {
      es.close();
      await proxy.close();
    }
  });

  it('resyncs in full, and says why, when the id fell out of the history or is not ours', async () => {
    const first = await openSse(watchUrl());
    const sync = await first.until((e) => e.event === 'synced');
    first.close();
    const position = sync.at(-1)!.id!;
    const epoch = position.split('.')[0]!;
    for (let i = 1; i <= 3; i++) await publishService(pub, i, { n: [String(i)] });
    const resumed = await openSse(watchUrl(), { 'Last-Event-ID': position });
    expect(summary(await resumed.until((e) => e.event === 'appeared' && svcId(e) === 3n))).toEqual([
      'resumed',
      'appeared 1',
      'appeared 2',
      'appeared 3',
    ]);
    resumed.close();
    for (let i = 4; i <= 12; i++) await publishService(pub, i, { n: [String(i)] }); // the history keeps 8 changes
    const cases: Array<[string, string]> = [
      [position, 'expired'],
      ['0123456789ab.1', 'other-epoch'],
      [`${epoch}.2.1`, 'sync-interrupted'],
      ['garbage', 'invalid-id'],
      [`${epoch}.999`, 'invalid-id'],
    ];
    for (const [id, reason] of cases) {
      const s = await openSse(watchUrl('(n=1*)'), { 'Last-Event-ID': id });
      const events = await s.until((e) => e.event === 'synced');
      expect(summary(events)).toEqual(['reset', 'appeared 1', 'appeared 10', 'appeared 11', 'appeared 12', 'synced']);
      expect(data(events[0]!)).toMatchObject({ reason });
      s.close();
    }
    // a position still in the history resumes (also given as ?after= for clients that cannot set headers)
    const recent = await openSse(`${stack.url}v1/domains/0/watch?after=${epoch}.10`);
    expect(summary(await recent.until((e) => e.event === 'appeared' && svcId(e) === 12n))).toEqual([
      'resumed',
      'appeared 11',
      'appeared 12',
    ]);
    recent.close();
  });

  it('moves the position on with progress events when only non-matching changes happen', async () => {
    const s = await openSse(watchUrl('(name=x)'));
    const sync = await s.until((e) => e.event === 'synced');
    const epoch = sync.at(-1)!.id!.split('.')[0];
    await publishService(pub, 1, { name: ['y'] });
    await publishService(pub, 2, { name: ['z'] });
    const progress = await s.until((e) => e.event === 'progress', 2000);
    expect(progress.at(-1)!.id).toBe(`${epoch}.2`);
    expect(Number(data(progress.at(-1)!).now)).toBeGreaterThan(Date.now() / 1000 - 10);
    s.close();
  });

  it('rejects a bad filter with 400 and the parser message, an unknown domain with 404', async () => {
    expect(await get(watchUrl('(name=x'))).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^invalid filter "\(name=x": /) },
    });
    expect((await get(`${stack.url}v1/domains/9/watch`)).status).toBe(404);
  });
});

describe('watch limits', () => {
  it('drops a client that stops reading, and keeps serving the others', async () => {
    const stack = await startStack({ http: { history: 100_000, maxBlockedMs: 300 } });
    const pub = await connectClient(stack.addr(), 1);
    try {
      const reader = await openSse(`${stack.url}v1/domains/0/watch`);
      await reader.until((e) => e.event === 'synced');
      const stuck = netConnect(stack.http.port, '127.0.0.1');
      await new Promise<void>((r) => stuck.once('connect', () => r()));
      stuck.write('GET /v1/domains/0/watch HTTP/1.1\r\nHost: x\r\n\r\n');
      stuck.pause(); // never reads: the kernel buffers fill, then the server's writes stop draining
      let stuckClosed = false;
      stuck.on('close', () => (stuckClosed = true));
      stuck.on('error', () => undefined); // the server's close may come as a reset: expected, not a failure
      const dropped = async (): Promise<number> =>
        Number(/^rxpaf_http_slow_clients_dropped_total (\d+)$/m.exec((await get(`${stack.url}metrics`)).text)?.[1]);
      const big = 'x'.repeat(50_000);
      // about 4 MB fill the socket buffers; then the server's writes stop draining and it drops the client
      for (let i = 0; i < 400 && (await dropped()) === 0; i += 10)
        for (let j = i; j < i + 10; j++) await publishService(pub, j, { blob: [big] });
      expect(await dropped()).toBe(1);
      stuck.resume(); // read what was buffered: the connection was closed by the server
      await waitFor(() => stuckClosed, 5000, 'the slow client to see the close');
      await publishService(pub, 100_000, { last: ['one'] });
      const seen = await reader.until((e) => e.event === 'appeared' && svcId(e) === 100_000n, 5000);
      expect(seen.length).toBeGreaterThan(1);
      reader.close();
    } finally {
      pub.close();
      await stack.close();
    }
  });

  it('caps the number of watches', async () => {
    const stack = await startStack({ http: { maxWatches: 2 } });
    try {
      const a = await openSse(`${stack.url}v1/domains/0/watch`);
      const b = await openSse(`${stack.url}v1/domains/0/watch`);
      const c = await get(`${stack.url}v1/domains/0/watch`);
      expect(c.status).toBe(503);
      expect(c.headers['retry-after']).toBe('5');
      a.close();
      await new Promise((r) => setTimeout(r, 50));
      const d = await openSse(`${stack.url}v1/domains/0/watch`);
      expect(d.status).toBe(200);
      b.close();
      d.close();
    } finally {
      await stack.close();
    }
  });
});

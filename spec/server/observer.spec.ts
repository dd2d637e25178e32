import { expect } from '@jest/globals';
import { createServer, type RxpafServer } from '../../lib/server/create-server';
import { FOLD_PART } from '../../lib/server/domain-runtime';
import type { ServerObserver } from '../../lib/server/observer';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import { helloMsg, msg, waitFor } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

describe('ServerObserver', () => {
  let server: RxpafServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const recording = () => {
    const seen = {
      received: [] as number[],
      sent: [] as string[],
      domains: new Set<number>(),
      batches: [] as Array<{ domain: number; batch: readonly Event[]; fx: readonly Effect[]; seconds: number }>,
    };
    const observer: ServerObserver = {
      received: (d, bytes) => {
        seen.domains.add(d);
        seen.received.push(bytes);
      },
      sent: (d, json) => {
        seen.domains.add(d);
        seen.sent.push(json);
      },
      reduced: (domain, batch, fx, seconds) => seen.batches.push({ domain, batch, fx, seconds }),
    };
    return { seen, observer };
  };

  it('sees every inbound frame, every outbound message and every reducer batch of its domain', async () => {
    const { seen, observer } = recording();
    server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }, { sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      observer,
    });
    const c = await RawClient.open(server.domains[1]!.addresses[0]!);
    const frames = [
      helloMsg(5),
      msg('publish', 1, 'request', { 'service-id': 9, generation: 0, 'service-props': { a: ['b'] }, ttl: 5 }),
    ];
    c.send(frames[0]!);
    await c.next();
    c.send(frames[1]!);
    await c.next();
    c.send('not json');
    await c.waitClosed();
    await waitFor(() => seen.batches.some((b) => b.fx.some((f) => f.type === 'close')), 2000, 'the close');
    expect([...seen.domains]).toEqual([1]);
    expect(seen.received).toEqual([...frames, 'not json'].map((f) => Buffer.byteLength(f)));
    expect(seen.sent).toEqual([
      '{"ta-cmd":"hello","ta-id":0,"msg-type":"complete","protocol-version":3}',
      '{"ta-cmd":"publish","ta-id":1,"msg-type":"complete"}',
    ]);
    const events = seen.batches.flatMap((b) => b.batch.map((e) => e.type));
    expect(events).toEqual(expect.arrayContaining(['accepted', 'message', 'malformed']));
    expect(seen.batches.every((b) => b.domain === 1 && b.seconds >= 0 && b.seconds < 1)).toBe(true);
    const close = seen.batches.flatMap((b) => b.fx).find((f) => f.type === 'close');
    expect(close).toMatchObject({ type: 'close', reason: expect.stringMatching(/^protocol error/) });
  });

  it('sees a big batch reduced in parts of FOLD_PART events, the batch recorded whole, every reply in order', async () => {
    const { seen, observer } = recording();
    const recorded: Array<readonly Event[]> = [];
    server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      observer,
      onEvents: (_d, batch) => recorded.push(batch),
    });
    const c = await RawClient.open(server.domains[0]!.addresses[0]!);
    await c.hello(2);
    const n = 3 * FOLD_PART + 5;
    // one write: the pings arrive in one read, so in one batch
    for (let i = 1; i <= n; i++) c.conn.send(msg('ping', i, 'request'));
    c.conn.flush();
    for (let i = 1; i <= n; i++) expect(await c.next()).toMatchObject({ 'ta-cmd': 'ping', 'ta-id': BigInt(i) });
    c.close();
    await waitFor(() => seen.batches.some((b) => b.batch.some((e) => e.type === 'closed')), 2000, 'the close');
    expect(recorded.some((b) => b.length > FOLD_PART)).toBe(true);
    expect(seen.batches.every((b) => b.batch.length <= FOLD_PART)).toBe(true);
    // the parts are the recorded batches, in order, and their effects are every reply
    expect(seen.batches.flatMap((b) => b.batch)).toEqual(recorded.flat());
    expect(seen.batches.flatMap((b) => b.fx).filter((f) => f.type === 'send')).toHaveLength(n + 1);
  });

  it('composes with onOutbound (both see every message)', async () => {
    const { seen, observer } = recording();
    const outbound: string[] = [];
    server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }, { sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      observer,
      onOutbound: (_d, _c, json) => outbound.push(json),
    });
    const c = await RawClient.open(server.domains[1]!.addresses[0]!);
    await c.hello(6);
    c.close();
    expect(outbound).toHaveLength(1);
    expect(seen.sent).toEqual(outbound);
  });
});

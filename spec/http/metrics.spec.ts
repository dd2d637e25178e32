import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

import { closeReasonOf, Metrics } from '../../lib/http/metrics';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import { helloMsg, msg, RawTcp, subscribe, transact } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';
import { connectClient, get, publishService, startStack, type Stack, unpublishService } from './helpers';

/** Scrape and parse; `value(name, labels)` reads one sample. */
const scrape = async (stack: Stack) => {
  const r = await get(`${stack.url}metrics`);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  const families = parsePrometheusTextFormat(r.text);
  const family = (name: string): PromFamily => {
    const f = families.find((x) => x.name === name);
    if (f === undefined) throw new Error(`no metric ${name} in:\n${r.text}`);
    return f;
  };
  const sample = (name: string, labels: Record<string, string> = {}) =>
    family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  const value = (name: string, labels: Record<string, string> = {}): number => {
    const s = sample(name, labels);
    return s === undefined ? 0 : Number(s.value ?? s.count);
  };
  return { text: r.text, families, family, sample, value };
};

describe('/metrics', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({
      domains: [{ name: 'd', sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { handshakeTimeout: 0.3 } }],
    });
  });
  afterEach(() => stack.close());

  it('counts messages by command and type, notifications, failures, closes by reason and bytes', async () => {
    const before = await scrape(stack);
    expect(before.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'protocol_error' })).toBe(0);
    const sub = await connectClient(stack.addr(), 1);
    expect(await subscribe(sub, 1, 10, '(name=x)')).toMatchObject({ 'msg-type': 'accept' });
    const subscribed = await scrape(stack);
    expect(subscribed.value('rxpaf_subscriptions', { domain: 'd' })).toBe(1);
    expect(subscribed.value('rxpaf_clients', { domain: 'd' })).toBe(1);
    const pub = await connectClient(stack.addr(), 2, 2);
    await publishService(pub, 5, { name: ['x'] });
    await publishService(pub, 6, { name: ['y'] });
    await unpublishService(pub, 5);
    const { own } = await transact(pub, 9, msg('unpublish', 9, 'request', { 'service-id': 12345 }));
    expect(own.at(-1)).toMatchObject({ 'msg-type': 'fail', 'fail-reason': 'non-existent-service-id' });
    expect(await sub.next()).toMatchObject({ 'match-type': 'appeared' });
    expect(await sub.next()).toMatchObject({ 'match-type': 'disappeared' });
    const bad = await RawClient.open(stack.addr());
    bad.send('{"ta-cmd": nope}');
    await bad.waitClosed();
    const silent = await RawClient.open(stack.addr()); // never says hello: closed after the handshake timeout
    await silent.waitClosed();
    sub.close();
    let m = await scrape(stack);
    for (
      let i = 0;
      i < 50 && m.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'client_close' }) < 1;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape(stack);
    }
    const d = { domain: 'd' };
    expect(m.value('rxpaf_messages_received_total', { ...d, command: 'hello', type: 'request' })).toBe(2);
    expect(m.value('rxpaf_messages_received_total', { ...d, command: 'publish', type: 'request' })).toBe(2);
    expect(m.value('rxpaf_messages_received_total', { ...d, command: 'unpublish', type: 'request' })).toBe(2);
    expect(m.value('rxpaf_messages_received_total', { ...d, command: 'unknown', type: 'malformed' })).toBe(1);
    expect(m.value('rxpaf_messages_sent_total', { ...d, command: 'hello', type: 'complete' })).toBe(2);
    expect(m.value('rxpaf_messages_sent_total', { ...d, command: 'subscribe', type: 'accept' })).toBe(1);
    expect(m.value('rxpaf_messages_sent_total', { ...d, command: 'subscribe', type: 'notify' })).toBe(2);
    expect(m.value('rxpaf_messages_sent_total', { ...d, command: 'unpublish', type: 'fail' })).toBe(1);
    expect(
      m.value('rxpaf_requests_failed_total', { ...d, command: 'unpublish', reason: 'non-existent-service-id' }),
    ).toBe(1);
    expect(m.value('rxpaf_notifications_sent_total', { ...d, match_type: 'appeared' })).toBe(1);
    expect(m.value('rxpaf_notifications_sent_total', { ...d, match_type: 'disappeared' })).toBe(1);
    expect(m.value('rxpaf_notifications_sent_total', { ...d, match_type: 'modified' })).toBe(0);
    expect(m.value('rxpaf_connections_accepted_total', d)).toBe(4);
    expect(m.value('rxpaf_connections_closed_total', { ...d, reason: 'protocol_error' })).toBe(1);
    expect(m.value('rxpaf_connections_closed_total', { ...d, reason: 'handshake_timeout' })).toBe(1);
    expect(m.value('rxpaf_connections_closed_total', { ...d, reason: 'client_close' })).toBe(1);
    expect(m.value('rxpaf_clients', d)).toBe(1);
    expect(m.value('rxpaf_connections', d)).toBe(1);
    expect(m.value('rxpaf_services', d)).toBe(1);
    expect(m.value('rxpaf_subscriptions', d)).toBe(0);
    expect(m.value('rxpaf_received_bytes_total', d)).toBeGreaterThan(200);
    expect(m.value('rxpaf_sent_bytes_total', d)).toBeGreaterThan(200);
    // the parser flattens a histogram's buckets and drops its labels, count and sum: those are read from the text
    const buckets = m.family('rxpaf_reducer_batch_duration_seconds').metrics[0]!.buckets!;
    const count = /^rxpaf_reducer_batch_duration_seconds_count\{domain="d"\} (\d+)$/m.exec(m.text)?.[1];
    expect(Number(count)).toBeGreaterThan(5);
    expect(buckets['+Inf']).toBe(count);
    expect(Number(buckets['0.001'])).toBeLessThanOrEqual(Number(count));
    expect(m.text).toMatch(/^rxpaf_reducer_batch_duration_seconds_sum\{domain="d"\} 0\.\d+/m);
    expect(m.family('rxpaf_event_loop_lag_seconds').type).toBe('HISTOGRAM');
    const batches = /^rxpaf_reducer_batch_events_count\{domain="d"\} (\d+)$/m.exec(m.text)?.[1];
    expect(Number(batches)).toBe(Number(count));
    expect(Number(/^rxpaf_reducer_batch_events_sum\{domain="d"\} (\d+)$/m.exec(m.text)?.[1])).toBeGreaterThanOrEqual(
      Number(batches),
    );
    pub.close();
  });

  it('counts the connections still open when the server stops under reason shutdown', async () => {
    const a = await connectClient(stack.addr(), 1);
    const b = await RawClient.open(stack.addr()); // not even handshaked
    const gone = await RawClient.open(stack.addr());
    gone.close();
    let m = await scrape(stack);
    for (
      let i = 0;
      i < 50 && m.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'client_close' }) < 1;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape(stack);
    }
    // the series exists (at 0) before the first shutdown, like every other reason
    expect(m.sample('rxpaf_connections_closed_total', { domain: 'd', reason: 'shutdown' })).toBeDefined();
    expect(m.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'shutdown' })).toBe(0);
    await stack.server.close(); // the HTTP listener still answers
    await b.waitClosed();
    a.close();
    m = await scrape(stack);
    expect(m.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'shutdown' })).toBe(2);
    expect(m.value('rxpaf_connections_closed_total', { domain: 'd', reason: 'client_close' })).toBe(1);
    expect(m.value('rxpaf_connections_accepted_total', { domain: 'd' })).toBe(3);
  });

  it('samples the event-loop lag into its histogram every 100 ms', async () => {
    const lagCount = (text: string): number =>
      Number(/^rxpaf_event_loop_lag_seconds_count (\d+)$/m.exec(text)?.[1] ?? NaN);
    const before = lagCount((await scrape(stack)).text);
    await new Promise((r) => setTimeout(r, 450));
    const after = await scrape(stack);
    expect(lagCount(after.text) - before).toBeGreaterThanOrEqual(2);
    // a blocked event loop shows up as lag: the next sample lands in a bucket above 50 ms
    const slow = (text: string): number =>
      lagCount(text) - Number(/^rxpaf_event_loop_lag_seconds_bucket\{le="0.05"\} (\d+)$/m.exec(text)?.[1]);
    const slowBefore = slow(after.text);
    const t0 = performance.now();
    while (performance.now() - t0 < 120); // hold the loop
    await new Promise((r) => setTimeout(r, 250));
    expect(slow((await scrape(stack)).text)).toBeGreaterThan(slowBefore);
  });

  it('counts HTTP requests by route and code', async () => {
    await get(`${stack.url}v1/domains`);
    await get(`${stack.url}v1/domains/d/services?filter=(bad`);
    await get(`${stack.url}v1/domains`, { method: 'PUT' });
    const m = await scrape(stack);
    expect(m.value('rxpaf_http_requests_total', { route: 'domains', code: '200' })).toBe(1);
    expect(m.value('rxpaf_http_requests_total', { route: 'services', code: '400' })).toBe(1);
    expect(m.value('rxpaf_http_requests_total', { route: 'method_not_allowed', code: '405' })).toBe(1);
    expect(m.value('rxpaf_http_watches')).toBe(0);
  });

  it('counts exactly the payload bytes that went over the wire', async () => {
    const m0 = await scrape(stack);
    const c = await RawClient.open(stack.addr());
    const hello = helloMsg(3);
    c.send(hello);
    const reply = await c.next();
    c.close();
    const m1 = await scrape(stack);
    const d = { domain: 'd' };
    expect(m1.value('rxpaf_received_bytes_total', d) - m0.value('rxpaf_received_bytes_total', d)).toBe(hello.length);
    expect(reply).toMatchObject({ 'msg-type': 'complete' });
    const sent = '{"ta-cmd":"hello","ta-id":0,"msg-type":"complete","protocol-version":3}';
    expect(m1.value('rxpaf_sent_bytes_total', d) - m0.value('rxpaf_sent_bytes_total', d)).toBe(sent.length);
  });

  it('counts orphans', async () => {
    const c = await connectClient(stack.addr(), 4);
    await publishService(c, 1, { a: ['1'] }, { ttl: 60 });
    await publishService(c, 2, { a: ['2'] }, { ttl: 60 });
    c.close();
    let m = await scrape(stack);
    for (let i = 0; i < 50 && m.value('rxpaf_orphans', { domain: 'd' }) < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape(stack);
    }
    expect(m.value('rxpaf_orphans', { domain: 'd' })).toBe(2);
    expect(m.value('rxpaf_services', { domain: 'd' })).toBe(2);
  });

  it('follows the Prometheus naming conventions', async () => {
    const m = await scrape(stack);
    for (const f of m.families) {
      expect(f.name).toMatch(/^rxpaf_[a-z_]+$/);
      expect(f.help.length).toBeGreaterThan(5);
      if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
      else expect(f.name).not.toMatch(/_total$/);
      if (/bytes|seconds/.test(f.name)) expect(f.name).toMatch(/_(bytes|seconds)(_total)?$/);
    }
  });
});

describe('/metrics: connections closed by reason, over real sockets', () => {
  const closed = async (stack: Stack, domain: string, reason: string): Promise<number> =>
    (await scrape(stack)).value('rxpaf_connections_closed_total', { domain, reason });
  const until = async (stack: Stack, domain: string, reason: string, n: number): Promise<void> => {
    for (let i = 0; i < 150 && (await closed(stack, domain, reason)) < n; i++)
      await new Promise((r) => setTimeout(r, 20));
  };

  it('counts an idle timeout', async () => {
    const stack = await startStack({
      domains: [{ name: 'idle', sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { idleMin: 1, idleMax: 1 } }],
    });
    try {
      expect(await closed(stack, 'idle', 'idle_timeout')).toBe(0);
      const c = await connectClient(stack.addr(), 1); // v3, untracked, silent: warned, then timed out (§8.3)
      await c.waitClosed(5000);
      await until(stack, 'idle', 'idle_timeout', 1);
      expect(await closed(stack, 'idle', 'idle_timeout')).toBe(1);
      expect(await closed(stack, 'idle', 'client_close')).toBe(0);
    } finally {
      await stack.close();
    }
  });

  it('counts a connection refused by the client limit', async () => {
    const stack = await startStack({
      domains: [{ name: 'full', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      server: { limits: { total: { clients: 0 } } },
    });
    try {
      const c = await RawClient.open(stack.addr());
      await c.waitClosed(5000);
      await until(stack, 'full', 'limit', 1);
      const m = await scrape(stack);
      expect(m.value('rxpaf_connections_closed_total', { domain: 'full', reason: 'limit' })).toBe(1);
      expect(m.value('rxpaf_connections_accepted_total', { domain: 'full' })).toBe(1);
      expect(m.value('rxpaf_clients', { domain: 'full' })).toBe(0);
    } finally {
      await stack.close();
    }
  });

  it('counts a subscriber cut for not reading as a slow reader', async () => {
    const stack = await startStack({
      domains: [{ name: 'slow', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      server: { outputLimits: { softBytes: 64 * 1024, softSeconds: 1, hardBytes: 256 * 1024 } },
    });
    const port = Number(stack.addr().split(':').pop());
    const slow = await RawTcp.open(port);
    const pub = await connectClient(stack.addr(), 2);
    try {
      slow.sendFrame(helloMsg(1));
      expect(await slow.next()).toMatchObject({ 'msg-type': 'complete' });
      slow.sendFrame(msg('subscribe', 2, 'request', { 'subscription-id': 1, filter: '(pad=*)' }));
      expect(await slow.next()).toMatchObject({ 'msg-type': 'accept' });
      slow.pause(); // stops reading: the kernel buffers fill, then the server's queue for it grows past the limits
      const pad = 'p'.repeat(2000);
      for (let id = 1; id < 20_000 && (await closed(stack, 'slow', 'slow_reader')) === 0; id += 64) {
        for (let k = id; k < id + 64; k++)
          pub.send(
            msg('publish', k, 'request', { 'service-id': k, generation: 0, 'service-props': { pad: [pad] }, ttl: 60 }),
          );
        for (let k = 0; k < 64; k++) await pub.next(10_000);
      }
      expect(await closed(stack, 'slow', 'slow_reader')).toBe(1);
      expect(await closed(stack, 'slow', 'client_close')).toBe(0); // counted once, not as an `eof` as well
    } finally {
      slow.socket.destroy();
      pub.close();
      await stack.close();
    }
  });
});

describe('Metrics', () => {
  it('counts in plain numbers and hands the sums to prom-client at each scrape, cumulatively', async () => {
    const metrics = new Metrics({ domains: ['a', 'b'], version: '0', lagSampleMs: 0, defaultMetrics: false });
    const o = metrics.observer;
    const read = async () => {
      const fs = parsePrometheusTextFormat((await metrics.scrape()).text);
      return (name: string, labels: Record<string, string>): number | undefined => {
        const m = fs
          .find((f) => f.name === name)
          ?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
        return m === undefined ? undefined : Number(m.value);
      };
    };
    const ping = { type: 'message', msg: { 'ta-cmd': 'ping', 'msg-type': 'request' } } as unknown as Event;
    const pong = { type: 'send', conn: 1, msg: { 'ta-cmd': 'ping', 'msg-type': 'complete' } } as unknown as Effect;
    const gone = { type: 'closed', conn: 1, cause: 'eof' } as unknown as Event;
    // series exported at 0 before any traffic; none for label sets never counted
    let v = await read();
    expect(v('rxpaf_connections_accepted_total', { domain: 'b' })).toBe(0);
    expect(v('rxpaf_connections_closed_total', { domain: 'a', reason: 'slow_reader' })).toBe(0);
    expect(v('rxpaf_received_bytes_total', { domain: 'a' })).toBe(0);
    expect(v('rxpaf_messages_received_total', { domain: 'a', command: 'ping' })).toBeUndefined();
    o.reduced!(0, [ping, ping, gone], [pong, pong], 0.001);
    o.reduced!(1, [ping], [], 0.001);
    o.received!(0, 40);
    o.sent!(1, 'é'); // bytes, not characters
    v = await read();
    expect(v('rxpaf_messages_received_total', { domain: 'a', command: 'ping', type: 'request' })).toBe(2);
    expect(v('rxpaf_messages_received_total', { domain: 'b', command: 'ping', type: 'request' })).toBe(1);
    expect(v('rxpaf_messages_sent_total', { domain: 'a', command: 'ping', type: 'complete' })).toBe(2);
    expect(v('rxpaf_connections_closed_total', { domain: 'a', reason: 'client_close' })).toBe(1);
    expect(v('rxpaf_received_bytes_total', { domain: 'a' })).toBe(40);
    expect(v('rxpaf_sent_bytes_total', { domain: 'b' })).toBe(2);
    // a scrape with nothing new reads the same; more counting adds to it
    expect((await read())('rxpaf_messages_received_total', { domain: 'a', command: 'ping', type: 'request' })).toBe(2);
    o.reduced!(0, [ping], [pong], 0.001);
    o.received!(0, 2);
    v = await read();
    expect(v('rxpaf_messages_received_total', { domain: 'a', command: 'ping', type: 'request' })).toBe(3);
    expect(v('rxpaf_messages_sent_total', { domain: 'a', command: 'ping', type: 'complete' })).toBe(3);
    expect(v('rxpaf_received_bytes_total', { domain: 'a' })).toBe(42);
    metrics.close();
  });

  it('adds the process and Node.js metrics by default', async () => {
    const metrics = new Metrics({ domains: ['0'], version: '1.2.3', lagSampleMs: 0 });
    const families = parsePrometheusTextFormat((await metrics.scrape()).text);
    const names = families.map((f) => f.name);
    for (const n of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(names).toContain(n);
    const value = (fs: typeof families, name: string): number =>
      Number(fs.find((f) => f.name === name)?.metrics[0]?.value);
    const cpu0 = value(families, 'process_cpu_seconds_total');
    expect(cpu0).toBeGreaterThan(0);
    expect(value(families, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    const t0 = performance.now();
    while (performance.now() - t0 < 50); // burn some CPU: the process counter moves
    const again = parsePrometheusTextFormat((await metrics.scrape()).text);
    expect(value(again, 'process_cpu_seconds_total')).toBeGreaterThan(cpu0);
    expect(families.find((f) => f.name === 'rxpaf_build_info')?.metrics[0]?.labels).toEqual({ version: '1.2.3' });
    metrics.close();
  });

  it.each([
    ['eof', 'client_close'],
    ['transport-error', 'transport_error'],
    ['shutdown', 'shutdown'],
    ['protocol error: duplicate request', 'protocol_error'],
    ['idle timeout', 'idle_timeout'],
    ['handshake timeout', 'handshake_timeout'],
    ['connection limit reached', 'limit'],
    ['slow reader', 'slow_reader'],
    ['internal error', 'other'],
  ])('classifies the close reason %j as %s', (reason, label) => expect(closeReasonOf(reason)).toBe(label));
});

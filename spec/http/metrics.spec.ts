import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

import { closeReasonOf, Metrics } from '../../lib/http/metrics';
import { helloMsg, msg, subscribe, transact } from '../helpers/daemon';
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
    pub.close();
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

describe('Metrics', () => {
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

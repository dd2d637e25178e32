#!/usr/bin/env node
'use strict';
/**
 * Soak: `npm run soak -- --minutes N [--interval S] [--clients K]` (issue 13). Runs rxpafd (dist/, built by the npm
 * script) with tight output limits and drives churn against it for N minutes:
 *  - every cycle a child process holding K tracked clients (2 services each, a `(name=*)` subscription) connects and
 *    is then killed (SIGKILL and SIGTERM alternate), so its services orphan and expire (TTL 2 s);
 *  - a publisher republishes its services with new generations (notifications for every subscriber);
 *  - a slow reader subscribes and never reads until it is cut as a slow consumer, then another one starts;
 *  - a hostile connection sends garbage (random bytes, an oversized length, bad UTF-8);
 *  - a bystander pings every 50 ms.
 * Every interval it prints the daemon's RSS and open fds (/proc), its heap (the metrics endpoint), the directory size,
 * slow-consumer cuts so far, and the bystander's ping p50/p99/max. Open fds are counted every 250 ms and each interval
 * reports their 10th percentile and maximum: the churn's connections come and go, so a single count lands anywhere
 * between the floor and a storm's peak (transient fds), while a leak raises the floor. At the end it fails (exit 1)
 * if RSS, heap or the fd floor (p10) keep growing (the last third of the samples against the middle third, beyond
 * 20 % and a small absolute margin) or if the bystander's p99 keeps growing.
 */
const { spawn } = require('node:child_process');
const { readFileSync, readdirSync } = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const { join } = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const MINUTES = opt('minutes', 3);
const INTERVAL_S = opt('interval', 10);
const CLIENTS = opt('clients', 50);
const ROOT = join(__dirname, '..', '..');
const STORM = join(__dirname, 'storm-client.cjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const frame = (obj) => {
  const body = Buffer.isBuffer(obj) ? obj : Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);

/** A framed JSON client: `request(obj)` resolves with the reply that ends the transaction. */
const client = (port, onNotify) =>
  new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const pending = new Map();
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (d) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      let at = 0;
      while (buf.length - at >= 4) {
        const n = buf.readUInt32BE(at);
        if (buf.length - at - 4 < n) break;
        const m = JSON.parse(buf.subarray(at + 4, at + 4 + n).toString());
        at += 4 + n;
        const p = pending.get(m['ta-id']);
        if (p && ['complete', 'fail', 'accept'].includes(m['msg-type'])) {
          pending.delete(m['ta-id']);
          p(m);
        } else if (onNotify) onNotify(m);
      }
      buf = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
    });
    s.on('connect', () =>
      resolve({
        socket: s,
        request: (obj) =>
          new Promise((res) => {
            pending.set(obj['ta-id'], res);
            s.write(frame(obj));
          }),
      }),
    );
  });

const metrics = (port) =>
  new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const read = (name, label = '') => {
            const m = new RegExp(`^${name}${label.replace(/[{}]/g, '\\$&')}\\s+(\\S+)`, 'm').exec(text);
            return m ? Number(m[1]) : NaN;
          };
          resolve({
            heap: read('nodejs_heap_size_used_bytes'),
            services: read('rxpaf_services', '{domain="0"}'),
            slow: read('rxpaf_connections_closed_total', '{domain="0",reason="slow_reader"}'),
          });
        });
      })
      .on('error', () => resolve({ heap: NaN, services: NaN, slow: NaN }));
  });

const main = async () => {
  const port = await freePort();
  const httpPort = await freePort();
  const daemon = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'rxpafd.js'), '-n', '-l', 'warning', '--output-limits', '2m,512k,2', '--http', String(httpPort), `tcp:127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  daemon.stderr.on('data', (d) => (stderr += d.toString()));
  for (let i = 0; i < 100; i++) {
    try {
      await (await client(port)).socket.end();
      break;
    } catch {
      await sleep(100);
    }
  }
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))[1]) * 1024;
  const fds = () => readdirSync(`/proc/${daemon.pid}/fd`).length;

  let running = true;
  const pings = [];
  const bystander = await client(port);
  await bystander.request({ 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'request', 'client-id': 1, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 });
  const pinger = (async () => {
    for (let ta = 1; running; ta++) {
      const t0 = performance.now();
      await bystander.request({ 'ta-cmd': 'ping', 'ta-id': ta, 'msg-type': 'request' });
      pings.push(performance.now() - t0);
      await sleep(50);
    }
  })();
  const publisher = await client(port);
  await publisher.request({ 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'request', 'client-id': 2, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 });
  const publishing = (async () => {
    const pad = 'p'.repeat(500);
    for (let gen = 0, ta = 1; running; gen++) {
      for (let i = 0; i < 50; i++, ta++)
        await publisher.request({ 'ta-cmd': 'publish', 'ta-id': ta, 'msg-type': 'request', 'service-id': 7000 + i, generation: gen, 'service-props': { name: ['pub'], pad: [pad], gen: [gen] }, ttl: 30 });
      await sleep(20);
    }
  })();
  const slowReaders = (async () => {
    for (let n = 0; running; n++) {
      const before = (await metrics(httpPort)).slow;
      const s = net.connect({ port, host: '127.0.0.1' });
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.write(frame({ 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'request', 'client-id': 3000 + n, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 }));
      s.write(frame({ 'ta-cmd': 'subscribe', 'ta-id': 1, 'msg-type': 'request', 'subscription-id': 1 }));
      s.pause(); // never read: the server must cut it as a slow consumer
      for (let i = 0; i < 60 && running; i++) {
        await sleep(250);
        if ((await metrics(httpPort)).slow > before) break;
      }
      s.destroy();
    }
  })();
  const churn = (async () => {
    for (let round = 0; running; round++) {
      const child = spawn(process.execPath, [STORM, String(port), String(CLIENTS), String(100000 + round * 1000), '2', '(name=*)', '2'], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((r) => {
        child.stdout.on('data', r);
        child.once('exit', r);
      });
      await sleep(500);
      child.kill(round % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
      // a hostile connection
      const h = net.connect({ port, host: '127.0.0.1' });
      h.on('error', () => undefined);
      h.once('connect', () => {
        const kind = round % 3;
        const head = Buffer.alloc(4);
        head.writeUInt32BE(kind === 0 ? 10_000_000 : 5);
        h.end(kind === 2 ? frame(Buffer.from([0xc3, 0x28, 0x41, 0x42, 0x43])) : kind === 1 ? Buffer.from([0, 0, 0, 5, 1, 2, 3]) : head);
      });
      await sleep(500);
    }
  })();

  const samples = [];
  const t0 = Date.now();
  const end = t0 + MINUTES * 60_000;
  // open fds every 250 ms (a window's 10th percentile is its floor)
  const fdCounts = [];
  const fdSampler = setInterval(() => {
    try {
      fdCounts.push(fds());
    } catch {
      // the daemon is gone (the run ends)
    }
  }, 250);
  console.log('   t(s)   RSS(MB)  heap(MB)  fds p10/max  services  slow-cuts  ping p50(ms)  p99(ms)  max(ms)');
  while (Date.now() < end) {
    await sleep(INTERVAL_S * 1000);
    const m = await metrics(httpPort);
    const window = pings.splice(0);
    const fdWindow = fdCounts.splice(0);
    fdWindow.push(fds());
    const s = { t: (Date.now() - t0) / 1000, rss: rss(), heap: m.heap, fds: quantile(fdWindow, 0.1), fdsMax: Math.max(...fdWindow), services: m.services, slow: m.slow, p50: median(window), p99: quantile(window, 0.99), max: Math.max(...window) };
    samples.push(s);
    console.log(
      `${s.t.toFixed(0).padStart(7)} ${(s.rss / 2 ** 20).toFixed(1).padStart(9)} ${(s.heap / 2 ** 20).toFixed(1).padStart(9)} ${`${s.fds}/${s.fdsMax}`.padStart(12)} ${String(s.services).padStart(9)} ${String(s.slow).padStart(10)} ${s.p50.toFixed(2).padStart(13)} ${s.p99.toFixed(2).padStart(8)} ${s.max.toFixed(2).padStart(8)}`,
    );
  }
  running = false;
  clearInterval(fdSampler);
  await Promise.race([Promise.all([pinger, publishing, slowReaders, churn]), sleep(5000)]);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));

  // growth check: the last third against the middle third
  const third = Math.floor(samples.length / 3);
  const verdicts = [];
  if (third >= 1) {
    const mid = samples.slice(third, 2 * third);
    const last = samples.slice(samples.length - third);
    const check = (name, f, rel, abs) => {
      const a = median(mid.map(f));
      const b = median(last.map(f));
      const grows = b > a * (1 + rel) + abs;
      verdicts.push(`${name}: ${a.toFixed(1)} -> ${b.toFixed(1)}${grows ? '  GROWING' : ''}`);
      return grows;
    };
    const bad = [
      check('RSS MB', (s) => s.rss / 2 ** 20, 0.2, 8),
      check('heap MB', (s) => s.heap / 2 ** 20, 0.2, 4),
      check('fds p10', (s) => s.fds, 0.2, 10),
      check('ping p99 ms', (s) => s.p99, 1.0, 10),
    ].some(Boolean);
    console.log(`middle third -> last third (medians): ${verdicts.join('; ')}`);
    const cuts = samples[samples.length - 1].slow;
    console.log(`slow consumers cut: ${cuts}; daemon warnings/errors logged: ${stderr.split('\n').filter((l) => / (WARNING|ERROR|CRITICAL) /.test(l)).length}`);
    if (/ CRITICAL /.test(stderr)) {
      console.log('FAIL: the daemon logged CRITICAL');
      process.exit(1);
    }
    if (bad) {
      console.log('FAIL: something keeps growing');
      process.exit(1);
    }
    console.log('PASS: nothing keeps growing');
  } else console.log('too few samples for a growth check (run longer or use a shorter --interval)');
  process.exit(0);
};

main().catch((e) => {
  console.error(e);
  process.exit(2);
});

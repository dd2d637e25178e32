/**
 * Load generator of `npm run bench`, run as its own process: `node dist/bench/loadgen.js <scenario> <address> <pid>
 * [scale] [--warm] [--cold-loadgen]` (`--warm`: {@link warmUp} first; the load generator warms itself first unless
 * `--cold-loadgen`, bench/self-warm.ts). It speaks XCM tcp framing over raw sockets (bench/wire.ts), so it is the same for rxpafd and tpafd, and
 * prints one JSON line of figures. `pid` is the server's process id (its VmRSS is read from /proc); `scale` (default 1)
 * multiplies the sizes, for the CI smoke.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pingsDuring } from './pings';
import { selfWarm } from './self-warm';
import { RawPeer, cpuOf, encodeBatch, nowMs, parseAddr, pingJson, rssOf, type Addr } from './wire';

/** Requests in flight on one connection. */
const WINDOW = 1024;
/** A TTL long enough that no orphan expires during a scenario. */
const TTL = 3600;

const publishJson = (taId: number, id: number, name: number, gen = 0, ttl = TTL): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":${gen},"service-props":{"name":["service-${name}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":${ttl}}`;
const unpublishJson = (taId: number, id: number): string =>
  `{"ta-cmd":"unpublish","ta-id":${taId},"msg-type":"request","service-id":${id}}`;
const subscribeJson = (taId: number, subId: number, filter?: string): string =>
  `{"ta-cmd":"subscribe","ta-id":${taId},"msg-type":"request","subscription-id":${subId}${filter === undefined ? '' : `,"filter":"${filter}"`}}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const scaled = (n: number, scale: number, min = 1): number => Math.max(min, Math.round(n * scale));
type Ctx = { addr: Addr; addrText: string; pid: number; scale: number };

/** The start of a measured phase: wall time and the server's CPU time. */
type Mark = { readonly t: number; readonly cpu: number; readonly pid: number };
const mark = (ctx: Ctx): Mark => ({ t: nowMs(), cpu: cpuOf(ctx.pid), pid: ctx.pid });
/**
 * `n` operations since `m`: per second (wall), and the server's CPU µs per operation (user + system, 10 ms ticks),
 * which a busy shared machine disturbs much less than the rate.
 */
const measure = (n: number, m: Mark): [perSecond: number, cpuUs: number] => [
  n / ((nowMs() - m.t) / 1000),
  ((cpuOf(m.pid) - m.cpu) * 1e6) / n,
];

/** Resolves once `peer` has received `n` notifications in total. */
const notificationsReach = (peer: RawPeer, n: number): Promise<void> =>
  new Promise((resolve) => {
    if (peer.notifications >= n) return resolve();
    peer.onNotify = () => {
      if (peer.notifications >= n) {
        peer.onNotify = undefined;
        resolve();
      }
    };
  });

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** A bystander pinging back to back in a worker thread (bench/bystander.ts). */
const startBystander = async (
  addr: string,
  clientId: number,
): Promise<{ stop: () => Promise<{ starts: number[]; ends: number[] }> }> => {
  const w = new Worker(join(__dirname, 'bystander.js'), { workerData: { addr, clientId } });
  await new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  });
  return {
    stop: () =>
      new Promise((resolve, reject) => {
        w.once('message', (m: { starts: number[]; ends: number[] }) => {
          void w.terminate();
          resolve(m);
        });
        w.once('error', reject);
        w.postMessage('stop');
      }),
  };
};

type Figures = Record<string, number>;

/** How long the memory figure of `disconnect-100k` leaves the server quiet before and after the burst (s). */
const SETTLE_S = 20;

/**
 * The owner of `count` services disconnects: the time until a match-all subscriber has seen every service's orphan
 * `modified` ("all orphaned in"), the server's CPU per service over that time, a bystander's ping latency meanwhile,
 * and the server's RSS growth per service: 0.5 s after the last publish's reply (`bytesPerService05`) and, with
 * `settleS`, after the server was left quiet that long (`bytesPerService`; without it the 0.5 s figure), since a
 * garbage-collected server gives back what a burst took only once quiet (bench/README.md, "Memory per service").
 */
const disconnect = async (ctx: Ctx, count: number, settleS = 0): Promise<Figures> => {
  const idleRss = rssOf(ctx.pid);
  const owner = await RawPeer.hello(ctx.addr, 1);
  // the settled figure's baseline is settled too: a daemon quiet after its start gives back pages of its own
  // (rxpafd's memory settle, lib/cli/memory-settle.ts), which would otherwise count against the burst
  await sleep(settleS > 0 ? settleS * 1000 : 200);
  const rss0 = rssOf(ctx.pid);
  await owner.pipeline(count, WINDOW, (i) => publishJson(1000 + i, i + 1, i));
  await sleep(500);
  const rss05 = rssOf(ctx.pid);
  if (settleS > 0) await sleep(settleS * 1000 - 500);
  const rss1 = rssOf(ctx.pid);
  const watcher = await RawPeer.hello(ctx.addr, 2);
  const synced = notificationsReach(watcher, count);
  await watcher.pipeline(1, 1, () => subscribeJson(1, 1));
  await synced;
  const bystander = await startBystander(ctx.addrText, 3);
  await sleep(300);
  const orphaned = notificationsReach(watcher, 2 * count);
  const cpu0 = cpuOf(ctx.pid);
  const t0 = nowMs();
  owner.close();
  await orphaned;
  const t1 = nowMs();
  // the server's CPU over the orphaning (the bystander's pings meanwhile included: a few µs each)
  const orphanCpuUs = ((cpuOf(ctx.pid) - cpu0) * 1e6) / count;
  await sleep(50);
  const { starts, ends } = await bystander.stop();
  const { rtts: during, inFlight } = pingsDuring(starts, ends, t0, t1);
  const idle = starts.flatMap((s, i) => (ends[i]! < t0 ? [ends[i]! - s] : [])).sort((a, b) => a - b);
  watcher.close();
  return {
    orphanedS: (t1 - t0) / 1000,
    orphanCpuUs,
    pingP50Ms: quantile(during, 0.5),
    pingP99Ms: quantile(during, 0.99),
    pingMaxMs: during[during.length - 1] ?? NaN,
    pingsDuring: inFlight,
    idlePingP50Ms: quantile(idle, 0.5),
    idleRssB: idleRss,
    bytesPerService: (rss1 - rss0) / count,
    bytesPerService05: (rss05 - rss0) / count,
  };
};

/** Ids the warm-up uses: none of a scenario's (clients 1-3, 100-199, 10,000-11,999; services below 2,000,000). */
const WARM_CLIENT = 900_000;
const WARM_SERVICE = 900_000_000;

/**
 * `--warm`: every path the scenarios measure, run once against the server before the measured scenario, so that the
 * figure is the server's steady state rather than a fresh process's first burst (for rxpafd: V8 compiling its hot
 * paths, bench/README.md "Warm and fresh"). The same for both servers. Pings; 20 match-all subscribers and 2,000
 * distinct filters told of publishes, modifies and unpublishes; an owner of 2,000 services (TTL 1 s) disconnects
 * and its orphans expire; 1,000 clients connect, say hello and close. It ends with nothing left on the server (no
 * service, no connection) and without a quiet second (which would turn rxpafd's memory settle lean).
 */
const warmUp = async (ctx: Ctx): Promise<void> => {
  const n = 2 * scaled(1_000, ctx.scale, 5);
  const half = n / 2;
  let ta = 1;
  const pinger = await RawPeer.hello(ctx.addr, WARM_CLIENT);
  await pinger.pipeline(scaled(20_000, ctx.scale, 10), WINDOW, (i) => pingJson(i + 1));
  const subs: RawPeer[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await RawPeer.hello(ctx.addr, WARM_CLIENT + 100 + i);
    await s.pipeline(1, 1, () => subscribeJson(1, WARM_SERVICE + i));
    subs.push(s);
  }
  const filters = await RawPeer.hello(ctx.addr, WARM_CLIENT + 1);
  await filters.pipeline(n, WINDOW, (i) => subscribeJson(i + 1, WARM_SERVICE + 100 + i, `(name=service-${i})`));
  const owner = await RawPeer.hello(ctx.addr, WARM_CLIENT + 2);
  // appeared, then modified (a new generation), then half of them disappeared
  let told = notificationsReach(subs[0]!, 2 * n + half);
  await owner.pipeline(n, WINDOW, (i) => publishJson(ta++, WARM_SERVICE + i, i));
  await owner.pipeline(n, WINDOW, (i) => publishJson(ta++, WARM_SERVICE + i, i, 1, 1));
  await owner.pipeline(half, WINDOW, (i) => unpublishJson(ta++, WARM_SERVICE + i));
  await told;
  // the rest orphaned (a modify each), then expired (a disappeared each) a second later: meanwhile, connects
  told = notificationsReach(subs[0]!, 2 * n + half + n);
  owner.close();
  const peers: RawPeer[] = [];
  for (let i = 0; i < scaled(1_000, ctx.scale, 10); i++)
    peers.push(await RawPeer.hello(ctx.addr, WARM_CLIENT + 1_000 + i));
  peers.forEach((p) => p.close());
  await pinger.pipeline(scaled(20_000, ctx.scale, 10), WINDOW, (i) => pingJson(i + 1));
  while (subs[0]!.notifications < 2 * n + half + n) await pinger.pipeline(1_000, WINDOW, (i) => pingJson(i + 1));
  await told;
  [pinger, filters, ...subs].forEach((p) => p.close());
};

const scenarios: Record<string, (ctx: Ctx) => Promise<Figures>> = {
  /** One client, 1,024 in flight: publish 20,000 new services, then unpublish them. */
  async 'publish-unpublish'(ctx) {
    const n = scaled(20_000, ctx.scale);
    const p = await RawPeer.hello(ctx.addr, 1);
    const publishes = encodeBatch(n, (i) => publishJson(1000 + i, i + 1, i));
    const unpublishes = encodeBatch(n, (i) => unpublishJson(1000 + n + i, i + 1));
    let t0 = mark(ctx);
    await p.send(publishes, WINDOW);
    const [publish, publishCpuUs] = measure(n, t0);
    t0 = mark(ctx);
    await p.send(unpublishes, WINDOW);
    const [unpublish, unpublishCpuUs] = measure(n, t0);
    p.close();
    return { publish, publishCpuUs, unpublish, unpublishCpuUs };
  },

  /** One client, 1,024 pings in flight. */
  async ping(ctx) {
    const n = scaled(200_000, ctx.scale);
    const p = await RawPeer.hello(ctx.addr, 1);
    await p.pipeline(scaled(10_000, ctx.scale), WINDOW, (i) => pingJson(i + 1)); // warm-up
    const pings = encodeBatch(n, (i) => pingJson(i + 1));
    const t0 = mark(ctx);
    await p.send(pings, WINDOW);
    const [ping, pingCpuUs] = measure(n, t0);
    p.close();
    return { ping, pingCpuUs };
  },

  /** 100 match-all subscribers, one publisher of 2,000 services: notifications delivered per second. */
  async notifications(ctx) {
    const subs: RawPeer[] = [];
    for (let i = 0; i < 100; i++) {
      const s = await RawPeer.hello(ctx.addr, 100 + i);
      await s.pipeline(1, 1, () => subscribeJson(1, 100 + i));
      subs.push(s);
    }
    const n = scaled(2_000, ctx.scale);
    const pub = await RawPeer.hello(ctx.addr, 1);
    const all = Promise.all(subs.map((s) => notificationsReach(s, n)));
    const publishes = encodeBatch(n, (i) => publishJson(1000 + i, i + 1, i));
    const t0 = mark(ctx);
    await pub.send(publishes, WINDOW);
    await all;
    const [notifications, notificationsCpuUs] = measure(n * subs.length, t0);
    pub.close();
    subs.forEach((s) => s.close());
    return { notifications, notificationsCpuUs };
  },

  /**
   * A directory of 10,000 services; one client subscribes 10,000 distinct filters `(name=service-<i>)`, each matching
   * one service (subscribe/s: until every accept and initial `appeared` has arrived); then another client publishes
   * 20,000 new services, half of them matching a subscription (publish/s with 10k subscriptions).
   */
  async subscriptions(ctx) {
    const k = scaled(10_000, ctx.scale);
    const owner = await RawPeer.hello(ctx.addr, 1);
    await owner.pipeline(k, WINDOW, (i) => publishJson(1000 + i, i + 1, i));
    const sub = await RawPeer.hello(ctx.addr, 2);
    const subscribes = encodeBatch(k, (i) => subscribeJson(1000 + i, i + 1, `(name=service-${i})`));
    let t0 = mark(ctx);
    const initial = notificationsReach(sub, k);
    await sub.send(subscribes, WINDOW);
    await initial;
    const [subscribe, subscribeCpuUs] = measure(k, t0);
    const n = 2 * k;
    const pub = await RawPeer.hello(ctx.addr, 3);
    const publishes = encodeBatch(n, (i) => publishJson(1000 + i, 1_000_000 + i, i));
    t0 = mark(ctx);
    await pub.send(publishes, WINDOW);
    const [publishWithSubscriptions, publishWithSubscriptionsCpuUs] = measure(n, t0);
    [owner, sub, pub].forEach((p) => p.close());
    return { subscribe, subscribeCpuUs, publishWithSubscriptions, publishWithSubscriptionsCpuUs };
  },

  /** One client subscribes 10,000 distinct filters `(name=service-<i>)` on an empty server, 1,024 in flight. */
  async 'subscribe-empty'(ctx) {
    const k = scaled(10_000, ctx.scale);
    const sub = await RawPeer.hello(ctx.addr, 2);
    const subscribes = encodeBatch(k, (i) => subscribeJson(1000 + i, i + 1, `(name=service-${i})`));
    const t0 = mark(ctx);
    await sub.send(subscribes, WINDOW);
    const [subscribe, subscribeCpuUs] = measure(k, t0);
    sub.close();
    return { subscribe, subscribeCpuUs };
  },

  /**
   * One client publishes 100,000 services, then unpublishes them out of publication order (every 63rd first, 1,024
   * in flight, as a client with many requests in flight may): unpublish/s, the server's CPU per unpublish, and a
   * bystander's ping meanwhile (the directory's list of positions is half holes 50,000 unpublishes in: its compaction
   * must not hold the server, lib/state/compaction.ts).
   */
  async 'unpublish-out-of-order'(ctx) {
    const n = scaled(100_000, ctx.scale);
    const p = await RawPeer.hello(ctx.addr, 1);
    await p.pipeline(n, WINDOW, (i) => publishJson(1000 + i, i + 1, i));
    const order: number[] = [];
    for (let k = 0; k < 63; k++) for (let i = k; i < n; i += 63) order.push(i);
    const unpublishes = encodeBatch(n, (j) => unpublishJson(1000 + n + j, order[j]! + 1));
    const bystander = await startBystander(ctx.addrText, 3);
    await sleep(300);
    const cpu0 = cpuOf(ctx.pid);
    const t0 = nowMs();
    await p.send(unpublishes, WINDOW);
    const t1 = nowMs();
    const outOfOrderUnpublishCpuUs = ((cpuOf(ctx.pid) - cpu0) * 1e6) / n;
    const { starts, ends } = await bystander.stop();
    const { rtts: during } = pingsDuring(starts, ends, t0, t1);
    p.close();
    return {
      outOfOrderUnpublish: n / ((t1 - t0) / 1000),
      outOfOrderUnpublishCpuUs,
      outOfOrderPingP50Ms: quantile(during, 0.5),
      outOfOrderPingP99Ms: quantile(during, 0.99),
      outOfOrderPingMaxMs: during[during.length - 1] ?? NaN,
    };
  },

  async 'disconnect-5k'(ctx) {
    return disconnect(ctx, scaled(5_000, ctx.scale));
  },

  async 'disconnect-100k'(ctx) {
    // at the smoke's size a few seconds of quiet are enough for the figure to be measured (not meaningful)
    return disconnect(ctx, scaled(100_000, ctx.scale), ctx.scale < 1 ? Math.max(3, SETTLE_S * ctx.scale) : SETTLE_S);
  },

  /**
   * 2,000 clients connect and complete hello, at most 128 handshakes in flight; all stay connected. Then the memory
   * they hold: the server's RSS growth / N from before the first connect to 0.5 s after the last hello
   * (`bytesPerConnection05`) and after SETTLE_S quiet seconds (`bytesPerConnection`), as for services.
   */
  async 'connect-hello'(ctx) {
    const n = scaled(2_000, ctx.scale, 10);
    const inFlight = 128;
    const peers: RawPeer[] = [];
    const rss0 = rssOf(ctx.pid);
    const t0 = mark(ctx);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const id = 10_000 + next++;
        peers.push(await RawPeer.hello(ctx.addr, id));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const [connectHello, connectHelloCpuUs] = measure(n, t0);
    await sleep(500);
    const rss05 = rssOf(ctx.pid);
    await sleep((ctx.scale < 1 ? 1 : SETTLE_S) * 1000 - 500);
    const rss1 = rssOf(ctx.pid);
    peers.forEach((p) => p.close());
    return {
      connectHello,
      connectHelloCpuUs,
      bytesPerConnection05: (rss05 - rss0) / n,
      bytesPerConnection: (rss1 - rss0) / n,
    };
  },
};

const args = process.argv.slice(2);
const warm = args.includes('--warm');
/** `--cold-loadgen`: skip the load generator's own warm-up (bench/self-warm.ts), to measure what it changes. */
const coldLoadgen = args.includes('--cold-loadgen');
const [scenario, addrText, pidText, scaleText] = args.filter((a) => a !== '--warm' && a !== '--cold-loadgen');
const fn = scenario === undefined ? undefined : scenarios[scenario];
if (fn === undefined || addrText === undefined || pidText === undefined) {
  process.stderr.write(
    `usage: loadgen <${Object.keys(scenarios).join('|')}> <tcp:host:port> <server pid> [scale] [--warm] [--cold-loadgen]\n`,
  );
  process.exit(2);
}
const ctx: Ctx = { addr: parseAddr(addrText), addrText, pid: Number(pidText), scale: Number(scaleText ?? 1) };
const selfWarmed = coldLoadgen
  ? Promise.resolve()
  : selfWarm(scaled(2_000, ctx.scale, 10), scaled(20_000, ctx.scale, 10));
selfWarmed
  .then(() => (warm ? warmUp(ctx) : undefined))
  .then(() => fn(ctx))
  .then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`loadgen ${scenario}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );

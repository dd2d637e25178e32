/**
 * Load generator for `npm run bench`, run as its own process: `node dist/bench/loadgen.js <scenario> <address>`.
 * Drives an rxpafd over tcp with pre-encoded requests and prints one JSON result line.
 */
import { connect } from '../lib/transport/connect';
import type { Connection } from '../lib/transport/transport';

type Msg = { 'ta-id': number; 'msg-type': string; [k: string]: unknown };

/** A pipelining client: send requests, await the first non-notify response by ta-id, count notifications. */
class Peer {
  private waiting = new Map<number, (m: Msg) => void>();
  notifications = 0;
  onNotify: ((m: Msg) => void) | undefined;
  private constructor(readonly conn: Connection) {
    conn.messages$.subscribe((b) => {
      const m = JSON.parse(Buffer.from(b).toString()) as Msg;
      if (m['msg-type'] === 'notify') {
        this.notifications++;
        this.onNotify?.(m);
        return;
      }
      const w = this.waiting.get(m['ta-id']);
      if (w !== undefined) {
        this.waiting.delete(m['ta-id']);
        w(m);
      }
    });
  }
  static async open(addr: string, clientId: number): Promise<Peer> {
    const p = new Peer(await connect(addr));
    await p.request(
      `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${clientId},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
      0,
    );
    return p;
  }
  request(json: string, taId: number, flush = true): Promise<Msg> {
    return new Promise((res) => {
      this.waiting.set(taId, res);
      this.conn.send(json);
      if (flush) this.conn.flush();
    });
  }
  /** Send `n` requests with at most `window` in flight. */
  async pipeline(
    n: number,
    window: number,
    make: (i: number) => string,
    taBase: number,
    expect: 'complete' | 'accept' = 'complete',
  ): Promise<void> {
    let next = 0;
    let done = 0;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (next < n && next - done < window) {
          const i = next++;
          void this.request(make(i), taBase + i, false).then((m) => {
            if (m['msg-type'] !== expect) throw new Error(`request failed: ${JSON.stringify(m)}`);
            done++;
            if (done === n) resolve();
            else if (next - done <= window / 2) pump();
          });
        }
        this.conn.flush();
      };
      pump();
    });
  }
  close(): void {
    this.conn.close();
  }
}

const publishJson = (taId: number, id: number, gen = 0): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":${gen},"service-props":{"name":["service-${id}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":30}`;
const unpublishJson = (taId: number, id: number): string =>
  `{"ta-cmd":"unpublish","ta-id":${taId},"msg-type":"request","service-id":${id}}`;
const secs = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;

const scenarios: Record<string, (addr: string) => Promise<Record<string, number>>> = {
  /** One client, 1,024 requests in flight: publish N new services, then unpublish them. */
  async 'publish-unpublish'(addr) {
    const n = 50_000;
    const p = await Peer.open(addr, 1);
    let t = process.hrtime.bigint();
    await p.pipeline(n, 1024, (i) => publishJson(1000 + i, i + 1), 1000);
    const publish = n / secs(t);
    t = process.hrtime.bigint();
    await p.pipeline(n, 1024, (i) => unpublishJson(100_000 + i, i + 1), 100_000);
    const unpublish = n / secs(t);
    p.close();
    return { publish, unpublish };
  },
  /** 100 match-all subscribers, one publisher: notifications delivered per second. */
  async notifications(addr) {
    const subs: Peer[] = [];
    for (let i = 0; i < 100; i++) {
      const s = await Peer.open(addr, 100 + i);
      await s.request(`{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":${100 + i}}`, 1);
      subs.push(s);
    }
    const n = 5_000;
    const pub = await Peer.open(addr, 1);
    const all = new Promise<void>((resolve) => {
      let remaining = subs.length;
      for (const s of subs)
        s.onNotify = () => {
          if (s.notifications === n && --remaining === 0) resolve();
        };
    });
    const t = process.hrtime.bigint();
    await pub.pipeline(n, 1024, (i) => publishJson(1000 + i, i + 1), 1000);
    await all;
    const notifications = (n * subs.length) / secs(t);
    pub.close();
    subs.forEach((s) => s.close());
    return { notifications };
  },
  /** 10,000 subscriptions with distinct filters, then publishes from one client. */
  async 'publish-10k-subscriptions'(addr) {
    const p = await Peer.open(addr, 1);
    const subs = 10_000;
    await p.pipeline(
      subs,
      1024,
      (i) =>
        `{"ta-cmd":"subscribe","ta-id":${1_000_000 + i},"msg-type":"request","subscription-id":${i},"filter":"(name=service-${i})"}`,
      1_000_000,
      'accept',
    );
    const n = 30_000;
    const t = process.hrtime.bigint();
    await p.pipeline(n, 1024, (i) => publishJson(1000 + i, i + 1), 1000);
    const publish = n / secs(t);
    p.close();
    return { publish };
  },
  /** A bystander pings back-to-back while a client owning 5,000 services disconnects: worst latency. */
  async 'disconnect-latency'(addr) {
    const owner = await Peer.open(addr, 1);
    await owner.pipeline(5000, 1024, (i) => publishJson(1000 + i, i + 1), 1000);
    const watcher = await Peer.open(addr, 2);
    await watcher.request('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1}', 1);
    const bystander = await Peer.open(addr, 3);
    const lat: number[] = [];
    let running = true;
    const pinger = (async () => {
      let ta = 10;
      while (running) {
        const t = process.hrtime.bigint();
        await bystander.request(`{"ta-cmd":"ping","ta-id":${ta},"msg-type":"request"}`, ta);
        ta++;
        lat.push(secs(t) * 1000);
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const before = lat.length;
    owner.close();
    await new Promise((r) => setTimeout(r, 800));
    running = false;
    await pinger;
    const during = lat.slice(before);
    const sorted = [...lat.slice(0, before)].sort((a, b) => a - b);
    bystander.close();
    watcher.close();
    return {
      worstPingMs: Math.max(...during),
      medianIdlePingMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
      orphanNotifications: watcher.notifications,
    };
  },
};

const [scenario, addr] = process.argv.slice(2);
const fn = scenario === undefined ? undefined : scenarios[scenario];
if (fn === undefined || addr === undefined) {
  process.stderr.write(`usage: loadgen <${Object.keys(scenarios).join('|')}> <address>\n`);
  process.exit(2);
}
fn(addr).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`loadgen: ${String(e)}\n`);
    process.exit(1);
  },
);

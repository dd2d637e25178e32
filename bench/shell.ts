/**
 * `npm run build && node dist/bench/shell.js [rounds] [only]`: the whole per-message path of one domain in-process,
 * shell included (tcp framing, connection events, batching per turn, reduce, interpret, encode, output buffer, flush),
 * with fake sockets instead of the kernel's: each turn one socket read of 256 frames arrives, like a read of the load
 * generator's window. Prints process CPU ns per operation (median of the rounds, and their minimum) for the hot rows of `npm run bench`:
 * publish, unpublish, ping, subscribe (10,000 distinct filters against 10,000 services, one match each), publish with
 * those 10,000 subscriptions (`publish-subs`), and notification (100 subscribers, one publisher). Against `node
 * dist/bench/hotpath.js` (decode / reduce / encode alone) the difference is the shell's cost; being in one process
 * without sockets, it moves much less with the machine's load than the server benchmark. `only` (`publish`,
 * `unpublish`, `ping`, `subscribe`, `publish-subs` or `notification`) feeds only that, for profiling (`unpublish`
 * needs the publishes: it runs and prints both; `publish-subs` runs and prints `subscribe` too).
 * `orphan` (also in the full run): the owner of 5,000 services closes while a match-all subscriber watches, as the
 * `disconnect-5k` scenario: CPU ns per orphaned service from the close until no work is left, with the wall time
 * (`orphan-ms`, in-process: the kernel's part of the writes not included) and the subscriber's socket writes
 * (`orphan-writes`).
 */
import type { Socket } from 'node:net';

import { wallClock } from '../lib/server/clock';
import { hasWork } from '../lib/state/work';
import { DomainRuntime } from '../lib/server/domain-runtime';
import { encodeFrame } from '../lib/transport/framing';
import { StreamConnection } from '../lib/transport/stream-connection';
import type { Connection, Listener } from '../lib/transport/transport';
import { Subject } from 'rxjs';
import { FakeSocket } from './fake-socket';

const READ = 256;
const N = 20_000;
const SUBSCRIBERS = 100;
const NOTIFY_PUBLISHES = 2_000;
const SUBSCRIPTIONS = 10_000;

const publishJson = (taId: number, id: number, name = id): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":0,"service-props":{"name":["service-${name}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":3600}`;
const unpublishJson = (taId: number, id: number): string =>
  `{"ta-cmd":"unpublish","ta-id":${taId},"msg-type":"request","service-id":${id}}`;
const pingJson = (taId: number): string => `{"ta-cmd":"ping","ta-id":${taId},"msg-type":"request"}`;
const helloJson = (client: number): string =>
  `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${client},"protocol-minimum-version":2,"protocol-maximum-version":2}`;
const subscribeJson = (taId: number): string =>
  `{"ta-cmd":"subscribe","ta-id":${taId},"msg-type":"request","subscription-id":${taId}}`;
const filteredSubscribeJson = (taId: number, name: number): string =>
  `{"ta-cmd":"subscribe","ta-id":${taId},"msg-type":"request","subscription-id":${taId},"filter":"(name=service-${name})"}`;

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const frames = (jsons: string[]): Buffer[] => {
  const reads: Buffer[] = [];
  for (let i = 0; i < jsons.length; i += READ)
    reads.push(Buffer.concat(jsons.slice(i, i + READ).map((j) => encodeFrame(Buffer.from(j)))));
  return reads;
};

/** One domain with fake connections. */
const domain = (): { runtime: DomainRuntime; open: (n: number) => Promise<FakeSocket[]> } => {
  const connections$ = new Subject<Connection>();
  const listener: Listener = { address: 'tcp:127.0.0.1:4711', connections$, close: () => Promise.resolve() };
  const runtime = new DomainRuntime({ name: undefined, index: 0, clock: wallClock(), seed: 1 });
  runtime.start([listener]);
  let port = 10_000;
  const open = async (n: number): Promise<FakeSocket[]> => {
    const sockets: FakeSocket[] = [];
    for (let i = 0; i < n; i++) {
      const s = new FakeSocket(port++, true);
      connections$.next(new StreamConnection(s as unknown as Socket, true));
      s.emit('data', encodeFrame(Buffer.from(helloJson(s.remotePort))));
      sockets.push(s);
    }
    await turn();
    await turn();
    return sockets;
  };
  return { runtime, open };
};

/** Feed one read per turn; CPU ns per operation (`ops` operations in all). */
const feed = async (socket: FakeSocket, reads: Buffer[], ops: number): Promise<number> => {
  const t = cpuNs();
  for (const r of reads) {
    socket.emit('data', r);
    await turn();
  }
  await turn();
  return (cpuNs() - t) / ops;
};

const ORPHANS = 5_000;

/** The `disconnect-5k` scenario's orphaning, in-process (see the header). */
const orphanRow = async (r: Record<string, number>): Promise<void> => {
  const d = domain();
  const [owner, watcher] = await d.open(2);
  await feed(owner!, frames(Array.from({ length: ORPHANS }, (_, i) => publishJson(i + 1, i + 1, i))), ORPHANS);
  watcher!.emit('data', encodeFrame(Buffer.from(subscribeJson(1))));
  // the initial matches (sliced) all sent before the close
  const listed = watcher!.written + ORPHANS * 100;
  for (let i = 0; i < 10_000 && (watcher!.written < listed || hasWork(d.runtime.state$.value)); i++) await turn();
  await turn();
  const [w0, n0] = [watcher!.written, watcher!.writes];
  const t0 = cpuNs();
  const wall0 = performance.now();
  owner!.emit('close');
  await turn();
  for (let i = 0; i < 10_000 && hasWork(d.runtime.state$.value); i++) await turn();
  r.orphan = (cpuNs() - t0) / ORPHANS;
  r['orphan-ms'] = performance.now() - wall0;
  r['orphan-writes'] = watcher!.writes - n0;
  if (watcher!.written - w0 < ORPHANS * 100)
    throw new Error(`orphan notifications missing: ${watcher!.written - w0} B`);
  d.runtime.stop();
};

const round = async (only: string | undefined): Promise<Record<string, number>> => {
  const r: Record<string, number> = {};
  const d1 = domain();
  const [c] = await d1.open(1);
  if (only === undefined || only === 'publish' || only === 'unpublish') {
    r.publish = await feed(c!, frames(Array.from({ length: N }, (_, i) => publishJson(i + 1, i + 1))), N);
    if (only !== 'publish')
      r.unpublish = await feed(c!, frames(Array.from({ length: N }, (_, i) => unpublishJson(N + i + 1, i + 1))), N);
  }
  if (only === undefined || only === 'ping')
    r.ping = await feed(c!, frames(Array.from({ length: N }, (_, i) => pingJson(2 * N + i + 1))), N);
  d1.runtime.stop();
  if (only === undefined || only === 'subscribe' || only === 'publish-subs') {
    // the subscriptions scenario of `npm run bench`: 10,000 services, 10,000 distinct filters matching one each,
    // then 20,000 publishes of which half match one subscription
    const d3 = domain();
    const [owner, sub, pub] = await d3.open(3);
    const k = SUBSCRIPTIONS;
    await feed(owner!, frames(Array.from({ length: k }, (_, i) => publishJson(i + 1, i + 1, i))), k);
    const before = sub!.written;
    r.subscribe = await feed(sub!, frames(Array.from({ length: k }, (_, i) => filteredSubscribeJson(i + 1, i))), k);
    if (sub!.written - before < k * 150) throw new Error(`initial matches missing: ${sub!.written - before} bytes`);
    if (only !== 'subscribe')
      r['publish-subs'] = await feed(
        pub!,
        frames(Array.from({ length: 2 * k }, (_, i) => publishJson(i + 1, 1_000_000 + i, i))),
        2 * k,
      );
    d3.runtime.stop();
  }
  if (only === undefined || only === 'orphan') await orphanRow(r);
  if (only !== undefined && only !== 'notification') return r;
  const d2 = domain();
  const subs = await d2.open(SUBSCRIBERS);
  subs.forEach((s, i) => s.emit('data', encodeFrame(Buffer.from(subscribeJson(i + 1)))));
  await turn();
  await turn();
  const [p] = await d2.open(1);
  const before = subs.reduce((n, s) => n + s.written, 0);
  r.notification = await feed(
    p!,
    frames(Array.from({ length: NOTIFY_PUBLISHES }, (_, i) => publishJson(i + 1, i + 1))),
    NOTIFY_PUBLISHES * SUBSCRIBERS,
  );
  if (subs.reduce((n, s) => n + s.written, 0) - before < NOTIFY_PUBLISHES * SUBSCRIBERS * 100)
    throw new Error(
      `notifications missing: ${subs.reduce((n, s) => n + s.written, 0) - before} bytes, subscriptions ${d2.runtime.state$.value.subscriptions.size}`,
    );
  d2.runtime.stop();
  return r;
};

void (async () => {
  const rounds = Number(process.argv[2] ?? 7);
  const all: Array<Record<string, number>> = [];
  for (let r = 0; r < rounds; r++) all.push(await round(process.argv[3]));
  const keys = Object.keys(all[0]!);
  console.log(
    `whole domain in-process (fake sockets, ${READ} frames a read), CPU ns per operation, median of ${rounds} rounds:`,
  );
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  for (const k of keys) {
    const xs = all.map((x) => x[k]!);
    console.log(`  ${k.padEnd(13)} ${r1(median(xs))} (min ${r1(Math.min(...xs))})`);
  }
})();

/**
 * `npm run build && node dist/bench/hotpath.js [rounds]`: the server's per-message path without sockets, split in its
 * stages (decode, reduce, encode of the replies), for the hot commands of `npm run bench` (publish, unpublish, ping,
 * subscribe against the published services, publish with those subscriptions).
 * Batches of 512 messages, like one socket read of the load generator's window. Prints process CPU ns per message,
 * the median of the rounds; use it to compare changes to lib/protocol, lib/codec, lib/server.
 */
import { decodeClientMessage } from '../lib/codec/decode';
import { encodeMessage } from '../lib/codec/encode';
import type { Effect } from '../lib/state/effects';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';

const N = 20_000;
const BATCH = 512;
const enc = new TextEncoder();
const publishJson = (taId: number, id: number): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":0,"service-props":{"name":["service-${id}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":3600}`;
const unpublishJson = (taId: number, id: number): string =>
  `{"ta-cmd":"unpublish","ta-id":${taId},"msg-type":"request","service-id":${id}}`;
const pingJson = (taId: number): string => `{"ta-cmd":"ping","ta-id":${taId},"msg-type":"request"}`;
const subscribeJson = (taId: number, name: number): string =>
  `{"ta-cmd":"subscribe","ta-id":${taId},"msg-type":"request","subscription-id":${taId},"filter":"(name=service-${name})"}`;
const publishNamedJson = (taId: number, id: number, name: number): string =>
  `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":${id},"generation":0,"service-props":{"name":["service-${name}"],"addr":["tls:10.10.10.10:4711"],"color":["green"]},"ttl":3600}`;
const helloJson = `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":4711,"protocol-minimum-version":2,"protocol-maximum-version":2}`;

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Stage = { decode: number; reduce: number; encode: number };

const connected = (): DomainState => {
  let s = initialDomainState(defaultSettings, 1, 1000);
  const h = decodeClientMessage(enc.encode(helloJson));
  if (h._tag !== 'Right') throw new Error('hello');
  [s] = reduceAll(s, [
    { type: 'accepted', now: 1000, conn: 1, address: 'tcp:127.0.0.1:5000', user: 'ip:127.0.0.1', transport: 'tcp' },
    { type: 'message', now: 1000, conn: 1, msg: h.right },
  ]);
  return s;
};

/** Decode, reduce (in batches), encode the sends; CPU ns per message of each stage. */
const pass = (s0: DomainState, frames: Uint8Array[]): [Stage, DomainState] => {
  let t = cpuNs();
  const events: Event[] = [];
  for (const f of frames) {
    const r = decodeClientMessage(f);
    if (r._tag !== 'Right') throw new Error(r.left.reason);
    events.push({ type: 'message', now: 1000, conn: 1, msg: r.right });
  }
  const decode = cpuNs() - t;
  t = cpuNs();
  let s = s0;
  const fx: Effect[][] = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const [next, f] = reduceAll(s, events.slice(i, i + BATCH));
    s = next;
    fx.push(f as Effect[]);
  }
  const reduce = cpuNs() - t;
  t = cpuNs();
  let bytes = 0;
  for (const f of fx) for (const e of f) if (e.type === 'send') bytes += encodeMessage(e.msg).length;
  const encode = cpuNs() - t;
  if (bytes === 0) throw new Error('no replies');
  const n = frames.length;
  return [{ decode: decode / n, reduce: reduce / n, encode: encode / n }, s];
};

const rounds = Number(process.argv[2] ?? 7);
const results: Record<string, Stage[]> = { publish: [], unpublish: [], ping: [], subscribe: [], 'publish-subs': [] };
for (let r = 0; r < rounds; r++) {
  const base = connected();
  const pub = Array.from({ length: N }, (_, i) => enc.encode(publishJson(i + 1, i + 1)));
  const unp = Array.from({ length: N }, (_, i) => enc.encode(unpublishJson(N + i + 1, i + 1)));
  const png = Array.from({ length: N }, (_, i) => enc.encode(pingJson(2 * N + i + 1)));
  const [p, s1] = pass(base, pub);
  const [u, s2] = pass(s1, unp);
  const [g] = pass(s2, png);
  results.publish!.push(p);
  results.unpublish!.push(u);
  results.ping!.push(g);
  // with the 20,000 services published: 10,000 distinct filters matching one service each (initial appeared
  // included), then 20,000 publishes of which half match one subscription (the `subscriptions` scenario of
  // `npm run bench`)
  const sbs = Array.from({ length: N / 2 }, (_, i) => enc.encode(subscribeJson(3 * N + i + 1, i + 1)));
  const pubs = Array.from({ length: N }, (_, i) => enc.encode(publishNamedJson(4 * N + i + 1, 1_000_000 + i, i + 1)));
  const [sb, s3] = pass(s1, sbs);
  const [ps] = pass(s3, pubs);
  results.subscribe!.push(sb);
  results['publish-subs']!.push(ps);
}
console.log(`CPU ns per message, median of ${rounds} rounds of ${N} (batches of ${BATCH})`);
console.log('| command | decode | reduce | encode replies | total |');
console.log('|---|---:|---:|---:|---:|');
for (const [cmd, xs] of Object.entries(results)) {
  const d = median(xs.map((x) => x.decode));
  const r = median(xs.map((x) => x.reduce));
  const e = median(xs.map((x) => x.encode));
  console.log(`| ${cmd} | ${d.toFixed(0)} | ${r.toFixed(0)} | ${e.toFixed(0)} | ${(d + r + e).toFixed(0)} |`);
}

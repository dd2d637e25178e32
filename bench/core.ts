/**
 * `npm run bench:core`: the pure reducer fed synthetic events in-process (no sockets, no JSON), printing events/s.
 * The figure that matters is the ratio between a small and a large directory: the cost of one event must not grow
 * with the size of the directory (immer copies only what it touches; collections are persistent maps).
 */
import { makeProps } from '../lib/codec/primitives';
import type { ClientMessage } from '../lib/codec/messages';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';

const T0 = 1_700_000_000;
let now = T0;
const ev = (conn: number, msg: ClientMessage): Event => ({ type: 'message', now, conn, msg });
const req = <T extends object>(cmd: string, taId: number, body: T) =>
  ({ 'ta-cmd': cmd, 'ta-id': BigInt(taId), 'msg-type': 'request', ...body }) as unknown as ClientMessage;

const connect = (s: DomainState, conn: number, clientId: number): DomainState => {
  const [s1] = reduceAll(s, [
    { type: 'accepted', now, conn, address: `tcp:127.0.0.1:${conn}`, user: 'ip:127.0.0.1', transport: 'tcp' },
    ev(
      conn,
      req('hello', 0, {
        'client-id': BigInt(clientId),
        'protocol-minimum-version': 2n,
        'protocol-maximum-version': 3n,
      }),
    ),
  ]);
  return s1;
};
const publish = (conn: number, id: number, gen = 0, name = `service-${id}`): Event =>
  ev(
    conn,
    req('publish', 1, {
      'service-id': BigInt(id),
      generation: BigInt(gen),
      'service-props': makeProps([
        ['name', [name]],
        ['addr', ['tls:10.10.10.10:4711']],
        ['color', ['green']],
      ]),
      ttl: 30n,
    }),
  );

/** Run `events` through the reducer in batches; returns [events/s, final state]. */
const run = (s0: DomainState, events: Event[], batch: number): [number, DomainState] => {
  let s = s0;
  const t = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += batch) s = reduceAll(s, events.slice(i, i + batch))[0];
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  return [events.length / secs, s];
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A directory of `n` services owned by client 1 on connection 1. */
const directory = (n: number): DomainState => {
  const s = connect(initialDomainState(defaultSettings, 1, T0), 1, 1);
  const evs: Event[] = [];
  for (let i = 0; i < n; i++) evs.push(publish(1, 1_000_000 + i));
  return run(s, evs, 256)[1];
};

const publishRate = (base: DomainState, batch: number, count = 5000): number => {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const evs: Event[] = [];
    for (let i = 0; i < count; i++) evs.push(publish(1, 10_000_000 + r * count + i));
    rates.push(run(base, evs, batch)[0]);
  }
  return median(rates);
};

const rows: Array<[string, string]> = [];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const small = directory(1_000);
const large = directory(100_000);
const empty = connect(initialDomainState(defaultSettings, 1, T0), 1, 1);
for (const batch of [1, 64]) {
  const e = publishRate(empty, batch);
  const a = publishRate(small, batch);
  const b = publishRate(large, batch);
  rows.push([`publish into empty directory (batch ${batch})`, `${fmt(e)} ev/s`]);
  rows.push([`publish into 1,000 services (batch ${batch})`, `${fmt(a)} ev/s`]);
  rows.push([`publish into 100,000 services (batch ${batch})`, `${fmt(b)} ev/s`]);
  rows.push([`  cost ratio 100k / 1k (batch ${batch})`, `${(a / b).toFixed(2)}x`]);
}

// A change matched against 10,000 subscriptions: distinct (name=service-i) filters, a modify of service-5.
{
  let s = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
  const subs: Event[] = [];
  for (let i = 0; i < 10_000; i++)
    subs.push(ev(2, req('subscribe', 100 + i, { 'subscription-id': BigInt(i), filter: `(name=service-${i})` })));
  s = run(s, subs, 256)[1];
  s = run(s, [publish(1, 5)], 1)[1];
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const evs: Event[] = [];
    for (let g = 1; g <= 5000; g++) evs.push(publish(1, 5, r * 5000 + g));
    rates.push(run(s, evs, 1)[0]);
  }
  rows.push(['modify matched against 10,000 subscriptions', `${fmt(median(rates))} ev/s`]);
  // the same against 100 subscriptions, for the ratio
  let s100 = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
  s100 = run(s100, subs.slice(0, 100), 256)[1];
  s100 = run(s100, [publish(1, 5)], 1)[1];
  const r100: number[] = [];
  for (let r = 0; r < 5; r++) {
    const evs: Event[] = [];
    for (let g = 1; g <= 5000; g++) evs.push(publish(1, 5, r * 5000 + g));
    r100.push(run(s100, evs, 1)[0]);
  }
  rows.push(['modify matched against 100 subscriptions', `${fmt(median(r100))} ev/s`]);
  rows.push(['  cost ratio 10k subs / 100 subs', `${(median(r100) / median(rates)).toFixed(2)}x`]);
}

// A disconnect orphaning 5,000 services (with one match-all subscriber receiving 5,000 notifications).
{
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    let s = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
    s = run(s, [ev(2, req('subscribe', 9, { 'subscription-id': 1n }))], 1)[1];
    const evs: Event[] = [];
    for (let i = 0; i < 5000; i++) evs.push(publish(1, i));
    s = run(s, evs, 256)[1];
    const t = process.hrtime.bigint();
    reduceAll(s, [{ type: 'closed', now, conn: 1, cause: 'eof' }]);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  rows.push([
    'disconnect orphaning 5,000 services',
    `${median(times).toFixed(1)} ms (${fmt(5000 / (median(times) / 1000))} services/s)`,
  ]);
}
now += 1;

const w = Math.max(...rows.map((r) => r[0].length));
console.log('rxpaf core reducer benchmark (median of 5 runs; node ' + process.version + ')');
for (const [k, v] of rows) console.log(k.padEnd(w + 2) + v);

/**
 * `npm run bench:core`: the pure reducer fed synthetic events in-process (no sockets, no JSON), printing events per
 * CPU-second. The figure that matters is the ratio between a small and a large directory: the cost of one event must
 * not grow with the size of the directory (issue 12 item 5: at most 1.3x from 1,000 to 100,000 services).
 *
 * Times are the process's CPU time (`process.cpuUsage()`, user + system, GC and compiler threads included), not
 * wall time: on a shared machine wall time mostly measures how much of a core the scheduler gave us. The sizes are
 * measured interleaved (round r of every size, then round r + 1), so that warm-up and drift hit them alike.
 */
import { makeProps } from '../lib/codec/primitives';
import type { ClientMessage } from '../lib/codec/messages';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';
import { CLOSE_RULE, hasWork } from '../lib/state/work';

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

/** The process's CPU time so far, in ms (user + system). */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Run `events` through the reducer in batches; returns [events per CPU-second, final state]. */
const run = (s0: DomainState, events: Event[], batch: number): [number, DomainState] => {
  let s = s0;
  const t = cpuMs();
  for (let i = 0; i < events.length; i += batch) s = reduceAll(s, events.slice(i, i + batch))[0];
  const secs = (cpuMs() - t) / 1000;
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

/**
 * Publish rates (events per CPU-second) into each of `bases`, `rounds` rounds taken interleaved: per base, its rate
 * in each round (the rounds of two bases are measured side by side, so their ratio round by round cancels the
 * machine's drift; 5 rounds of 5,000 gave ratios from 1.38x to 1.96x in two runs of one hour).
 */
const publishRates = (bases: DomainState[], batch: number, rounds = 9, count = 10_000): number[][] => {
  const rates: number[][] = bases.map(() => []);
  for (let r = 0; r < rounds; r++)
    bases.forEach((base, b) => {
      const evs: Event[] = [];
      for (let i = 0; i < count; i++) evs.push(publish(1, 10_000_000 + r * count + i));
      rates[b]!.push(run(base, evs, batch)[0]);
    });
  return rates;
};

/** The median of the round-by-round ratios `a[r] / b[r]`, with their range. */
const pairedRatio = (a: readonly number[], b: readonly number[]): string => {
  const ratios = a.map((x, r) => x / b[r]!).sort((x, y) => x - y);
  return `${median(ratios).toFixed(2)}x (rounds ${ratios[0]!.toFixed(2)}-${ratios[ratios.length - 1]!.toFixed(2)})`;
};

/**
 * Unpublish rates (events per CPU-second) from each of `bases` (directories of `sizes[b]` services), in publication
 * order (as the server benchmark's client unpublishes), at most `count` per round: medians of 5 rounds, interleaved.
 */
const unpublishRates = (bases: DomainState[], sizes: number[], batch: number, count = 5000): number[] => {
  const rates: number[][] = bases.map(() => []);
  for (let r = 0; r < 5; r++)
    bases.forEach((base, b) => {
      const evs: Event[] = [];
      for (let i = 0; i < Math.min(count, sizes[b]!); i++)
        evs.push(ev(1, req('unpublish', 2, { 'service-id': BigInt(1_000_000 + i) })));
      rates[b]!.push(run(base, evs, batch)[0]);
    });
  return rates.map(median);
};

const rows: Array<[string, string]> = [];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// A subscriber of 10,000 distinct filters (name=service-<i>) disconnects (issue 12), alone and among 30,000 others':
// its subscriptions are gone at once and removed from the map and the filter index by `work` events, a slice each
// (lib/state/work.ts `unsubscribe`). Measured before the large directories below exist (their heap makes collections
// dearer, which the process CPU time counts), printed last.
/** Rows measured early, printed at the end. */
const lateRows: Array<[string, string]> = [];
for (const others of [0, 30_000]) {
  let base = connect(connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2), 3, 3);
  const subs: Event[] = [];
  for (let i = 0; i < others; i++)
    subs.push(
      ev(3, req('subscribe', 100 + i, { 'subscription-id': BigInt(100_000 + i), filter: `(name=other-${i})` })),
    );
  for (let i = 0; i < 10_000; i++)
    subs.push(ev(2, req('subscribe', 100 + i, { 'subscription-id': BigInt(i), filter: `(name=service-${i})` })));
  base = run(base, subs, 256)[1];
  const close: Event = { type: 'closed', now, conn: 2, cause: 'eof' };
  const longest: number[] = [];
  const totals: number[] = [];
  let calls = 0;
  // 9 rounds: the first few compile the path; the medians are the warm cost
  for (let r = 0; r < 9; r++) {
    let s = base;
    let max = 0;
    let total = 0;
    calls = 0;
    for (let e: Event = close; ; e = { type: 'work', now }) {
      const t = cpuMs();
      s = reduceAll(s, [e])[0];
      const dt = cpuMs() - t;
      total += dt;
      max = Math.max(max, dt);
      calls++;
      if (!hasWork(s)) break;
    }
    longest.push(max);
    totals.push(total);
  }
  lateRows.push([
    `disconnect of a subscriber of 10,000 filters${others > 0 ? ', 30,000 others' : ''}`,
    `longest call ${median(longest).toFixed(2)} ms, all done in ${median(totals).toFixed(1)} ms over ${calls} calls`,
  ]);
}

const small = directory(1_000);
const large = directory(100_000);
const empty = connect(initialDomainState(defaultSettings, 1, T0), 1, 1);
for (const batch of [1, 64]) {
  const [e, a, b] = publishRates([empty, small, large], batch) as [number[], number[], number[]];
  rows.push([`publish into empty directory (batch ${batch})`, `${fmt(median(e))} ev/CPU-s`]);
  rows.push([`publish into 1,000 services (batch ${batch})`, `${fmt(median(a))} ev/CPU-s`]);
  rows.push([`publish into 100,000 services (batch ${batch})`, `${fmt(median(b))} ev/CPU-s`]);
  rows.push([`  cost ratio 100k / 1k (batch ${batch}; goal <= 1.3x)`, pairedRatio(a, b)]);
}
for (const batch of [1, 64]) {
  const [a, b] = unpublishRates([small, large], [1_000, 100_000], batch) as [number, number];
  rows.push([`unpublish from 1,000 services (batch ${batch}, in publication order)`, `${fmt(a)} ev/CPU-s`]);
  rows.push([`unpublish from 100,000 services (batch ${batch}, in publication order)`, `${fmt(b)} ev/CPU-s`]);
}

// The producer of the 100,000 services unpublishes them all out of publication order (every 63rd first, as a client
// with requests in flight may), one event per call: under the log version 8 rule ('at-once') the unpublish that
// leaves half the directory's positions holes renumbers 50,000 services in its own event (and in the record's list);
// under the server's ('gradual', lib/state/compaction.ts) each change copies at most a step. Longest call, p99, total.
for (const rule of ['sliced-unsubscribe', CLOSE_RULE] as const) {
  const order: number[] = [];
  for (let k = 0; k < 63; k++) for (let i = k; i < 100_000; i += 63) order.push(i);
  const times: number[] = [];
  let s = large;
  for (const i of order) {
    const e = [ev(1, req('unpublish', 2, { 'service-id': BigInt(1_000_000 + i) }))];
    const t = cpuMs();
    s = reduceAll(s, e, undefined, undefined, false, rule)[0];
    times.push(cpuMs() - t);
  }
  const sorted = [...times].sort((x, y) => x - y);
  rows.push([
    `unpublish of 100,000 services out of order, ${rule === CLOSE_RULE ? 'gradual compaction' : 'compaction at once (v8)'}`,
    `longest call ${sorted[sorted.length - 1]!.toFixed(2)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]!.toFixed(3)} ms, ` +
      `all done in ${times.reduce((x, y) => x + y, 0).toFixed(0)} ms`,
  ]);
}

// A change matched against 10,000 subscriptions: distinct (name=service-i) filters, a modify of service-5.
{
  let s = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
  const subs: Event[] = [];
  for (let i = 0; i < 10_000; i++)
    subs.push(ev(2, req('subscribe', 100 + i, { 'subscription-id': BigInt(i), filter: `(name=service-${i})` })));
  s = run(s, subs, 256)[1];
  s = run(s, [publish(1, 5)], 1)[1];
  // the same against 100 subscriptions, for the ratio (rounds interleaved, the ratio taken round by round)
  let s100 = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
  s100 = run(s100, subs.slice(0, 100), 256)[1];
  s100 = run(s100, [publish(1, 5)], 1)[1];
  const rates: number[] = [];
  const r100: number[] = [];
  for (let r = 0; r < 9; r++) {
    const evs: Event[] = [];
    for (let g = 1; g <= 5000; g++) evs.push(publish(1, 5, r * 5000 + g));
    rates.push(run(s, evs, 1)[0]);
    r100.push(run(s100, evs, 1)[0]);
  }
  rows.push(['modify matched against 10,000 subscriptions', `${fmt(median(rates))} ev/CPU-s`]);
  rows.push(['modify matched against 100 subscriptions', `${fmt(median(r100))} ev/CPU-s`]);
  rows.push(['  cost ratio 10k subs / 100 subs', pairedRatio(r100, rates)]);
}

// Sliced work (issue 12): the close event does one slice, `work` events do the rest, one per event-loop turn in the
// server. Reported: the longest single reducer call (what a bystander can wait at most) and the total, in CPU time.
// `chunk`: the first events are folded `chunk` at a time (the server folds the closes of a turn in chunks sized by
// their measured cost, lib/server/domain-loop.ts). `sends`: the notifications built (send effects), all calls.
const drain = (
  s0: DomainState,
  first: Event[],
  chunk = first.length,
): { maxMs: number; totalMs: number; slices: number; sends: number; s: DomainState } => {
  let s = s0;
  let maxMs = 0;
  let totalMs = 0;
  let slices = 0;
  let sends = 0;
  const fold = (evs: Event[]): void => {
    const t = cpuMs();
    const [next, fx] = reduceAll(s, evs);
    const ms = cpuMs() - t;
    s = next;
    for (const f of fx) if (f.type === 'send') sends++;
    maxMs = Math.max(maxMs, ms);
    totalMs += ms;
    slices++;
  };
  for (let i = 0; i < first.length; i += chunk) fold(first.slice(i, i + chunk));
  while (hasWork(s)) fold([{ type: 'work', now }]);
  return { maxMs, totalMs, slices, sends, s };
};
const sliced = (label: string, make: () => [DomainState, Event[]], units?: number, chunk?: number): DomainState => {
  const runs: Array<ReturnType<typeof drain>> = [];
  for (let r = 0; r < 5; r++) {
    const [s, first] = make();
    runs.push(drain(s, first, chunk));
  }
  const m = (f: (x: ReturnType<typeof drain>) => number) => median(runs.map(f));
  rows.push([
    label,
    `longest call ${m((x) => x.maxMs).toFixed(2)} ms, all done in ${m((x) => x.totalMs).toFixed(1)} ms over ${m((x) => x.slices)} calls` +
      (units === undefined ? '' : ` (${((m((x) => x.totalMs) * 1000) / units).toFixed(1)} µs CPU per service)`) +
      (chunk === undefined ? '' : `, ${fmt(m((x) => x.sends))} notifications built`),
  ]);
  return runs[runs.length - 1]!.s;
};
/** `s` with its pending work done (a subscription's initial matches hold its connection until they are sent). */
const settle = (s0: DomainState): DomainState => {
  let s = s0;
  while (hasWork(s)) s = reduceAll(s, [{ type: 'work', now }])[0];
  return s;
};

// A disconnect orphaning N services (with one match-all subscriber receiving N notifications).
for (const n of [5_000, 100_000]) {
  let base = connect(connect(initialDomainState(defaultSettings, 1, T0), 1, 1), 2, 2);
  base = run(base, [ev(2, req('subscribe', 9, { 'subscription-id': 1n }))], 1)[1];
  const evs: Event[] = [];
  for (let i = 0; i < n; i++) evs.push(publish(1, i));
  base = run(base, evs, 256)[1];
  const closed = sliced(
    `disconnect orphaning ${fmt(n)} services, 1 subscriber`,
    () => [base, [{ type: 'closed', now, conn: 1, cause: 'eof' }]],
    n,
  );
  // ... and their expiry, all due at once (TTL 30 s)
  sliced(`expiry of those ${fmt(n)} orphans`, () => [closed, [{ type: 'tick', now: now + 31 }]], n);
}

// Mass disconnect (issue 13): 1,000 clients with 5 services and a (name=*) subscription each, all closed in one batch.
{
  let base = initialDomainState(defaultSettings, 1, T0);
  for (let c = 1; c <= 1000; c++) {
    base = connect(base, c, c);
    const evs: Event[] = [ev(c, req('subscribe', 9, { 'subscription-id': BigInt(c), filter: '(name=*)' }))];
    for (let i = 0; i < 5; i++) evs.push(publish(c, c * 10 + i));
    // the subscription's initial matches are sliced work that holds the connection (its publishes wait for them)
    base = settle(run(base, evs, 256)[1]);
  }
  const kill: Event[] = [];
  for (let c = 1; c <= 1000; c++) kill.push({ type: 'closed', now, conn: c, cause: 'eof' });
  const killed = (label: string, chunk: number): DomainState =>
    sliced(`1,000 clients x 5 services + (name=*) ${label}`, () => [base, kill], 5000, chunk);
  killed('killed, one batch', 1000);
  const closed = killed('killed, chunks of 100 closes', 100);
  // the orphans expire with no subscriber left
  sliced('expiry of those 5,000 orphans', () => [closed, [{ type: 'tick', now: now + 31 }]], 5000);
}

now += 1;
rows.push(...lateRows);

const w = Math.max(...rows.map((r) => r[0].length));
console.log('rxpaf core reducer benchmark (median of 5 runs, process CPU time; node ' + process.version + ')');
for (const [k, v] of rows) console.log(k.padEnd(w + 2) + v);

/**
 * A synthetic event log for the replay benchmark, written by the recorder's own encoders from reducer runs (no
 * sockets): producers publish services, subscribers with filters get the fan-out, a storm of modifications,
 * producers that disconnect (their services become orphans and expire on timer ticks) and come back, and pings.
 *
 * @example
 * synthLog({ file: '/tmp/bench.ndjson', inputs: 1_000_000 }); // { inputs: 1000000, bytes: … }
 */
import { statSync } from 'node:fs';

import * as E from 'fp-ts/Either';

import { decodeClientMessage } from '../lib/codec/decode';
import { encodeMessage } from '../lib/codec/encode';
import type { ClientMessage } from '../lib/codec/messages';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';
import { createRecorder } from '../lib/replay/record';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';

export interface SynthOptions {
  readonly file: string;
  /** Recorded inputs (events) to write. */
  readonly inputs: number;
  /** Services each producer keeps published (default 500; 20 producers). */
  readonly perProducer?: number;
  /** Checkpoint interval in events (default: the recorder's). */
  readonly snapshotEvery?: number;
  /** Rotate the log past this many bytes (default: never), keeping every rotated file. */
  readonly maxBytes?: number;
}

const msg = (json: string): ClientMessage => {
  const r = decodeClientMessage(json);
  if (E.isLeft(r)) throw new Error(`${r.left.reason}: ${json}`);
  return r.right;
};

/** Write the log; returns the number of inputs and bytes written. */
export const synthLog = (o: SynthOptions): { inputs: number; bytes: number } => {
  const PRODUCERS = 20;
  const SUBSCRIBERS = 20;
  const per = o.perProducer ?? 500;
  const rec = createRecorder({
    file: o.file,
    outbound: true,
    ...(o.snapshotEvery !== undefined ? { snapshotEvery: o.snapshotEvery } : {}),
    ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes, keep: 1000 } : {}),
  });
  let state: DomainState = initialDomainState(defaultSettings, 12345, 1_700_000_000);
  rec.header(0, { settings: defaultSettings, seed: 12345, now: state.now, state: () => state });
  let now = state.now;
  let n = 0;
  let ta = 1;
  const open = new Set<number>();
  const run = (batch: Event[]): void => {
    rec.events(0, batch);
    let fx;
    [state, fx] = reduceAll(state, batch);
    for (const e of batch) if (e.type === 'accepted') open.add(e.conn);
    for (const f of fx)
      if (f.type === 'send' && open.has(f.conn)) rec.outbound(0, f.conn, encodeMessage(f.msg));
      else if (f.type === 'close') open.delete(f.conn);
    for (const e of batch) if (e.type === 'closed') open.delete(e.conn);
    n += batch.length;
    if (n % 256 < batch.length) rec.flush(); // a turn of the live server: the recorder writes (and snapshots)
  };
  const tick = (dt: number): Event => ({ type: 'tick', now: (now += dt) });
  const m = (conn: number, json: string): Event => ({ type: 'message', now: (now += 0.0001), conn, msg: msg(json) });
  const connect = (conn: number, client: number): void =>
    run([
      {
        type: 'accepted',
        now: (now += 0.001),
        conn,
        address: `tcp:127.0.0.1:${10000 + conn}`,
        user: 'ip:127.0.0.1',
        transport: 'tcp',
      },
      m(
        conn,
        `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${client},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
      ),
    ]);
  const publish = (conn: number, id: number, gen: number, ttl: number): Event =>
    m(
      conn,
      `{"ta-cmd":"publish","ta-id":${ta++},"msg-type":"request","service-id":${id},"generation":${gen},` +
        `"service-props":{"name":["service-${id}"],"area":["a${id % SUBSCRIBERS}"],"port":[${4000 + (id % 1000)}]},"ttl":${ttl}}`,
    );
  // subscribers: each filters one area (fan-out to one subscriber) and one watches everything with a port
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const conn = 1 + s;
    connect(conn, 1000 + s);
    const filter = s === 0 ? '(port=*)' : `(area=a${s})`;
    run([
      m(
        conn,
        `{"ta-cmd":"subscribe","ta-id":${ta++},"msg-type":"request","subscription-id":${s + 1},"filter":"${filter}"}`,
      ),
    ]);
  }
  let conn = 100;
  const producerConn = new Map<number, number>();
  for (let p = 0; p < PRODUCERS; p++) {
    producerConn.set(p, ++conn);
    connect(conn, 2000 + p);
  }
  let gen = 0;
  let round = 0;
  while (n < o.inputs) {
    round++;
    // publishes (or a storm of modifications: a new generation of every service)
    for (let p = 0; p < PRODUCERS && n < o.inputs; p++) {
      const c = producerConn.get(p)!;
      const batch: Event[] = [];
      for (let i = 0; i < per && n + batch.length < o.inputs; i++) {
        batch.push(publish(c, p * 1_000_000 + i, gen, 5));
        if (batch.length === 64) run(batch.splice(0));
      }
      if (batch.length > 0) run(batch);
    }
    gen++;
    // pings, one per client, with a timer tick between
    for (let i = 0; i < 2000 && n < o.inputs; i += 2) {
      const c = 1 + (i % (SUBSCRIBERS - 1));
      run([m(c, `{"ta-cmd":"ping","ta-id":${ta++},"msg-type":"request"}`), tick(0.001)]);
    }
    // every third round one producer disconnects: its services are orphaned and expire after their TTL (5 s)
    if (round % 3 === 0 && n < o.inputs) {
      const p = round % PRODUCERS;
      run([{ type: 'closed', now: (now += 0.001), conn: producerConn.get(p)!, cause: 'eof' }]);
      run([tick(6)]);
      producerConn.set(p, ++conn);
      connect(conn, 2000 + p);
    }
  }
  rec.flush();
  void rec.close();
  return { inputs: n, bytes: statSync(o.file).size };
};

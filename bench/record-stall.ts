/**
 * `npm run bench:record [services] [runs]`: the longest event-loop stall the recorder causes while it writes a
 * checkpoint of a large directory (default 100,000 services), as a live server would see it: every turn records one
 * event, and the gap between consecutive turns is measured until the checkpoint's index line is written. For
 * comparison, the time to encode the same snapshot in one go (what the recorder did before snapshots were sliced).
 * Prints medians over `runs` of the longest gap, the p99 gap and the turns the checkpoint took.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as E from 'fp-ts/Either';

import { decodeClientMessage } from '../lib/codec/decode';
import { defaultSettings, initialDomainState, reduceAll } from '../lib/protocol/reducer';
import { encodeSnapshotLine } from '../lib/replay/event-codec';
import { createRecorder } from '../lib/replay/record';
import type { Event } from '../lib/state/events';
import type { DomainState } from '../lib/state/model';

const services = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const msg = (conn: number, now: number, json: string): Event => {
  const r = decodeClientMessage(json);
  if (E.isLeft(r)) throw new Error(r.left.reason);
  return { type: 'message', now, conn, msg: r.right };
};

let now = 1_700_000_000;
const setup: Event[] = [
  { type: 'accepted', now, conn: 1, address: 'tcp:127.0.0.1:1', user: 'u', transport: 'tcp' },
  msg(
    1,
    now,
    '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":1,"protocol-minimum-version":2,"protocol-maximum-version":3}',
  ),
];
for (let i = 0; i < services; i++)
  setup.push(
    msg(
      1,
      (now += 0.00001),
      `{"ta-cmd":"publish","ta-id":${i + 1},"msg-type":"request","service-id":${i},"generation":0,` +
        `"service-props":{"name":["service-${i}"],"area":["a${i % 20}"],"port":[${4000 + (i % 1000)}]},"ttl":60}`,
    ),
  );
let base: DomainState = initialDomainState(defaultSettings, 1, 1_700_000_000);
for (let i = 0; i < setup.length; i += 1000) base = reduceAll(base, setup.slice(i, i + 1000))[0];

const oneGo: number[] = [];
for (let r = 0; r < runs; r++) {
  const t = process.hrtime.bigint();
  encodeSnapshotLine(0, setup.length - 1, base);
  oneGo.push(Number(process.hrtime.bigint() - t) / 1e6);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Run {
  max: number;
  p99: number;
  cpuMax: number;
  cpuP99: number;
  turns: number;
  secs: number;
}
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;

const run = async (every = 1, limit = Infinity): Promise<Run> => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-bench-record-'));
  const file = join(dir, 'e.ndjson');
  try {
    const rec = createRecorder({ file, snapshotEvery: every, snapshotSeconds: 0 });
    let state = base;
    rec.header(0, { settings: defaultSettings, seed: 1, now: state.now, state: () => state });
    let t = state.now;
    const gaps: number[] = [];
    const start = performance.now();
    let last = performance.now();
    /** CPU time per turn (the process's, GC threads included): what the turn cost when the machine is shared. */
    const cpus: number[] = [];
    let lastCpu = process.cpuUsage();
    let turns = 0;
    // one event per turn, as a live server would record them; the second one starts the checkpoint
    for (;;) {
      const e: Event = { type: 'tick', now: (t += 0.001) };
      rec.events(0, [e]);
      state = reduceAll(state, [e])[0];
      await turn();
      const n = performance.now();
      gaps.push(n - last);
      last = n;
      const c = process.cpuUsage(lastCpu);
      cpus.push((c.user + c.system) / 1000);
      lastCpu = process.cpuUsage();
      turns++;
      if ((turns > 1 && readFileSync(`${file}.idx`, 'utf8') !== '') || turns >= limit) break;
    }
    await rec.close();
    return {
      max: Math.max(...gaps),
      p99: p99(gaps),
      cpuMax: Math.max(...cpus),
      cpuP99: p99(cpus),
      turns,
      secs: (performance.now() - start) / 1e3,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const main = async (): Promise<void> => {
  const rs = [];
  for (let r = 0; r < runs; r++) rs.push(await run());
  const quiet = [];
  for (let r = 0; r < runs; r++) quiet.push(await run(0, 200));
  const bytes = Buffer.byteLength(encodeSnapshotLine(0, setup.length - 1, base));
  console.log(
    `checkpoint of ${services.toLocaleString('en')} services (${(bytes / 1e6).toFixed(1)} MB snapshot line), medians of ${runs} runs:`,
  );
  console.log(`  encoded in one go (before):      ${median(oneGo).toFixed(0)} ms stall`);
  const line = (name: string, xs: Run[], more = ''): void =>
    console.log(
      `  ${name.padEnd(32)} longest turn ${median(xs.map((r) => r.max)).toFixed(1)} ms wall / ${median(
        xs.map((r) => r.cpuMax),
      ).toFixed(1)} ms CPU, p99 ${median(xs.map((r) => r.p99)).toFixed(1)} ms wall / ${median(
        xs.map((r) => r.cpuP99),
      ).toFixed(1)} ms CPU${more}`,
    );
  line(
    'sliced recorder (now):',
    rs,
    `, ${median(rs.map((r) => r.turns))} turns, ${median(rs.map((r) => r.secs)).toFixed(2)} s until on disk`,
  );
  line('no checkpoint (the same turns):', quiet);
};
void main();

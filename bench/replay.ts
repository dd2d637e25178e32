/**
 * `npm run bench:replay [inputs] [runs]`: records a synthetic log of 1,000,000 inputs (./replay-synth.ts: publishes,
 * subscriptions with fan-out, a storm of modifications, orphans expiring, pings) with the recorder's encoders, then
 * replays it with `rxpaf-replay` (summary, --verify, --at the middle, --service) and in process with `replay$`
 * (examples/replay-million.ts), each in its own process, and prints inputs/s, MB/s, peak RSS (medians of `runs`)
 * and the log's bytes per input. It also measures the reducer alone on the same inputs (the floor of a replay).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeLine, type EventRecord, type HeaderRecord } from '../lib/replay/event-codec';
import { initialDomainState, reduceAll } from '../lib/protocol/reducer';
import { synthLog } from './replay-synth';

const inputs = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'rxpaf-bench-replay-'));
const file = join(dir, 'bench.ndjson');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const t0 = process.hrtime.bigint();
const { bytes } = synthLog({ file, inputs });
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
/** The log's lines, streamed (a log can be longer than the longest string). */
const eachLine = async (f: (l: string) => void): Promise<void> => {
  for await (const l of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) f(l);
};

const main = async (): Promise<void> => {
  let events = 0;
  let outs = 0;
  let eventBytes = 0;
  await eachLine((l) => {
    if (l.startsWith('{"seq"')) {
      events++;
      eventBytes += Buffer.byteLength(l) + 1;
    } else if (l.startsWith('{"out"')) outs++;
  });
  console.log(
    `log: ${inputs} inputs, ${outs} outbound messages, ${(bytes / 1e6).toFixed(1)} MB (index ${(statSync(`${file}.idx`).size / 1e3).toFixed(1)} kB), ` +
      `${(bytes / inputs).toFixed(1)} bytes per input with outbound, ${(eventBytes / events).toFixed(1)} per event line; written in ${secs.toFixed(1)} s`,
  );

  /** One child run: wall seconds and peak RSS (MB) from /usr/bin/time-like accounting of the child. */
  const measure = (args: string[]): { secs: number; rss: number; out: string } => {
    const start = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    const rss = Number(r.stderr.trim().split('\n').pop()) / 1024;
    return { secs: s, rss, out: r.stdout };
  };

  const cli = join(__dirname, '..', '..', 'bin', 'rxpaf-replay.js');
  const example = join(__dirname, '..', 'examples', 'replay-million.js');
  const cases: Array<[string, string[], number]> = [
    ['summary (per-event steps)', [cli, file], inputs],
    ['--verify', [cli, file, '--verify'], inputs],
    ['--at middle (from a checkpoint)', [cli, file, '--at', String(Math.floor(inputs / 2))], 0],
    ['--service (index look-up)', [cli, file, '--service', '5'], 0],
    ['replay$ in process (example)', [example, file], inputs],
  ];
  console.log('case                              median s   inputs/s     MB/s  peak RSS MB');
  for (const [name, args, n] of cases) {
    const ms = Array.from({ length: runs }, () => measure(args));
    const s = median(ms.map((m) => m.secs));
    const rate = n > 0 ? Math.round(n / s).toLocaleString('en') : '-';
    const mbs = n > 0 ? (bytes / 1e6 / s).toFixed(1) : '-';
    console.log(
      `${name.padEnd(33)} ${s.toFixed(2).padStart(8)} ${rate.padStart(10)} ${mbs.padStart(8)} ${median(
        ms.map((m) => m.rss),
      )
        .toFixed(0)
        .padStart(12)}`,
    );
  }

  // the floor: the reducer alone, one event per call and 256 per call, on the decoded inputs
  let header: HeaderRecord | undefined;
  const recs: EventRecord[] = [];
  await eachLine((l) => {
    if (l === '' || l.startsWith('{"out"') || l.includes('"kind":"snapshot"')) return;
    const r = decodeLine(l);
    if (r._tag === 'Left') throw new Error(r.left);
    if (r.right.kind === 'domain') header ??= r.right;
    else if (r.right.kind === 'event') recs.push(r.right);
  });
  for (const batch of [1, 256]) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      let s = initialDomainState(header!.settings, header!.seed, header!.now);
      const t = process.hrtime.bigint();
      for (let j = 0; j < recs.length; j += batch)
        s = reduceAll(
          s,
          recs.slice(j, j + batch).map((x) => x.event),
        )[0];
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    console.log(
      `reducer alone, ${String(batch).padStart(3)} events per call: ${Math.round(recs.length / median(times)).toLocaleString('en')} inputs/s`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
};
main().catch((e: unknown) => {
  console.error(e);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});

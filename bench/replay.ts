/**
 * `npm run bench:replay [inputs] [runs] [issue-services]`: records a synthetic log of 1,000,000 inputs
 * (./replay-synth.ts: publishes, subscriptions with fan-out, a storm of modifications, orphans expiring, pings) with
 * the recorder's encoders, then replays it with `rxpaf-replay` (summary on one and on two threads, --verify, --at the
 * middle, --service) and in process with `replay$` (examples/replay-million.ts), each in its own process. Then it records the log of issue 15
 * as an operator would (./replay-issue.ts: a live rxpafd with `--record --record-outbound`, one client publishing
 * `issue-services` (default 100,000) services, unpublishing them, then as many pings; 0 skips it) and replays that.
 *
 * Prints, per case, medians of `runs`: wall seconds, CPU seconds (user + system of the replaying process), inputs/s
 * by wall time and by CPU time, MB/s and peak RSS; the log's bytes per input; the load average (the machine is
 * shared: on a loaded machine the CPU figures are the ones to compare). It also measures the reducer alone on the
 * same inputs (the floor of a replay), in CPU time.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeLine, type EventRecord, type HeaderRecord } from '../lib/replay/event-codec';
import { readIndex } from '../lib/replay/log-index';
import { initialDomainState, reduceAll } from '../lib/protocol/reducer';
import type { DomainState } from '../lib/state/model';
import { recordIssueLog } from './replay-issue';
import { synthLog } from './replay-synth';

const inputs = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const issueServices = Number(process.argv[4] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'rxpaf-bench-replay-'));
const file = join(dir, 'bench.ndjson');
const issueFile = join(dir, 'issue.ndjson');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** The lines of a log, streamed (a log can be longer than the longest string). */
const eachLine = async (f: string, each: (l: string) => void): Promise<void> => {
  for await (const l of createInterface({ input: createReadStream(f), crlfDelay: Infinity })) each(l);
};

/** One child run: wall and CPU seconds, peak RSS (MB), from /usr/bin/time's accounting of the child. */
const measure = (args: string[]): { secs: number; cpu: number; rss: number; out: string } => {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const [rss, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  if (r.status !== 0 && !args.includes('--service')) process.stderr.write(`${args.join(' ')}: exit ${r.status}\n`);
  return { secs, cpu: user + sys, rss: rss / 1024, out: r.stdout };
};

const cli = join(__dirname, '..', '..', 'bin', 'rxpaf-replay.js');
const example = join(__dirname, '..', 'examples', 'replay-million.js');

/** Replay `logs` (a log's files, oldest first) with every case and print a table row per case. */
const table = (logs: readonly string[], bytes: number, cases: Array<[string, string[], number]>): void => {
  console.log(
    'case                              wall s    CPU s  inputs/s  inputs/CPU-s  MB/s  peak RSS MB  (medians of ' +
      `${runs}; load ${load()})`,
  );
  for (const [name, args, count] of cases) {
    const ms = Array.from({ length: runs }, () => measure([...args.slice(0, 1), ...logs, ...args.slice(1)]));
    const s = median(ms.map((m) => m.secs));
    const c = median(ms.map((m) => m.cpu));
    const rate = (x: number): string => (count > 0 ? Math.round(count / x).toLocaleString('en') : '-');
    const mbs = count > 0 ? (bytes / 1e6 / s).toFixed(1) : '-';
    console.log(
      `${name.padEnd(33)} ${s.toFixed(2).padStart(6)} ${c.toFixed(2).padStart(8)} ${rate(s).padStart(9)} ` +
        `${rate(c).padStart(13)} ${mbs.padStart(5)} ${median(ms.map((m) => m.rss))
          .toFixed(0)
          .padStart(12)}`,
    );
  }
};

/**
 * The reducer alone on the events of `logs` (a log's files, oldest first: the header and snapshot of a later file are
 * passed over), `batch` events per call: inputs per CPU second (median of runs).
 */
const reducerAlone = async (logs: readonly string[], batch: number): Promise<number> => {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let header: HeaderRecord | undefined;
    let state: DomainState | undefined;
    let recs: EventRecord[] = [];
    let cpu = 0;
    let count = 0;
    const fold = (): void => {
      const t = process.cpuUsage();
      for (let j = 0; j < recs.length; j += batch)
        state = reduceAll(
          state!,
          recs.slice(j, j + batch).map((x) => x.event),
        )[0];
      const u = process.cpuUsage(t);
      cpu += (u.user + u.system) / 1e6;
      count += recs.length;
      recs = [];
    };
    // decoded 65,536 events at a time (not all of them: that would be the memory of the log)
    for (const log of logs)
      await eachLine(log, (l) => {
        if (l === '' || l.startsWith('{"out"') || l.includes('"kind":"snapshot"')) return;
        const d = decodeLine(l);
        if (d._tag === 'Left') throw new Error(d.left);
        if (d.right.kind === 'domain' && header === undefined) {
          header = d.right;
          state = initialDomainState(header.settings, header.seed, header.now);
        } else if (d.right.kind === 'event') recs.push(d.right);
        if (recs.length >= 65_536) fold();
      });
    fold();
    rates.push(count / cpu);
  }
  return median(rates);
};

const main = async (): Promise<void> => {
  const t0 = process.hrtime.bigint();
  const { bytes } = synthLog({ file, inputs });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  let events = 0;
  let outs = 0;
  let eventBytes = 0;
  await eachLine(file, (l) => {
    if (l.startsWith('{"seq"')) {
      events++;
      eventBytes += Buffer.byteLength(l) + 1;
    } else if (l.startsWith('{"out"')) outs++;
  });
  console.log(
    `synthetic log: ${inputs} inputs, ${outs} outbound messages, ${(bytes / 1e6).toFixed(1)} MB ` +
      `(index ${(statSync(`${file}.idx`).size / 1e3).toFixed(1)} kB), ${(bytes / inputs).toFixed(1)} bytes per input ` +
      `with outbound, ${(eventBytes / events).toFixed(1)} per event line; written in ${secs.toFixed(1)} s`,
  );
  // the worst seek: just before a checkpoint (it replays from the one before, a whole interval of events)
  const next = readIndex(file, bytes)?.find((e) => e.seq > inputs / 2);
  table([file], bytes, [
    ['summary (batched)', [cli], inputs],
    ['summary --jobs 2 (two threads)', [cli, '--jobs', '2'], inputs],
    ['--verify', [cli, '--verify'], inputs],
    ['--verify --jobs 2 (two threads)', [cli, '--verify', '--jobs', '2'], inputs],
    ['--at middle (from a checkpoint)', [cli, '--at', String(Math.floor(inputs / 2))], 0],
    ...(next !== undefined
      ? [['--at just before a checkpoint', [cli, '--at', String(next.seq - 1)], 0] as [string, string[], number]]
      : []),
    ['--service 5 (lives throughout)', [cli, '--service', '5'], 0],
    ['--service absent (index skips)', [cli, '--service', '999999999'], 0],
    ['replay$ in process (example)', [example], inputs],
  ]);
  for (const batch of [1, 256])
    console.log(
      `reducer alone, ${String(batch).padStart(3)} events per call: ` +
        `${Math.round(await reducerAlone([file], batch)).toLocaleString('en')} inputs/CPU-s`,
    );
  rmSync(file, { force: true });

  if (issueServices > 0) {
    const live = await recordIssueLog(issueFile, issueServices);
    console.log(
      `\nissue 15's log (live rxpafd, ${issueServices} services published, unpublished, then ${issueServices} pings): ` +
        `${live.inputs} inputs in ${live.files.length} file(s), ${(live.bytes / 1e6).toFixed(1)} MB, ` +
        `${(live.bytes / live.inputs).toFixed(1)} bytes per ` +
        `input; the live server took ${live.secs.toFixed(1)} s (${Math.round(live.inputs / live.secs).toLocaleString('en')} inputs/s)`,
    );
    table(live.files, live.bytes, [
      ['summary (batched)', [cli], live.inputs],
      ['summary --jobs 2 (two threads)', [cli, '--jobs', '2'], live.inputs],
      ['--verify', [cli, '--verify'], live.inputs],
      ['--verify --jobs 2 (two threads)', [cli, '--verify', '--jobs', '2'], live.inputs],
      ['replay$ in process (example)', [example], live.inputs],
    ]);
    console.log(
      `reducer alone, 1 event per call: ${Math.round(await reducerAlone(live.files, 1)).toLocaleString('en')} inputs/CPU-s`,
    );
  }
  console.log(`load average at the end: ${load()}`);
  rmSync(dir, { recursive: true, force: true });
};
main().catch((e: unknown) => {
  console.error(e);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});

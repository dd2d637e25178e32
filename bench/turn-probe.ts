/**
 * Preloaded into the daemon by `bench/http.ts` (`node -r dist/bench/turn-probe.js bin/rxpafd.js ...`, with an IPC
 * channel): measures the daemon's own longest event-loop turn, which a pinger's round trips cannot tell apart from
 * the scheduler of a loaded machine. A 1 ms timer samples the loop; for each gap between two samples it takes the
 * wall time and the main thread's CPU time (`/proc/thread-self/schedstat`: a turn that holds the loop runs for its
 * whole length, a thread that waits for a core does not; V8's helper threads are not counted), and GC pauses are
 * observed as V8 reports them, so a long turn can be told to be a collection or the daemon's own work. Messages: 'arm' starts a measurement, 'report' answers with the maxima since.
 */
import { openSync, readSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export interface TurnReport {
  /** The longest gap between two 1 ms samples, ms of the main thread's CPU time. */
  readonly cpuMax: number;
  /** The longest such gap without any GC pause in it, ms of CPU time: the daemon's own work in one turn. */
  readonly cpuMaxNoGc: number;
  /** The longest gap in wall time, ms. */
  readonly wallMax: number;
  /** The longest garbage-collection pause, and their total, ms. */
  readonly gcMax: number;
  readonly gcTotal: number;
  readonly samples: number;
}

/** Gaps longer than this (CPU ms) are kept with their times, to be checked for GC pauses. */
const KEEP_MS = 2;

/** CPU time of the main thread, ms: the scheduler's run time (one pread of an open file), else the process's. */
const threadCpuMs = ((): (() => number) => {
  const processCpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  try {
    const fd = openSync('/proc/thread-self/schedstat', 'r'); // opened by the main thread: its own file
    const buf = Buffer.alloc(128);
    return () => Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[0]) / 1e6;
  } catch {
    return processCpu;
  }
})();

if (process.send !== undefined) {
  let gaps: Array<{ start: number; end: number; cpu: number }> = [];
  let gcs: Array<{ start: number; end: number }> = [];
  let wallMax = 0;
  let samples = 0;
  let lastWall = performance.now();
  let lastCpu = threadCpuMs();
  const reset = (): void => {
    gaps = [];
    gcs = [];
    wallMax = samples = 0;
    lastWall = performance.now();
    lastCpu = threadCpuMs();
  };
  setInterval(() => {
    const wall = performance.now();
    const now = threadCpuMs();
    const cpu = now - lastCpu;
    if (cpu > KEEP_MS) gaps.push({ start: lastWall, end: wall, cpu });
    wallMax = Math.max(wallMax, wall - lastWall);
    samples++;
    lastWall = wall;
    lastCpu = now;
  }, 1).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  }).observe({ entryTypes: ['gc'] });
  const report = (): TurnReport => {
    const withGc = (g: { start: number; end: number }): boolean => gcs.some((c) => c.start < g.end && c.end > g.start);
    const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
    const pauses = gcs.map((c) => c.end - c.start);
    return {
      cpuMax: max(gaps.map((g) => g.cpu)),
      cpuMaxNoGc: max(gaps.filter((g) => !withGc(g)).map((g) => g.cpu)),
      wallMax,
      gcMax: max(pauses),
      gcTotal: pauses.reduce((a, b) => a + b, 0),
      samples,
    };
  };
  process.on('message', (m) => {
    if (m === 'arm') reset();
    // a moment later: the observer reports GC entries asynchronously
    else if (m === 'report') setTimeout(() => process.send!(report()), 50);
  });
  process.channel?.unref();
}

/**
 * Preloaded into the daemon by `bench/http.ts` (`node -r dist/bench/turn-probe.js bin/rxpafd.js ...`, with an IPC
 * channel): measures the daemon's own longest event-loop turn, which a pinger's round trips cannot tell apart from
 * the scheduler of a loaded machine. A 1 ms timer samples the loop; for each gap between two samples it takes the
 * wall time and the process's CPU time (a turn that holds the loop burns CPU for its whole length; a process that
 * waits for a core does not), and GC pauses are observed as V8 reports them. Messages: 'arm' starts a measurement,
 * 'report' answers with the maxima since.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface TurnReport {
  /** The longest gap between two 1 ms samples, ms of CPU time (user + system, all threads of the process). */
  readonly cpuMax: number;
  /** The same gap in wall time, ms. */
  readonly wallMax: number;
  /** The longest garbage-collection pause, and their total, ms. */
  readonly gcMax: number;
  readonly gcTotal: number;
  readonly samples: number;
}

if (process.send !== undefined) {
  let cpuMax = 0;
  let wallMax = 0;
  let gcMax = 0;
  let gcTotal = 0;
  let samples = 0;
  let lastWall = performance.now();
  let lastCpu = process.cpuUsage();
  const reset = (): void => {
    cpuMax = wallMax = gcMax = gcTotal = samples = 0;
    lastWall = performance.now();
    lastCpu = process.cpuUsage();
  };
  setInterval(() => {
    const wall = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    cpuMax = Math.max(cpuMax, (cpu.user + cpu.system) / 1000);
    wallMax = Math.max(wallMax, wall - lastWall);
    samples++;
    lastWall = wall;
    lastCpu = process.cpuUsage();
  }, 1).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcTotal += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (m) => {
    if (m === 'arm') reset();
    else if (m === 'report') {
      const r: TurnReport = { cpuMax, wallMax, gcMax, gcTotal, samples };
      process.send!(r);
    }
  });
  process.channel?.unref();
}

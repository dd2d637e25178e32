/**
 * Preloaded into the daemon by `bench/http.ts` (`node -r dist/bench/turn-probe.js bin/rxpafd.js ...`, with an IPC
 * channel): measures the daemon's own longest event-loop turn, which a pinger's round trips cannot tell apart from
 * the scheduler of a loaded machine. A 1 ms timer samples the loop; for each gap between two samples it takes the
 * wall time and the main thread's CPU time (`/proc/thread-self/schedstat`: a turn that holds the loop runs for its
 * whole length, a thread that waits for a core does not; V8's helper threads are not counted), and GC pauses are
 * observed as V8 reports them, so a long turn can be told to be a collection or the daemon's own work. Messages: 'arm' starts a measurement, 'report' answers with the maxima since.
 *
 * Without an IPC channel (a daemon started by a spec, `spec/faults/mass-kill.spec.ts` with `RXPAF_KILL_PROBE`), set
 * `RXPAF_TURN_PROBE_OUT=<file>` in the daemon's environment: SIGWINCH arms (and, with `RXPAF_TURN_PROBE_PROFILE=1`,
 * starts a CPU profile through node:inspector, 100 µs sampling), the next SIGWINCH writes the report, with every gap
 * over 2 ms of CPU (epoch times), as JSON to the file (and the profile to `<file>.cpuprofile`).
 * The sampler slows down to every 50 ms while the daemon is quiet (see `adapt`), so the first busy turn after a quiet
 * time is not measured alone (its CPU is counted in the per-50 ms figures).
 */
import { openSync, readSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
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

/** One gap between two samples over {@link KEEP_MS} of CPU: epoch ms of its start and end, its CPU ms, GC in it. */
export interface TurnGap {
  readonly start: number;
  readonly end: number;
  readonly cpu: number;
  readonly gc: boolean;
}

/** Gaps longer than this (CPU ms) are kept with their times, to be checked for GC pauses. */
const KEEP_MS = 2;

/** Signal mode: the CPU time of the main thread and of the whole process (V8's helper threads too) per this much wall time. */
const BUCKET_MS = 50;

/**
 * Signal mode: after QUIET_SAMPLES 1 ms samples of under QUIET_CPU_MS of main-thread CPU each, the sampler runs every
 * SLOW_MS until a sample finds the thread busy again (over QUIET_CPU_MS per ms).
 */
const QUIET_SAMPLES = 100;
const QUIET_CPU_MS = 0.2;
const SLOW_MS = 50;

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

const probeOut = process.env.RXPAF_TURN_PROBE_OUT;
if (process.send !== undefined || probeOut !== undefined) {
  let gaps: Array<{ start: number; end: number; cpu: number }> = [];
  let gcs: Array<{ start: number; end: number; kind: number }> = [];
  let wallMax = 0;
  let samples = 0;
  let lastWall = performance.now();
  let lastCpu = threadCpuMs();
  /** Signal mode: per {@link BUCKET_MS} of wall time from the arming, [main thread CPU ms, whole process CPU ms]. */
  let buckets: Array<[number, number]> = [];
  let armedAt = 0;
  let lastProc = 0;
  const procCpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const reset = (): void => {
    buckets = [];
    armedAt = performance.now();
    lastProc = procCpuMs();
    gaps = [];
    gcs = [];
    wallMax = samples = 0;
    lastWall = performance.now();
    lastCpu = threadCpuMs();
  };
  const sample = (): void => {
    const wall = performance.now();
    const now = threadCpuMs();
    const cpu = now - lastCpu;
    // (a slow sample spans many turns: not one gap)
    if (cpu > KEEP_MS && !slow) gaps.push({ start: lastWall, end: wall, cpu });
    if (probeOut !== undefined) {
      const proc = procCpuMs();
      const b = (buckets[Math.floor((lastWall - armedAt) / BUCKET_MS)] ??= [0, 0]);
      b[0] += cpu;
      b[1] += proc - lastProc;
      lastProc = proc;
    }
    wallMax = Math.max(wallMax, wall - lastWall);
    samples++;
    lastWall = wall;
    lastCpu = now;
    if (probeOut !== undefined) adapt(cpu);
  };
  // in signal mode the sampler runs only while armed (its allocations would change when V8 collects the daemon's
  // garbage before the measurement), and every SLOW_MS while the daemon is quiet: at 1 ms its wake-ups cost the
  // daemon ~50 ms of CPU a second and 3-4 % of its loop's time, so memory settle (lib/cli/memory-settle.ts) would
  // never see the loop quiet and a probed daemon would not switch to lean after a kill as it does unprobed
  let sampler = probeOut === undefined ? setInterval(sample, 1).unref() : undefined;
  let slow = false;
  let quiet = 0;
  const every = (ms: number): void => {
    clearInterval(sampler);
    sampler = setInterval(sample, ms).unref();
  };
  const adapt = (cpu: number): void => {
    if (slow) {
      // busy again: back to 1 ms samples (the turns of this sample are not measured one by one)
      if (cpu > QUIET_CPU_MS * SLOW_MS) [slow, quiet] = [false, 0];
      if (!slow) every(1);
    } else if (cpu < QUIET_CPU_MS && ++quiet >= QUIET_SAMPLES) {
      slow = true;
      every(SLOW_MS);
    } else if (cpu >= QUIET_CPU_MS) quiet = 0;
  };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0,
      });
  });
  if (probeOut === undefined) gcObserver.observe({ entryTypes: ['gc'] });
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
  if (process.send !== undefined) {
    process.on('message', (m) => {
      if (m === 'arm') reset();
      // a moment later: the observer reports GC entries asynchronously
      else if (m === 'report') setTimeout(() => process.send!(report()), 50);
    });
    process.channel?.unref();
  }
  if (probeOut !== undefined) {
    const session = process.env.RXPAF_TURN_PROBE_PROFILE === '1' ? new Session() : undefined;
    let armed = false;
    process.on('SIGWINCH', () => {
      if (!armed) {
        armed = true;
        reset();
        [slow, quiet] = [false, 0];
        every(1);
        gcObserver.observe({ entryTypes: ['gc'] });
        if (session !== undefined) {
          session.connect();
          session.post('Profiler.enable', () =>
            session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
          );
        }
        return;
      }
      armed = false;
      clearInterval(sampler);
      sampler = undefined;
      setTimeout(() => {
        gcObserver.disconnect();
        const withGc = (g: { start: number; end: number }): boolean =>
          gcs.some((c) => c.start < g.end && c.end > g.start);
        const t0 = performance.timeOrigin;
        const all: TurnGap[] = gaps.map((g) => ({ start: t0 + g.start, end: t0 + g.end, cpu: g.cpu, gc: withGc(g) }));
        // the collections other than scavenges (node's kinds: 1 minor, 2 major, 4 incremental, 8 weak callbacks)
        const major = gcs
          .filter((c) => c.kind !== 1)
          .map((c) => ({ start: t0 + c.start, ms: c.end - c.start, kind: c.kind }));
        const cpu = Array.from(buckets, (b, i) => ({
          start: t0 + armedAt + i * BUCKET_MS,
          main: b?.[0] ?? 0,
          process: b?.[1] ?? 0,
        }));
        writeFileSync(probeOut, JSON.stringify({ ...report(), gaps: all, major, cpu }));
        session?.post('Profiler.stop', (err, r) => {
          if (err === null) writeFileSync(`${probeOut}.cpuprofile`, JSON.stringify(r.profile));
          session.disconnect();
        });
      }, 50);
    });
  }
}

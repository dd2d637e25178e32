/**
 * Memory of a daemon child process for the fault specs (issue 13: "memory returns"): its RSS from /proc, a sampler
 * of the peak while a scenario runs, and the check that RSS comes back within a bound once the scenario is over,
 * polled until it holds or the time is up (the figures of the last sample either way).
 *
 * @example
 * const mem = MemoryWatch.start(daemon.pid); // the idle baseline now, the peak from now on
 * ... the scenario ...
 * const r = await mem.settle({ bound: mem.idle * 1.25 + directoryKiB, withinMs: 60_000, keepAlive: () => ping(c, i++) });
 * expect(r.after).toBeLessThanOrEqual(r.bound);
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The resident set size of process `pid`, KiB (0 once it is gone). */
export const rssKiB = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
};

/**
 * rxpafd with a test hook: SIGUSR2 runs a full garbage collection (spec/fixtures/gc-daemon.cjs); the `entry` of
 * `Daemon.start` for {@link daemonMemory}.
 */
export const GC_DAEMON = join(__dirname, '..', 'fixtures', 'gc-daemon.cjs');

export interface DaemonMemory {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
  /** The heap in use by V8 space (`old`, `code`, `new`, `large_object`, …). */
  readonly spaces: Readonly<Record<string, number>>;
}

/**
 * The memory of a daemon started with {@link GC_DAEMON} and an HTTP listener (`metricsUrl`), after a full garbage
 * collection: RSS (/proc), V8 heap in use and external memory (metrics endpoint); all KiB. What a collection frees is
 * then not counted as held: the heap is what is live, RSS what the process keeps besides.
 */
export const daemonMemory = async (pid: number, metricsUrl: string): Promise<DaemonMemory> => {
  process.kill(pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 200));
  const text = await (await fetch(metricsUrl)).text();
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  const spaces: Record<string, number> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/gm))
    if (Number(m[2]) > 0) spaces[m[1]!] = Number(m[2]) / 1024;
  return {
    rss: rssKiB(pid),
    heap: read('nodejs_heap_size_used_bytes'),
    external: read('nodejs_external_memory_bytes'),
    spaces,
  };
};

/** MiB, rounded, for figures. */
export const mib = (kib: number): string => (kib / 1024).toFixed(0);

export interface Settled {
  /** RSS at the start (KiB). */
  readonly idle: number;
  /** The highest RSS sampled between the start and the end of the settling (KiB). */
  readonly peak: number;
  /** RSS at the last sample (KiB). */
  readonly after: number;
  /** The bound it was checked against (KiB). */
  readonly bound: number;
  /** Time from the call to the last sample, ms. */
  readonly settledInMs: number;
  /** `idle/peak/after MB (bound B MB), after S s` for the spec's printed figures. */
  readonly figures: string;
}

export class MemoryWatch {
  private peakKiB: number;
  private readonly timer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly pid: number,
    readonly idle: number,
    everyMs: number,
  ) {
    this.peakKiB = idle;
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  /** Start watching `pid`: its RSS now is the idle baseline; the peak is sampled every `everyMs` ms. */
  static start(pid: number, everyMs = 20): MemoryWatch {
    return new MemoryWatch(pid, rssKiB(pid), everyMs);
  }

  get peak(): number {
    return this.peakKiB;
  }

  private sample(): number {
    const r = rssKiB(this.pid);
    if (r > this.peakKiB) this.peakKiB = r;
    return r;
  }

  /**
   * Poll every `everyMs` (default 1 s) until RSS is at most `bound` (KiB) or `withinMs` has passed; `keepAlive` runs
   * between polls (a client of the daemon pings so that idle limits do not change what is measured). Stops the
   * sampler. The caller asserts `after <= bound`.
   */
  async settle(opts: {
    readonly bound: number;
    readonly withinMs: number;
    readonly everyMs?: number;
    readonly keepAlive?: () => Promise<unknown>;
    /** How RSS is read (KiB; default /proc now), e.g. after a full collection ({@link daemonMemory}). */
    readonly read?: () => Promise<number>;
  }): Promise<Settled> {
    const t0 = performance.now();
    const read = async (): Promise<number> => {
      this.sample();
      if (opts.read === undefined) return rssKiB(this.pid);
      return await opts.read();
    };
    let after = await read();
    while (after > opts.bound && performance.now() - t0 < opts.withinMs) {
      await opts.keepAlive?.();
      await new Promise((r) => setTimeout(r, opts.everyMs ?? 1000));
      after = await read();
    }
    clearInterval(this.timer);
    const settledInMs = performance.now() - t0;
    return {
      idle: this.idle,
      peak: this.peakKiB,
      after,
      bound: opts.bound,
      settledInMs,
      figures:
        `RSS idle ${mib(this.idle)} / peak ${mib(this.peakKiB)} / after ${mib(after)} MB ` +
        `(bound ${mib(opts.bound)} MB) ${(settledInMs / 1000).toFixed(1)} s after the scenario`,
    };
  }

  /** Stop sampling without settling (a spec that failed before its check). */
  stop(): void {
    clearInterval(this.timer);
  }
}

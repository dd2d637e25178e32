/**
 * Memory settle (issue 12, RSS per service; used by bin/rxpafd.js only, never by the library): give memory back
 * once the daemon is quiet.
 *
 * After a burst (100,000 publishes) V8 keeps the pages the burst took: the young generation grown to its maximum,
 * old-space pages of garbage. It gives them back only in a memory-reducing GC, which its memory reducer starts on
 * a timer (about 8 s after a major GC) only if it sees a low allocation rate or is told to favour memory, and in a
 * quiet Node process it never sees the first (the rate is measured at GCs, and no GC happens while quiet): measured
 * with `npm run bench:mem -- --mode daemon`, the daemon's RSS stays at its peak for as long as it is left alone.
 *
 * So while the event loop is quiet the daemon tells V8 to favour memory (`--optimize-for-size`) and not to start
 * TurboFan (whose first job pages in megabytes of compiler code and zone memory for a timer callback), and takes
 * both back as soon as it is busy again: a sample of {@link SettleRule.sampleMs} in which the loop worked more than
 * {@link SettleRule.busyAbove} of the time. The flags are read by V8 when it decides (the memory reducer's timer, the
 * tiering manager), not cached: the same runtime switch bin/rxpafd.js makes for the compilers during startup.
 *
 * That timer only runs once the memory reducer waits for garbage: after a major GC that gave memory back, or when
 * told of possible garbage. A burst that only promotes (a mass disconnect of 1,000 clients: ~250 MB of old-space
 * garbage, 12 MB of it live) runs no such GC, so the reducer never looks and the garbage stays for as long as the
 * daemon is quiet (issue 13). So each switch to lean also tells V8 of possible garbage ({@link possibleGarbage},
 * V8's context-disposal notification): some 8 s later (--gc-memory-reducer-start-delay-ms) the reducer starts an
 * incremental, memory-reducing collection driven by tasks, with short pauses, and gives the pages back.
 *
 * V8 gives its own pages back, but not what the process malloc'd and freed meanwhile (V8's parser and GC work lists,
 * node's socket and stream buffers, libuv's requests): glibc keeps freed memory in its arenas. So the daemon also
 * trims the C heap ({@link SettleDeps.trim}, glibc's `malloc_trim(0)` through the native addon, {@link nativeMemory})
 * at each switch to lean and after each major GC while lean (the memory reducer's collection comes ~8 s after the
 * switch and frees the buffers the garbage held); bin/rxpafd.js also fixes glibc's mmap threshold
 * ({@link NativeMemory.mmapThreshold}) so that large blocks are not kept in the arenas after a burst.
 *
 * The rule is the pure {@link settleStep}; {@link startMemorySettle} runs it on a timer that does not keep the
 * process alive.
 *
 * @example
 * startMemorySettle({ setFlags: (f) => v8.setFlagsFromString(f) });
 */
import type { PerformanceEntry } from 'node:perf_hooks';
import { runInThisContext } from 'node:vm';

import { seqpacket } from '../transport/native';

/** When the loop counts as quiet or busy. */
export interface SettleRule {
  /** How often the event loop's utilization is sampled (ms). */
  readonly sampleMs: number;
  /** How long the loop must have been quiet before memory is favoured (ms). */
  readonly quietMs: number;
  /** A sample below this utilization (0-1) is quiet. */
  readonly quietBelow: number;
  /** A sample above this utilization (0-1) is busy: speed is favoured again at once. */
  readonly busyAbove: number;
}

/** 1 s of samples below 2 % makes the daemon lean; one 200 ms sample above 10 % (20 ms of work) makes it fast. */
export const SETTLE: SettleRule = { sampleMs: 200, quietMs: 1000, quietBelow: 0.02, busyAbove: 0.1 };

/** The flags set while lean, and those that undo them. */
export const LEAN_FLAGS = '--optimize-for-size --no-turbofan';
export const FAST_FLAGS = '--no-optimize-for-size --turbofan';

export interface SettleState {
  /** The lean flags are set. */
  readonly lean: boolean;
  /** How long the loop has been quiet without a break (ms). */
  readonly quietFor: number;
}

export const SETTLE_START: SettleState = { lean: false, quietFor: 0 };

/**
 * One sample: the state after a sample of `ms` milliseconds with event loop utilization `u`, and the switch to make
 * (`'lean'`, `'fast'` or none).
 */
export const settleStep = (
  rule: SettleRule,
  s: SettleState,
  u: number,
  ms: number,
): { readonly state: SettleState; readonly change?: 'lean' | 'fast' } => {
  if (u > rule.busyAbove) return s.lean ? { state: SETTLE_START, change: 'fast' } : { state: SETTLE_START };
  const quietFor = u < rule.quietBelow ? s.quietFor + ms : 0;
  if (!s.lean && quietFor >= rule.quietMs) return { state: { lean: true, quietFor }, change: 'lean' };
  return { state: { lean: s.lean, quietFor } };
};

export interface SettleDeps {
  /** `v8.setFlagsFromString`. */
  readonly setFlags: (flags: string) => void;
  /**
   * The event loop's utilization since the previous call (0-1); default: from {@link loopIdleMs} when given,
   * otherwise `performance.eventLoopUtilization` (both measured from the start of memory settle).
   */
  readonly utilization?: () => number;
  /**
   * The event loop's total idle time so far (ms, {@link NativeMemory.loopIdleMs}): the utilization is computed from
   * it ({@link loopUtilization}), the figure `performance.eventLoopUtilization` gives, without loading perf_hooks.
   */
  readonly loopIdleMs?: () => number;
  /** Called after each switch (for logs and tests). */
  readonly onChange?: (to: 'lean' | 'fast') => void;
  readonly rule?: SettleRule;
  /**
   * Start lean (the lean flags are set at once) rather than fast: bin/rxpafd.js keeps TurboFan off after startup
   * until the daemon first has work. Functions that were hot while the modules loaded (Node's module resolver) carry
   * their profiler ticks over; with TurboFan back on at the end of startup, the next tick of any of them starts its
   * optimisation, and that first job pages in ~4 MB of compiler code for a function that will not run again (idle
   * RSS 49.5 or 53.4 MB, depending on as little as the length of the install path).
   */
  readonly startLean?: boolean;
  /** Called at each switch to lean after a busy time (not at a lean start): {@link possibleGarbage}'s function. */
  readonly notifyGarbage?: () => void;
  /**
   * Give the C heap's free memory back ({@link nativeMemory}'s `trim`): at the first sample after each switch to
   * lean (not at a lean start) and at the first sample after each major GC while lean; never while fast.
   */
  readonly trim?: () => void;
  /**
   * Watch for major (mark-compact) GCs: calls `f` after each one, until the returned function is called. Used only
   * with `trim`, and only while lean. Default: perf_hooks' `gc` entries ({@link watchMajorGc}).
   */
  readonly watchMajorGc?: (f: () => void) => () => void;
  /**
   * How many major GCs have run ({@link NativeMemory.majorGcs}): when given, read at each sample while lean instead of
   * {@link watchMajorGc} (a changed count makes the trim due, as a watched GC does).
   */
  readonly majorGcs?: () => number;
}

/**
 * perf_hooks, loaded when first needed: a daemon with the native addon never loads it (its 12 modules, or the global
 * `performance`, which loads the same: 0.19 MB of idle RSS; bench/README.md, "lean16").
 */
const perfHooks = (): typeof import('node:perf_hooks') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:perf_hooks') as typeof import('node:perf_hooks');

/** Calls `f` after each major GC (perf_hooks' `gc` entries), until the returned function is called. */
export const watchMajorGc = (f: () => void): (() => void) => {
  const { constants, PerformanceObserver } = perfHooks();
  const observer = new PerformanceObserver((list) => {
    const major = (e: PerformanceEntry): boolean =>
      (e as { readonly detail?: { readonly kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
    if (list.getEntries().some(major)) f();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
};

/** What the native addon can do for memory (native/seqpacket.c); both never throw. */
export interface NativeMemory {
  /** glibc's `malloc_trim(0)`: every arena's free memory back to the kernel. */
  readonly trim: () => void;
  /** V8's `Isolate::LowMemoryNotification()`: a synchronous, memory-reducing full collection (tens of ms). */
  readonly lowMemory: () => void;
  /**
   * glibc's `mallopt(M_MMAP_THRESHOLD, bytes)`: a malloc'd block of at least `bytes` gets pages of its own, unmapped
   * when freed. Set, the threshold stays where it is; by default glibc raises it (up to 32 MB) each time such a block
   * is freed, after which large blocks come from the arenas and stay there as free memory once a burst is over.
   */
  readonly mmapThreshold: (bytes: number) => void;
  /**
   * The event loop's total idle time so far (ms, libuv's `uv_metrics_idle_time`, what
   * `performance.eventLoopUtilization` reads); absent from an addon built from an older source.
   */
  readonly loopIdleMs?: () => number;
  /** Major GCs counted by a V8 GC callback since the addon was asked first; absent when node lacks the API. */
  readonly majorGcs?: () => number;
}

/** Monotonic milliseconds (process.hrtime: no perf_hooks). */
const monotonicMs = (): number => {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
};

/**
 * The event loop's utilization between two calls from the loop's total idle time (ms, libuv's
 * `uv_metrics_idle_time`) and a monotonic clock (ms): 1 - idle / elapsed, in [0, 1]; 0 when no time passed.
 */
export const loopUtilization = (idleMs: () => number, nowMs: () => number = monotonicMs): (() => number) => {
  let idle = idleMs();
  let now = nowMs();
  return () => {
    const idle1 = idleMs();
    const now1 = nowMs();
    const elapsed = now1 - now;
    const u = elapsed > 0 ? 1 - (idle1 - idle) / elapsed : 0;
    idle = idle1;
    now = now1;
    return Math.min(1, Math.max(0, u));
  };
};

/**
 * The native addon's memory functions, loading the addon (~50 KB); `undefined` when it is not there (no prebuilt
 * binary fits, no compiler) or was built from an older source without them: the daemon then does without.
 */
export const nativeMemory = (): NativeMemory | undefined => {
  try {
    const addon = seqpacket();
    const has = ['mallocTrim', 'lowMemoryNotification', 'mallocMmapThreshold'] as const;
    if (has.some((name) => typeof addon[name] !== 'function')) return undefined;
    const idleMs = (): number => addon.loopIdleTime?.() ?? -1;
    const majorGcs = (): number => addon.majorGcs?.() ?? -1;
    return {
      trim: () => void addon.mallocTrim?.(),
      lowMemory: () => void addon.lowMemoryNotification?.(),
      mmapThreshold: (bytes) => void addon.mallocMmapThreshold?.(bytes),
      ...(idleMs() >= 0 ? { loopIdleMs: idleMs } : {}),
      ...(majorGcs() >= 0 ? { majorGcs } : {}),
    };
  } catch {
    return undefined;
  }
};

/**
 * A function that tells V8 there may be garbage to collect (V8's `%NotifyContextDisposed`, what an embedder calls
 * when it drops a context: the memory reducer then waits and, if the heap is quiet or memory is favoured, starts an
 * incremental memory-reducing collection). Node exposes no API for it; the function is compiled with natives syntax
 * switched on for that compilation only. V8 may drop the function's bytecode while it is unused (bytecode flushing,
 * more eager under `--optimize-for-size`, the lean flags) and compile it again at its next call, so natives syntax is
 * on for each call too. The function never throws (a refusal tells V8 nothing); `undefined` if V8 refuses it at once.
 */
export const possibleGarbage = (setFlags: (flags: string) => void): (() => void) | undefined => {
  const compile = (): (() => void) => runInThisContext(NOTIFY_SOURCE) as () => void;
  let notify: () => void;
  try {
    notify = compile(); // natives syntax already on (given on node's command line): left as it is
    return () => {
      try {
        notify();
      } catch {
        // nothing to tell
      }
    };
  } catch {
    // off, as it should be: on for this one compilation
  }
  const withNatives = (f: () => void): void => {
    try {
      setFlags('--allow-natives-syntax');
      f();
    } finally {
      setFlags('--no-allow-natives-syntax');
    }
  };
  try {
    withNatives(() => (notify = compile()));
  } catch {
    return undefined;
  }
  return () => {
    try {
      withNatives(notify);
    } catch {
      // V8 refused a recompilation: nothing to tell
    }
  };
};
const NOTIFY_SOURCE = '(function possibleGarbage() { %NotifyContextDisposed(); })';

/** Sample the event loop on an unref'd timer and switch the flags by {@link settleStep}; returns a stop function. */
export const startMemorySettle = (deps: SettleDeps): (() => void) => {
  const rule = deps.rule ?? SETTLE;
  const { loopIdleMs } = deps;
  const utilization =
    deps.utilization ??
    (loopIdleMs !== undefined ? loopUtilization(loopIdleMs) : undefined) ??
    ((): (() => number) => {
      const { performance } = perfHooks();
      let last = performance.eventLoopUtilization();
      return (): number => {
        const now = performance.eventLoopUtilization();
        const u = performance.eventLoopUtilization(now, last).utilization;
        last = now;
        return u;
      };
    })();
  const { trim, majorGcs } = deps;
  const watch = deps.watchMajorGc ?? watchMajorGc;
  // trimming: due at the next sample; the major GC watch runs while lean (a count read at each sample, or a watch)
  let trimDue = false;
  let unwatch: (() => void) | undefined;
  let gcsSeen: number | undefined;
  const watchGc = (): void => {
    if (trim === undefined) return;
    if (majorGcs !== undefined) gcsSeen ??= majorGcs();
    else unwatch ??= watch(() => (trimDue = true));
  };
  const unwatchGc = (): void => {
    unwatch?.();
    unwatch = undefined;
    gcsSeen = undefined;
    trimDue = false;
  };
  const countGcs = (): void => {
    if (majorGcs === undefined || gcsSeen === undefined) return;
    const n = majorGcs();
    if (n !== gcsSeen) trimDue = true;
    gcsSeen = n;
  };
  let state = SETTLE_START;
  if (deps.startLean === true) {
    state = { lean: true, quietFor: 0 };
    deps.setFlags(LEAN_FLAGS);
    watchGc();
    deps.onChange?.('lean');
  }
  const timer = setInterval(() => {
    const next = settleStep(rule, state, utilization(), rule.sampleMs);
    state = next.state;
    if (next.change === 'lean') {
      deps.setFlags(LEAN_FLAGS);
      deps.notifyGarbage?.();
      watchGc();
      trimDue = true;
    } else if (next.change === 'fast') {
      deps.setFlags(FAST_FLAGS);
      unwatchGc();
    }
    countGcs();
    if (trimDue && state.lean) {
      trimDue = false;
      trim?.();
    }
    if (next.change !== undefined) deps.onChange?.(next.change);
  }, rule.sampleMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    unwatchGc();
    if (state.lean) deps.setFlags(FAST_FLAGS);
    state = SETTLE_START;
  };
};

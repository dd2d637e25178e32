#!/usr/bin/env node
'use strict';
/*
 * Idle RSS (issue 12; bench/README.md, "Idle RSS"): while the daemon loads its modules and binds its sockets, V8 runs
 * that code in its interpreter only. Loading ~150 modules makes Node's module resolver hot enough for TurboFan, and
 * the first optimisation pages in ~4 MB of compiler code and zone memory (Sparkplug's baseline code ~0.2 MB more),
 * for functions that do not run again once the daemon is up. Sparkplug is back on as soon as startup is over (sockets
 * bound), TurboFan once the daemon first has work (memory settle started lean, below: its first busy sample); both at
 * once for the replay tool or without memory settle. The protocol's hot paths are compiled as before. Left alone
 * when a compiler flag is given on node's command line or in NODE_OPTIONS.
 * Likewise the young generation does not grow during startup (its semi-spaces would double to 2 MB each, for
 * allocations that do not survive startup; 1.6 MB of idle RSS): growth factor 1 until then, V8's default 2 after.
 * Left alone when a growth factor or a minimum semi-space size is given; a maximum (`--max-semi-space-size`, which
 * caps the young generation a burst grows: bench/README.md, "The cost of a connection") combines with it.
 *
 * Memory settle (bench/README.md, "Memory per service"): from then on the daemon (not the replay tool) favours memory
 * whenever its event loop has been quiet for a second, and speed again as soon as it is busy
 * (lib/cli/memory-settle.ts). Left alone when --optimize-for-size or a compiler flag is given.
 */
const v8 = require('node:v8');
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const own = !given.some((a) => /^--(no-)?(max-opt|turbofan|opt|sparkplug|jitless)\b/.test(a));
const young = !given.some((a) => /^--(no-)?(semi[-_]space[-_]growth|min[-_]semi[-_]space)/.test(a));
const settle = own && !given.some((a) => /^--(no-)?optimize[-_]for[-_]size\b/.test(a));
if (own) v8.setFlagsFromString('--no-turbofan --no-sparkplug');
if (young) v8.setFlagsFromString('--semi-space-growth-factor=1');
// immutable's minified build, the same code: the full build's source (212 KB, 4 non-Latin-1 characters in its
// comments) is held by V8 as a 424 KB two-byte string (idle RSS -0.55 MB). The library itself imports 'immutable'.
{
  const min = require.resolve('immutable/dist/immutable.min.js');
  require(min);
  require.cache[require.resolve('immutable')] = require.cache[min];
}
/*
 * CPU (issue 12; bench/README.md, "Unpublish, orphaning, V8 inlining budget"): a fresh daemon spends much of its
 * first minutes compiling (TurboFan ~20-40 % of its CPU while it connects its first 2,000 clients or orphans its first
 * 5,000 services). A smaller cumulative inlining budget per optimised function (300 bytes of bytecode instead of 920)
 * makes those compilations cheaper, and the code it gives was not slower on any row of the server benchmark (A/B, 6
 * pairs). Left alone when given on node's command line.
 */
if (!given.some((a) => a.startsWith('--max-inlined-bytecode-size-cumulative')))
  v8.setFlagsFromString('--max-inlined-bytecode-size-cumulative=300');
require('../dist/lib/cli/daemon-entry.js').main(
  own || young
    ? (what) => {
        if (young) v8.setFlagsFromString('--semi-space-growth-factor=2');
        if (!own) return;
        if (!(settle && what === 'daemon')) return v8.setFlagsFromString('--turbofan --sparkplug');
        // TurboFan stays off until the daemon first has work (memory settle, started lean: its first busy sample)
        v8.setFlagsFromString('--sparkplug');
        // and tells V8 of possible garbage at each switch to lean, so its memory reducer collects a burst's garbage
        const memory = require('../dist/lib/cli/memory-settle.js');
        const setFlags = (f) => v8.setFlagsFromString(f);
        // Startup's garbage, before serving: a memory-reducing collection now (what V8's memory reducer would do ~8 s
        // later: the young generation's second semi-space, old-space pages, baseline code; 20-40 ms) and the C heap
        // trimmed after it (the parser's and the collector's malloc'd work memory): idle RSS 49.5 -> 46.8 MB
        // (bench/README.md, "lean12"). Then the C heap is trimmed at each switch to lean and after each major GC
        // while lean, and glibc's mmap threshold is fixed at its initial 128 KB (glibc raises it as large blocks are
        // freed, and large blocks then stay in the arenas: 1,000-client kill 65-66 -> 61 MB at 30 s), unless set in
        // the environment. Without the native addon, none of it.
        const native = memory.nativeMemory();
        const env = process.env;
        if (env.MALLOC_MMAP_THRESHOLD_ === undefined && !/mmap_threshold/.test(env.GLIBC_TUNABLES ?? ''))
          native?.mmapThreshold(128 * 1024);
        // That collection also drops the bytecode of every function not running now (V8's bytecode flushing, which
        // otherwise waits for a function to miss 5 major GCs): startup's own code (option and configuration parsing,
        // module loading) is not run again, what runs again is compiled again at its first call (idle RSS -0.22 MB,
        // bench/README.md, "lean16"). Left alone when a flushing flag is given.
        const flush = !given.some((a) => /^--(no-)?(stress[-_]flush[-_]code|flush[-_]bytecode)\b/.test(a));
        if (flush) setFlags('--stress-flush-code');
        native?.lowMemory();
        if (flush) setFlags('--no-stress-flush-code');
        native?.trim();
        memory.startMemorySettle({
          setFlags,
          startLean: true,
          notifyGarbage: memory.possibleGarbage(setFlags),
          trim: native?.trim,
          // the loop's idle time and the major GCs from the addon: perf_hooks is not loaded (idle RSS -0.19 MB)
          loopIdleMs: native?.loopIdleMs,
          majorGcs: native?.majorGcs,
        });
      }
    : undefined,
);

/**
 * Memory settle without the native addon's counters (lib/cli/memory-settle.ts): a daemon whose addon is missing or
 * older reads the loop's utilization and the major GCs from perf_hooks instead. Real timers and a real collection,
 * with tolerant bounds: an idle loop reads as quiet, a busy one as busy, and a major GC while lean makes a trim due.
 */
import { describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { type SettleRule, startMemorySettle, watchMajorGc } from '../../lib/cli/memory-settle';

/** A full (major) collection, as `global.gc` does under --expose-gc. */
const majorGc = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (done: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await sleep(10);
};

const busyFor = (ms: number): void => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the loop is held: the next sample reads it busy
  }
};

/** Samples every 25 ms; quiet below 50 %, busy above 80 %: wide margins for a shared machine. */
const RULE: SettleRule = { sampleMs: 25, quietMs: 75, quietBelow: 0.5, busyAbove: 0.8 };

describe('memory settle on perf_hooks', () => {
  it('watchMajorGc calls back after a major GC, and no more once unwatched', async () => {
    let calls = 0;
    const unwatch = watchMajorGc(() => calls++);
    majorGc();
    await until(() => calls > 0);
    expect(calls).toBeGreaterThan(0);
    unwatch();
    const seen = calls;
    majorGc();
    await sleep(100);
    expect(calls).toBe(seen);
  });

  it("reads the loop's utilization from perf_hooks: lean once idle, fast after a busy sample", async () => {
    const changes: string[] = [];
    const stop = startMemorySettle({ setFlags: () => undefined, rule: RULE, onChange: (to) => changes.push(to) });
    try {
      await until(() => changes.length > 0);
      expect(changes).toEqual(['lean']);
      busyFor(RULE.sampleMs * 4);
      await until(() => changes.length > 1);
      expect(changes).toEqual(['lean', 'fast']);
    } finally {
      stop();
    }
  });

  it('while lean, a major GC seen by perf_hooks makes a trim due at the next sample', async () => {
    let trims = 0;
    const stop = startMemorySettle({
      setFlags: () => undefined,
      utilization: () => 0,
      rule: RULE,
      startLean: true,
      trim: () => trims++,
    });
    try {
      await sleep(RULE.sampleMs * 4);
      expect(trims).toBe(0); // started lean: nothing due until a collection
      majorGc();
      await until(() => trims > 0);
      expect(trims).toBe(1);
    } finally {
      stop();
    }
  });
});

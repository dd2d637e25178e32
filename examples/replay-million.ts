/**
 * Replay a large recorded log in process with the public API and keep only what you need: here, the number of
 * services added, modified and removed, and the largest directory seen. Streams the log (memory stays the size of
 * the directory, whatever the log's length).
 *
 * Run (after `npm run build`): node dist/examples/replay-million.js events.ndjson
 *
 * @example
 * // 1000000 inputs replayed in 9.8 s (102,000 inputs/s): added 10000, modified 490000, removed 3300, peak 10000 services
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { lastValueFrom, reduce } from 'rxjs';
import { readLines$, replay$ } from 'rxpaf/replay';

export interface Tally {
  readonly inputs: number;
  readonly added: number;
  readonly modified: number;
  readonly removed: number;
  readonly peak: number;
}

/** Count the inputs, the directory changes by type and the largest directory of a log. */
export const tally = (files: readonly string[]): Promise<Tally> =>
  lastValueFrom(
    replay$(readLines$(files)).pipe(
      reduce(
        (t, step) => {
          let { added, modified, removed } = t;
          for (const c of step.changes)
            if (c.type === 'added') added++;
            else if (c.type === 'modified') modified++;
            else removed++;
          return { inputs: t.inputs + 1, added, modified, removed, peak: Math.max(t.peak, step.counts.services) };
        },
        { inputs: 0, added: 0, modified: 0, removed: 0, peak: 0 },
      ),
    ),
  );

if (require.main === module) {
  // a program that replays big logs may bound its heap as rxpaf-replay does: at most 2x the live size after a full
  // collection (V8 picks up to 4x at a replay's allocation rate), and a young generation that stops growing once it
  // has reached 16 MB (V8 doubles it up to 32 MB). replay$'s steps and their messages are short-lived: a 16 MB young
  // generation costs ~5 MB of RSS more than an 8 MB one and ~18 % less CPU on the 1,000,000-input log (the
  // summary of rxpaf-replay, which builds no steps, gains nothing from it)
  setFlagsFromString('--heap-growing-percent=100');
  const young = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const gcs = new PerformanceObserver(() => {
    if (young() < 16 << 20) return;
    setFlagsFromString('--semi-space-growth-factor=1');
    gcs.disconnect();
  });
  gcs.observe({ entryTypes: ['gc'] });
  const t0 = Date.now();
  tally(process.argv.slice(2)).then(
    (t) => {
      const s = (Date.now() - t0) / 1000;
      console.log(
        `${t.inputs} inputs replayed in ${s.toFixed(1)} s (${Math.round(t.inputs / s)} inputs/s): ` +
          `added ${t.added}, modified ${t.modified}, removed ${t.removed}, peak ${t.peak} services`,
      );
    },
    (e: unknown) => {
      console.error(String(e));
      process.exitCode = 1;
    },
  );
}

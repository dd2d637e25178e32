/**
 * Wall clock for event times: seconds since the epoch with µs resolution, never earlier than the true time
 * (§7.6 / §15.3: `orphan-since` must be ≥ a client's `time.time()` taken before it closed its socket), and never
 * running backwards. The monotonic clock is re-anchored to `Date.now()` every second so NTP slewing cannot drift it.
 */
export type Clock = () => number;

/**
 * Monotonic milliseconds. process.hrtime rather than `performance.now()`: the global `performance` loads perf_hooks'
 * 12 modules (idle RSS; bench/README.md, "lean16"), and `now()` reads the same clock through `process.hrtime()`.
 */
const monotonicMs = (): number => {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
};

export const wallClock = (): Clock => {
  let anchorWall = Date.now();
  let anchorMono = monotonicMs();
  let last = 0;
  return () => {
    const mono = monotonicMs();
    if (mono - anchorMono > 1000) {
      anchorWall = Date.now();
      anchorMono = mono;
    }
    // +1 ms: Date.now() truncates, so the anchor may be up to 1 ms early (round up, as §15.3 suggests)
    const t = (anchorWall + 1 + (mono - anchorMono)) / 1000;
    last = t > last ? t : last;
    return last;
  };
};

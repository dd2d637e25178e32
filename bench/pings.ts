/**
 * The bystander's pings during a wave (bench/loadgen.ts `disconnect`): the round trips of the pings in flight at
 * some moment between `t0` and `t1` (all times in ms, one clock). The bystander pings back to back, but a thread
 * that is not scheduled (a loaded 2-core machine, a wave of a few ms at the CI smoke's size) may have none in
 * flight for the whole wave; then the first ping it sent after `t0` stands for it (what it met right after the wave
 * began). Sorted ascending; empty only if no ping was sent after `t0` at all.
 */
export const pingsDuring = (
  starts: readonly number[],
  ends: readonly number[],
  t0: number,
  t1: number,
): { readonly rtts: number[]; readonly inFlight: number } => {
  const rtts: number[] = [];
  for (let i = 0; i < starts.length; i++) if (ends[i]! >= t0 && starts[i]! <= t1) rtts.push(ends[i]! - starts[i]!);
  const inFlight = rtts.length;
  if (inFlight === 0) {
    const next = starts.findIndex((s) => s >= t0);
    if (next >= 0) rtts.push(ends[next]! - starts[next]!);
  }
  return { rtts: rtts.sort((a, b) => a - b), inFlight };
};

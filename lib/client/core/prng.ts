/**
 * A small deterministic random number generator (mulberry32) whose state is a plain number in the client state:
 * back-off jitter and track probe jitter draw from it, so a run is reproducible from its seed (the shell seeds it
 * from real randomness; tests choose the seed).
 *
 * @example
 * const [r, next] = nextRandom(42); // r in [0, 1), next is the new state
 */

/** A uniformly distributed number in [0, 1) and the next state. */
export const nextRandom = (state: number): readonly [number, number] => {
  const s = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, s];
};

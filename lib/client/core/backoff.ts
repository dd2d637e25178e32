/**
 * Reconnect back-off of libpaf (§13.3): first retry after `min × (1 + rand)`, then doubling, capped at `max`,
 * floored at `min`. The previous delay is reset to 0 after a successful hello.
 *
 * @example
 * nextReconnectDelay(0, 0.01, 5, 0.5); // 0.015
 * nextReconnectDelay(0.015, 0.01, 5, 0.5); // 0.03
 * nextReconnectDelay(4, 0.01, 5, 0.5); // 5
 */
export const nextReconnectDelay = (previous: number, min: number, max: number, rand: number): number => {
  const next = previous <= 0 ? min * (1 + rand) : previous * 2;
  return Math.max(min, Math.min(next, max));
};

/**
 * `value` with a uniformly random deviation of up to ±`fraction` (libpaf's jitter).
 *
 * @example
 * jitter(10, 0.1, 0.5); // 10
 * jitter(10, 0.1, 0); // 9
 */
export const jitter = (value: number, fraction: number, rand: number): number =>
  value * (1 - fraction + 2 * fraction * rand);

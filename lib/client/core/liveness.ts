/**
 * Client-side liveness arithmetic of §13.4 (pure).
 *
 * @example
 * effectiveMaxIdle(10, 4, 30); // 10
 * probeDelay(10, 0.5); // 5.1
 */
import { jitter } from './backoff';

/** Hard floor of the minimum idle time. */
export const IDLE_FLOOR = 1;

/**
 * The max idle time a link uses: `idleMax` without services, else the lowest own service TTL clamped to
 * [max(idleMin, 1), idleMax].
 */
export const effectiveMaxIdle = (lowestTtl: number | undefined, idleMin: number, idleMax: number): number =>
  lowestTtl === undefined ? idleMax : Math.min(Math.max(lowestTtl, idleMin, IDLE_FLOOR), idleMax);

/** Seconds of silence after which a track query is sent: jitter(0.5·maxIdle, 10%) + 0.1. */
export const probeDelay = (maxIdle: number, rand: number): number => jitter(0.5 * maxIdle, 0.1, rand) + 0.1;

/** Seconds to wait for the reply to a track query before restarting the link. */
export const replyTimeout = (maxIdle: number): number => 0.5 * maxIdle;

/**
 * Output accounting of one domain's connections: a hard limit and a soft limit with a grace period on the bytes a
 * connection has queued and not yet handed to the kernel (what Redis calls `client-output-buffer-limit pubsub` and
 * NATS `max_pending`). A connection over the hard limit, or over the soft limit for longer than the grace period,
 * is a slow consumer: the domain cuts it (README, "Slow consumers"). Checked whenever output is queued, so time
 * is an input and the rules run on virtual time in the specs.
 */
import type { ConnId } from '../state/model';

/** Limits on one connection's queued output; 0 disables a limit. */
export interface OutputLimits {
  /** Cut at once when more than this many bytes are queued. */
  readonly hardBytes: number;
  /** Cut when more than this many bytes stay queued for `softSeconds`. */
  readonly softBytes: number;
  /** Grace period of the soft limit, in seconds. */
  readonly softSeconds: number;
}

/** Defaults: 64 MiB hard, 16 MiB soft for 60 s (twice Redis' pubsub limits; NATS' max_pending is 64 MiB). */
export const DEFAULT_OUTPUT_LIMITS: OutputLimits = Object.freeze({
  hardBytes: 64 * 1024 * 1024,
  softBytes: 16 * 1024 * 1024,
  softSeconds: 60,
});

/** Why a connection is cut, for the log line. */
export interface SlowConsumer {
  readonly limit: 'hard' | 'soft';
  readonly pendingBytes: number;
}

export class OutputLimiter {
  /** When each connection now over the soft limit went over it (ms). */
  private readonly overSoftSince = new Map<ConnId, number>();

  constructor(private readonly limits: OutputLimits) {}

  /** Account `pendingBytes` of queued output on `conn` at `now` (ms); a verdict when it must be cut. */
  check(conn: ConnId, pendingBytes: number, now: number): SlowConsumer | undefined {
    const { hardBytes, softBytes, softSeconds } = this.limits;
    if (hardBytes > 0 && pendingBytes > hardBytes) {
      this.overSoftSince.delete(conn);
      return { limit: 'hard', pendingBytes };
    }
    if (softBytes > 0 && pendingBytes > softBytes) {
      let since = this.overSoftSince.get(conn);
      if (since === undefined) {
        since = now;
        this.overSoftSince.set(conn, now);
      }
      if (now - since < softSeconds * 1000) return undefined;
      this.overSoftSince.delete(conn);
      return { limit: 'soft', pendingBytes };
    }
    this.overSoftSince.delete(conn);
    return undefined;
  }

  /** The connection is gone. */
  forget(conn: ConnId): void {
    this.overSoftSince.delete(conn);
  }

  /** Connections currently over the soft limit (for specs and metrics). */
  get overSoft(): number {
    return this.overSoftSince.size;
  }
}

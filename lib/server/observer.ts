/**
 * An optional observer of each domain's traffic and work (the daemon's metrics use it). Callbacks run synchronously
 * inside the domain's pipeline: they must be cheap (proportional to their arguments) and must not throw. Nothing
 * is computed for an observer that is not given.
 *
 * @example
 * const observer: ServerObserver = { reduced: (domain, batch, _fx, seconds) => hist.observe(seconds) };
 * await createServer({ domains, observer });
 */
import type { Effect } from '../state/effects';
import type { Event } from '../state/events';

export interface ServerObserver {
  /** One inbound frame of `bytes` bytes arrived on domain `domain` (counted before decoding; framing excluded). */
  readonly received?: (domain: number, bytes: number) => void;
  /** One outbound message was queued on a connection, encoded as `json` (framing excluded). */
  readonly sent?: (domain: number, json: string) => void;
  /**
   * The reducer folded `batch` (one event-loop turn of events) into `effects`, taking `seconds`. Messages in by
   * command, server-side closes with their reason, notifications and directory changes are all in these arrays.
   */
  readonly reduced?: (domain: number, batch: readonly Event[], effects: readonly Effect[], seconds: number) => void;
}

/** The observer of one domain (the domain index bound). */
export interface DomainObserver {
  readonly received?: (bytes: number) => void;
  readonly sent?: (json: string) => void;
  readonly reduced?: (batch: readonly Event[], effects: readonly Effect[], seconds: number) => void;
}

/** Bind an observer to domain `index`. */
export const domainObserver = (o: ServerObserver, index: number): DomainObserver => ({
  received: o.received && ((bytes) => o.received!(index, bytes)),
  sent: o.sent && ((json) => o.sent!(index, json)),
  reduced: o.reduced && ((batch, fx, seconds) => o.reduced!(index, batch, fx, seconds)),
});

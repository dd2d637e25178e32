/**
 * The public face of replay (`rxpaf/replay`): `replay$(lines$)` turns the lines of a recorded event log into
 * {@link ReplayStep}s in public model types only (no internal state is reachable). Cold: every subscription replays
 * on its own, from the first line it receives.
 *
 * @example
 * import { readLines$, replay$ } from 'rxpaf/replay';
 * replay$(readLines$(['events.ndjson'])).subscribe((step) => {
 *   for (const c of step.changes) console.log(step.seq, c.type, c.service.id);
 * });
 */
import { Observable } from 'rxjs';

import { encodeMessage } from '../codec/encode';
import type { Event } from '../state/events';
import type { ServiceChange } from '../model';
import { publicChange } from '../state/public-model';
import { passedSnapshot, Replayer, ReplayError, type ReplayStep as CoreStep } from './replay-core';
import { decodeLine, isOutLineFrame } from './event-codec';

/**
 * One recorded input of the server, as replayed. A connection is named `connection`, as in the server's
 * `ConnectionEvent` (the log's own lines call it `conn`; that format does not change).
 */
export type ReplayInput =
  | {
      /** A connection was accepted. */
      readonly type: 'accepted';
      /** The connection's number in its domain (the server's `ConnectionEvent.connection`). */
      readonly connection: number;
      /** The peer's transport address, e.g. `tcp:127.0.0.1:40123`. */
      readonly address: string;
      /** The peer's user id (`ip:<addr>`, `ski:<hex>`, `default`). */
      readonly user: string;
      /** The transport it came in on. */
      readonly transport: 'tcp' | 'tls' | 'ux' | 'uxf';
    }
  | {
      /** A message from a client. */
      readonly type: 'message';
      /** The connection's number in its domain (the server's `ConnectionEvent.connection`). */
      readonly connection: number;
      /** Its `ta-cmd`, e.g. `publish`. */
      readonly command: string;
      /** Its wire text (integers exact). */
      readonly json: string;
    }
  | {
      /** A message that does not parse (the server closes the connection). */
      readonly type: 'malformed';
      /** The connection's number in its domain (the server's `ConnectionEvent.connection`). */
      readonly connection: number;
      /** Why it does not parse. */
      readonly reason: string;
    }
  | {
      /** A connection was closed by its peer, its transport or the server. */
      readonly type: 'closed';
      /** The connection's number in its domain (the server's `ConnectionEvent.connection`). */
      readonly connection: number;
      /** Why: end of file, a transport error, the server's shutdown, or a slow consumer cut off. */
      readonly cause: 'eof' | 'transport-error' | 'shutdown' | 'slow-consumer';
    }
  | {
      /** The server stopped reading the connection while its output drained (back-pressure), or resumed. */
      readonly type: 'output-blocked' | 'output-drained';
      /** The connection's number in its domain (the server's `ConnectionEvent.connection`). */
      readonly connection: number;
    }
  | {
      /** A second of the server's clock passed (timers: idle limits, orphan expiry). */
      readonly type: 'tick';
    }
  | {
      /** The next slice of work proportional to the directory (orphaning, expiry, listings). */
      readonly type: 'work';
    };

/** A message the server sent for an input (to a connection still open), as JSON text. */
export interface ReplaySent {
  /** The number of the connection it was sent to (as in {@link ReplayInput}). */
  readonly connection: number;
  /** The message's wire text (integers exact). */
  readonly json: string;
}

/** The directory's size after a step. */
export interface ReplayCounts {
  /** Open connections, handshaked or not. */
  readonly connections: number;
  /** Known clients, connected or owning orphans. */
  readonly clients: number;
  /** Services, orphans included. */
  readonly services: number;
  /** Subscriptions. */
  readonly subscriptions: number;
}

/** One replayed input and what it did. */
export interface ReplayStep {
  /** The input's sequence number in the log (increasing across the whole log and its rotated files). */
  readonly seq: number;
  /** 1-based line number in the log (counting the lines the Observable delivered). */
  readonly line: number;
  /** The domain's index in the recording server's configuration. */
  readonly domain: number;
  /** When the input happened (seconds since the epoch). */
  readonly at: number;
  /** The input replayed. */
  readonly input: ReplayInput;
  /** What it changed in the directory, in order (empty for most inputs). */
  readonly changes: readonly ServiceChange[];
  /** What the server sent for it, in order. */
  readonly sent: readonly ReplaySent[];
  /** The directory's size after it. */
  readonly counts: ReplayCounts;
}

export { publicChange, publicService } from '../state/public-model';

const publicInput = (e: Event, text: string | undefined): ReplayInput => {
  switch (e.type) {
    case 'accepted':
      return { type: e.type, connection: e.conn, address: e.address, user: e.user, transport: e.transport };
    case 'message':
      // the text as recorded is what encodeMessage gives (the recorder wrote it so): no second encoding
      return { type: e.type, connection: e.conn, command: e.msg['ta-cmd'], json: text ?? encodeMessage(e.msg) };
    case 'malformed':
      return { type: e.type, connection: e.conn, reason: e.reason };
    case 'closed':
      return { type: e.type, connection: e.conn, cause: e.cause };
    case 'work':
      return { type: 'work' };
    case 'output-blocked':
    case 'output-drained':
      return { type: e.type, connection: e.conn };
    default:
      return { type: 'tick' };
  }
};

const NONE: readonly never[] = [];

const publicStep = (s: CoreStep, text: string | undefined): ReplayStep => ({
  seq: s.seq,
  line: s.line,
  domain: s.domain,
  at: s.at,
  input: publicInput(s.event, text),
  changes: s.changes.length === 0 ? NONE : s.changes.map(publicChange),
  sent: s.delivered.length === 0 ? NONE : s.delivered.map((f) => ({ connection: f.conn, json: encodeMessage(f.msg) })),
  counts: {
    connections: s.state.conns.size,
    clients: s.state.clients.size,
    services: s.state.services.size,
    subscriptions: s.state.subscriptions.size,
  },
});

/**
 * Replay the lines of a log (oldest file first, newline stripped; blank lines skipped). Cold and independent per
 * subscription. Errors with a `PafReplayError` (its `line` is 1-based) at the first line that cannot be replayed,
 * after every step before it was emitted.
 *
 * Steps report the messages the replay sends, not the recorded ones: recorded outbound lines are only checked for
 * their frame (not parsed), and a periodic snapshot of a state the replay already has is not decoded (as in
 * `rxpaf-replay` without `--verify`). Memory is the directory plus the lines in flight, whatever the log's length.
 */
export const replay$ = (lines$: Observable<string>): Observable<ReplayStep> =>
  new Observable<ReplayStep>((subscriber) => {
    const replayer = new Replayer();
    let n = 0;
    return lines$.subscribe({
      next: (raw) => {
        n++;
        if (subscriber.closed) return;
        const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (text === '' || (text.charCodeAt(0) !== 0x7b && text.trim() === '')) return;
        if (passedSnapshot(replayer, text) || isOutLineFrame(text)) return;
        try {
          const rec = decodeLine(text);
          if (rec._tag === 'Left') throw new ReplayError(n, rec.left);
          const item = replayer.feed(rec.right, n);
          if (item.kind === 'step')
            subscriber.next(publicStep(item.step, rec.right.kind === 'event' ? rec.right.text : undefined));
        } catch (e) {
          subscriber.error(e instanceof ReplayError ? e : new ReplayError(n, String(e)));
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
  });

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
import { messageOf } from '../errors';
import type { DirectoryChange, Effect } from '../state/effects';
import type { Event } from '../state/events';
import type { DomainState, Service as CoreService } from '../state/model';
import type { Service, ServiceChange } from '../model';
import { toPublicService } from '../state/public-model';
import { passedSnapshot, Replayer, ReplayError, type BatchObserver } from './replay-core';
import { BATCH, passedSnapshotHead } from './replay-run';
import { decodeLine, fastDecode, isOutFrameBytes, isOutLineFrame, type EventRecord } from './event-codec';
import { linesOf$, logFilesOf } from './replay-read';
import { subscriptionCount } from '../state/selectors';

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
      /**
       * Connections whose closes the server had and folded later (a wave of closes, each followed by its `closed`
       * input): none is told of a directory change meanwhile.
       */
      readonly type: 'closing';
      /** Their numbers in their domain (the server's `ConnectionEvent.connection`). */
      readonly connections: readonly number[];
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
    case 'closing':
      return { type: e.type, connections: e.conns };
    case 'work':
      return { type: 'work' };
    case 'output-blocked':
    case 'output-drained':
      return { type: e.type, connection: e.conn };
    case 'tick':
      return { type: 'tick' };
  }
};

const NONE: readonly never[] = [];

/**
 * The public form of the service records a replay has converted, by record (a `Map`, not the server's `WeakMap`: a
 * replay converts every record of a storm once, and weak tables are costly to collect). A record leaves when a
 * change replaces or removes it, so the table holds about the directory's live records.
 */
class Converted {
  private readonly m = new Map<CoreService, Service>();
  /** `like`: a public record of a service with the same props map (by identity), whose props record is shared. */
  private get(s: CoreService, keep: boolean, like?: Service): Service {
    let p = this.m.get(s);
    if (p === undefined) {
      p = like === undefined ? toPublicService(s) : publicWithProps(s, like.props);
      if (keep) this.m.set(s, p);
    } else if (!keep) this.m.delete(s);
    return p;
  }
  change(c: DirectoryChange): ServiceChange {
    switch (c.kind) {
      case 'added':
        return { type: 'added', service: this.get(c.after, true) };
      case 'modified': {
        // a republish with the same props (a storm's refresh) keeps the props map: its record is not built again
        const previous = this.get(c.before, false);
        const service = this.get(c.after, true, c.after.props === c.before.props ? previous : undefined);
        return { type: 'modified', service, previous };
      }
      case 'removed':
        return { type: 'removed', service: this.get(c.before, false) };
    }
  }
  /** Bound the table when records left without a change (a domain restarted from a snapshot). */
  trim(services: number): void {
    if (this.m.size > 2 * services + 1024) this.m.clear();
  }
}

/** {@link toPublicService} of `s` with `props` (the record of its props map, already converted), in its field order. */
const publicWithProps = (s: CoreService, props: Service['props']): Service =>
  s.orphanSince === undefined
    ? { id: s.id, generation: s.generation, props, ttl: Number(s.ttl), clientId: s.clientId }
    : {
        id: s.id,
        generation: s.generation,
        props,
        ttl: Number(s.ttl),
        clientId: s.clientId,
        orphanSince: s.orphanSince,
      };

const counts = (s: DomainState): ReplayCounts => ({
  connections: s.conns.size,
  clients: s.clients.size,
  services: s.services.size,
  subscriptions: subscriptionCount(s),
});

/**
 * The steps of a batch as it is folded (a {@link BatchObserver}): each event's changes, the messages delivered (to
 * connections open then, as the interpreter would: the same rule as `Replayer`'s, event by event) and the sizes after
 * it. `open` is the domain's open connections before the batch (not changed during the reducer call).
 */
class BatchSteps {
  steps: ReplayStep[] = [];
  private open: ReadonlySet<number> = new Set();
  /** Connections opened and closed so far in the batch. */
  private readonly opened = new Set<number>();
  private readonly dropped = new Set<number>();
  constructor(private readonly conv: Converted) {}

  start(open: ReadonlySet<number>): void {
    this.steps = [];
    this.open = open;
    this.opened.clear();
    this.dropped.clear();
  }

  private isOpen(c: number): boolean {
    return (this.opened.has(c) || this.open.has(c)) && !this.dropped.has(c);
  }

  readonly each: BatchObserver = (rec: EventRecord, line: number, state: DomainState, fx: readonly Effect[], from) => {
    const e = rec.event;
    if (e.type === 'accepted') {
      this.opened.add(e.conn);
      this.dropped.delete(e.conn);
    }
    const shutdown = e.type === 'closed' && e.cause === 'shutdown';
    let changes: ServiceChange[] | undefined;
    let sent: ReplaySent[] | undefined;
    for (let i = from; i < fx.length; i++) {
      const f = fx[i]!;
      if (f.type === 'change') (changes ??= []).push(this.conv.change(f.change));
      else if (f.type === 'send') {
        if (!shutdown && this.isOpen(f.conn)) (sent ??= []).push({ connection: f.conn, json: encodeMessage(f.msg) });
      } else if (f.type === 'close') this.dropped.add(f.conn);
    }
    if (e.type === 'closed') this.dropped.add(e.conn);
    this.steps.push({
      seq: rec.seq,
      line,
      domain: rec.d,
      at: e.now,
      input: publicInput(e, rec.text),
      changes: changes ?? NONE,
      sent: sent ?? NONE,
      counts: counts(state),
    });
  };
}

/**
 * Replay the lines of a log (oldest file first, newline stripped; blank lines skipped). Cold and independent per
 * subscription. Errors with a `PafReplayError` (its `line` is 1-based) at the first line that cannot be replayed,
 * after every step before it was emitted.
 *
 * Steps report the messages the replay sends, not the recorded ones: recorded outbound lines are only checked for
 * their frame (not parsed), and a periodic snapshot of a state the replay already has is not decoded (as in
 * `rxpaf-replay` without `--verify`). Memory is the directory plus the lines in flight, whatever the log's length.
 *
 * Consecutive events of a domain are folded up to 256 per reducer call (each event's step is read as it is folded):
 * their steps are emitted when the batch is full, at the next line that is not an event, when the input completes
 * or errors, or once the lines received synchronously have been taken (a microtask), whichever comes first.
 */
export const replay$ = (lines$: Observable<string>): Observable<ReplayStep> =>
  new Observable<ReplayStep>((subscriber) => {
    const replayer = new Replayer();
    const conv = new Converted();
    const batch = new BatchSteps(conv);
    let n = 0;
    let pending: EventRecord[] = [];
    let pendingLines: number[] = [];
    let scheduled = false;
    /** Fold the events waiting; emit their steps (those before a failing event, then the error). */
    const flush = (): boolean => {
      if (pending.length === 0) return true;
      const [recs, lines] = [pending, pendingLines];
      pending = [];
      pendingLines = [];
      const dom = replayer.domains.get(recs[0]!.d);
      batch.start(dom?.open ?? new Set());
      let failure: unknown;
      try {
        replayer.feedBatch(recs, lines, batch.each);
      } catch (e) {
        failure = e;
      }
      for (const step of batch.steps) {
        if (subscriber.closed) return false;
        subscriber.next(step);
      }
      batch.steps = [];
      if (dom !== undefined) conv.trim(dom.state.services.size);
      if (failure !== undefined) {
        subscriber.error(failure instanceof ReplayError ? failure : new ReplayError(lines[0]!, messageOf(failure)));
        return false;
      }
      return true;
    };
    /** The last event read: folded, or waiting in the batch (where a snapshot after it counts as passed). */
    const lastRead = (): number => (pending.length > 0 ? pending[pending.length - 1]!.seq : replayer.lastSeq);
    const later = (): void => {
      scheduled = false;
      if (!subscriber.closed) flush();
    };
    // the lines of readLines$ as it made them: read here, the outbound lines passed over by their bytes (as the
    // string path below passes over them by their text: `isOutFrameBytes` is `isOutLineFrame` on the bytes), never
    // decoded to strings (most of a log recorded with outbound messages)
    const files = logFilesOf(lines$);
    // and the snapshots it has passed are not even joined from their chunks (as rxpaf-replay's)
    const input$ =
      files !== undefined
        ? linesOf$(files.files, files.opts, isOutFrameBytes, passedSnapshotHead(replayer, lastRead))
        : lines$;
    return input$.subscribe({
      next: (raw) => {
        n++;
        if (subscriber.closed) return;
        const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (text === '' || (text.charCodeAt(0) !== 0x7b && text.trim() === '')) return;
        if (passedSnapshot(replayer, text, lastRead()) || isOutLineFrame(text)) return;
        // (the recorder's common lines without an `Either`; the strict path decides the others)
        let r = fastDecode(text);
        if (r === undefined) {
          const rec = decodeLine(text);
          if (rec._tag === 'Left') {
            if (flush()) subscriber.error(new ReplayError(n, rec.left));
            return;
          }
          r = rec.right;
        }
        if (r.kind === 'event') {
          // a connection's end is folded on its own (the interpreter's bookkeeping depends on it)
          const closed = r.event.type === 'closed';
          if (pending.length > 0 && (closed || pending[0]!.d !== r.d || pending.length >= BATCH) && !flush()) return;
          pending.push(r);
          pendingLines.push(n);
          if (closed) flush();
          else if (!scheduled) {
            scheduled = true;
            queueMicrotask(later);
          }
          return;
        }
        if (r.kind !== 'out' && !flush()) return; // outbound lines change no state: a batch goes on past them
        try {
          replayer.feed(r, n); // (a header, a snapshot or an outbound message: no step)
        } catch (e) {
          if (flush()) subscriber.error(e instanceof ReplayError ? e : new ReplayError(n, String(e)));
        }
      },
      error: (e: unknown) => {
        if (flush()) subscriber.error(e);
      },
      complete: () => {
        if (flush()) subscriber.complete();
      },
    });
  });

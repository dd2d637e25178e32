/**
 * The replay engine: folds decoded log records through the same reducer as the live server, one event at a time,
 * with no sockets and no timers (time only comes from the recorded events). Mutable only in which state each domain
 * is at; every step carries the immutable states before and after.
 *
 * A domain starts from its header's initial state or, in a rotated file, from the state snapshot that follows the
 * header: the snapshot is adopted when the replay has not seen the events before it (the domain started in this
 * file, or events are missing); a replay that has seen every event up to the snapshot keeps its own state.
 *
 * It also mirrors the effect interpreter's bookkeeping to know which `send` effects the live server really
 * delivered (and so recorded): only to connections still open, and none while shutting down (`stop()` does not
 * interpret the effects of the final `closed`/`shutdown` batch).
 *
 * @example
 * const r = new Replayer();
 * for (const [i, text] of lines.entries()) {
 *   const rec = decodeLine(text);
 *   if (rec._tag === 'Right') { const item = r.feed(rec.right, i + 1); }
 * }
 */
import { PafReplayError } from '../errors';
import type { DirectoryChange, Effect } from '../state/effects';
import type { Event } from '../state/events';
import type { ConnId, DomainState } from '../state/model';
import { initialDomainState, reduceAll } from '../protocol/reducer';
import type { HeaderRecord, LogRecord, OutRecord, SnapshotRecord } from './event-codec';

/** A log that cannot be replayed further: the public {@link PafReplayError} (`line` is 1-based; every step before it was replayed). */
export const ReplayError = PafReplayError;
export type ReplayError = PafReplayError;

/** A `send` effect, as delivered. */
export type SendEffect = Extract<Effect, { type: 'send' }>;

/** One replayed event. */
export interface ReplayStep {
  readonly seq: number;
  /** 1-based line number in the log. */
  readonly line: number;
  readonly domain: number;
  /** Event time (seconds since the epoch). */
  readonly at: number;
  readonly event: Event;
  /** The domain's state before and after the event. */
  readonly prev: DomainState;
  readonly state: DomainState;
  readonly effects: readonly Effect[];
  readonly changes: readonly DirectoryChange[];
  /** The messages the live server actually sent for this event (to connections still open). */
  readonly delivered: readonly SendEffect[];
}

/** Everything a log line can replay into. */
export type ReplayItem =
  | { readonly kind: 'step'; readonly step: ReplayStep }
  | { readonly kind: 'domain'; readonly line: number; readonly header: HeaderRecord }
  | { readonly kind: 'out'; readonly line: number; readonly out: OutRecord }
  | {
      readonly kind: 'snapshot';
      readonly line: number;
      readonly snapshot: SnapshotRecord;
      /** Whether the domain now continues from the snapshot (false: the replay already was in that state). */
      readonly adopted: boolean;
    };

/** A domain being replayed. */
export interface ReplayDomain {
  readonly header: HeaderRecord;
  state: DomainState;
  /** Connections the live server had open (the interpreter's `conns` map). */
  readonly open: Set<ConnId>;
  /** True if the replay began at a rotated file's header without a snapshot: what happened before is unknown. */
  readonly partial: boolean;
}

export class Replayer {
  readonly domains = new Map<number, ReplayDomain>();
  /** Seq of the last event replayed (of any domain; -1: none), to tell whether a snapshot continues the replay. */
  private lastSeq = -1;

  /** Replay one record; throws {@link ReplayError} if it cannot be applied. */
  feed(rec: LogRecord, line: number): ReplayItem {
    switch (rec.kind) {
      case 'domain': {
        if (!rec.rotated || !this.domains.has(rec.d))
          this.domains.set(rec.d, {
            header: rec,
            state: initialDomainState(rec.settings, rec.seed, rec.now),
            open: new Set(),
            partial: rec.rotated,
          });
        return { kind: 'domain', line, header: rec };
      }
      case 'out':
        this.domain(rec.d, line);
        return { kind: 'out', line, out: rec };
      case 'snapshot': {
        const dom = this.domain(rec.d, line);
        const adopted = dom.partial || rec.seq !== this.lastSeq;
        if (adopted)
          this.domains.set(rec.d, {
            header: dom.header,
            state: rec.state,
            // between events the interpreter has exactly the core's connections open
            open: new Set(rec.state.conns.keys()),
            partial: false,
          });
        return { kind: 'snapshot', line, snapshot: rec, adopted };
      }
      case 'event': {
        const step = this.step(this.domain(rec.d, line), rec.d, rec.seq, rec.event, line);
        this.lastSeq = rec.seq;
        return { kind: 'step', step };
      }
    }
  }

  private domain(d: number, line: number): ReplayDomain {
    const dom = this.domains.get(d);
    if (dom === undefined) throw new ReplayError(line, `record for domain ${d} before its header`);
    return dom;
  }

  private step(dom: ReplayDomain, domain: number, seq: number, event: Event, line: number): ReplayStep {
    const prev = dom.state;
    let state: DomainState;
    let effects: readonly Effect[];
    try {
      [state, effects] = reduceAll(prev, [event]);
    } catch (e) {
      throw new ReplayError(line, `reducer failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    dom.state = state;
    if (event.type === 'accepted') dom.open.add(event.conn);
    const shutdown = event.type === 'closed' && event.cause === 'shutdown';
    const changes: DirectoryChange[] = [];
    const delivered: SendEffect[] = [];
    for (const f of effects) {
      if (f.type === 'change') changes.push(f.change);
      else if (f.type === 'send' && !shutdown && dom.open.has(f.conn)) delivered.push(f);
      else if (f.type === 'close') dom.open.delete(f.conn);
    }
    if (event.type === 'closed') dom.open.delete(event.conn);
    return { seq, line, domain, at: event.now, event, prev, state, effects, changes, delivered };
  }
}

/**
 * The replay engine: folds decoded log records through the same reducer as the live server, with no sockets and no
 * timers (time only comes from the recorded events). Mutable only in which state each domain is at; every step
 * carries the immutable states before and after.
 *
 * A domain starts from its header's initial state, or from a state snapshot: at the top of a rotated file (the
 * replay began there, or events are missing before it), or where a seek starts ({@link Replayer.start}). A snapshot
 * of a state the replay already has, or has passed (periodic snapshots land a little after their `seq`), is ignored.
 *
 * Events can be folded one at a time ({@link Replayer.feed}: a step with the states before and after) or many per
 * reducer call ({@link Replayer.feedBatch}: one immer `produce` for the lot, which is what the live server does per
 * event-loop turn; the reducer is deterministic per event, so the states and effects are the same). A batch that
 * turns out to matter can be re-run event by event from its `prev` state ({@link Replayer.expand}).
 *
 * It also mirrors the effect interpreter's bookkeeping to know which `send` effects the live server really
 * delivered (and so recorded): only to connections still open, and none while shutting down (`stop()` does not
 * interpret the effects of the final `closed`/`shutdown` batch). Effect kinds it does not know are passed through.
 *
 * @example
 * const r = new Replayer();
 * for (const [i, text] of lines.entries()) {
 *   const rec = decodeLine(text);
 *   if (rec._tag === 'Right') { const item = r.feed(rec.right, i + 1); }
 * }
 */
import type { DirectoryChange, Effect } from '../state/effects';
import type { Event } from '../state/events';
import type { ConnId, DomainState } from '../state/model';
import { PafReplayError } from '../errors';
import { initialDomainState, reduceAll } from '../protocol/reducer';
import { type CloseRule, SLICE } from '../state/work';
import type { EventRecord, HeaderRecord, LogRecord, OutRecord, SnapshotRecord } from './event-codec';

/** A log that cannot be replayed further: `line` is 1-based; every step before it was replayed (the public class itself, so users see `PafReplayError`). */
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

/** Consecutive events of one domain folded in one reducer call. */
export interface ReplayBatch {
  readonly domain: number;
  readonly records: readonly EventRecord[];
  /** 1-based line of each record. */
  readonly lines: readonly number[];
  readonly prev: DomainState;
  readonly state: DomainState;
  readonly effects: readonly Effect[];
  readonly delivered: readonly SendEffect[];
  /** Connections the batch closed (to rebuild the open set before it). */
  readonly closed: readonly ConnId[];
}

/**
 * Sees each event of a batch once it is folded: its record and line, the domain's state then (read during the call
 * only), and the batch's effects so far, of which the event's are `effects[from]` onwards.
 */
export type BatchObserver = (
  rec: EventRecord,
  line: number,
  state: DomainState,
  effects: readonly Effect[],
  from: number,
) => void;

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
  lastSeq = -1;

  /** Forget every domain (before starting over from a checkpoint). */
  reset(): void {
    this.domains.clear();
    this.lastSeq = -1;
  }

  /** Continue domain `header.d` from a snapshot (a seek); later events follow `snapshot.seq`. */
  start(header: HeaderRecord, snapshot: SnapshotRecord): void {
    this.domains.set(header.d, fromSnapshot(header, snapshot));
    this.lastSeq = Math.max(this.lastSeq, snapshot.seq);
  }

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
        // adopted when what came before is unknown or missing; a snapshot of a state already replayed is ignored
        const adopted = dom.partial || rec.seq > this.lastSeq;
        if (adopted) this.domains.set(rec.d, fromSnapshot(dom.header, rec));
        return { kind: 'snapshot', line, snapshot: rec, adopted };
      }
      case 'event': {
        const step = this.step(this.domain(rec.d, line), rec, line);
        this.lastSeq = rec.seq;
        return { kind: 'step', step };
      }
    }
  }

  /**
   * Fold consecutive event records of one domain in one reducer call (no per-event states). A `closed` event must
   * be alone in its batch (a connection's end is where the interpreter's bookkeeping needs event order). `quiet`:
   * for a consumer that reads no messages, the batch has no `send` effects and nothing `delivered` (the reducer
   * builds no message objects); its states and other effects are the same.
   */
  feedBatch(
    records: readonly EventRecord[],
    lines: readonly number[],
    each?: BatchObserver,
    quiet = false,
  ): ReplayBatch {
    const first = records[0]!;
    const dom = this.domain(first.d, lines[0]!);
    const prev = dom.state;
    let state: DomainState;
    let effects: readonly Effect[];
    const events = records.map((r) => r.event);
    try {
      [state, effects] = reduceAll(
        prev,
        events,
        workBudget(dom.header),
        each && ((i, st, fx, from) => each(records[i]!, lines[i]!, st, fx, from)),
        quiet,
        closeRule(dom.header),
      );
    } catch {
      // find the event that fails, replaying the batch event by event (it throws with that event's line)
      this.expand({ domain: first.d, records, lines, prev, state: prev, effects: [], delivered: [], closed: [] });
      throw new ReplayError(lines[0]!, 'reducer failed');
    }
    dom.state = state;
    for (const e of events) if (e.type === 'accepted') dom.open.add(e.conn);
    const last = events[events.length - 1]!;
    const closed: ConnId[] = [];
    const delivered = deliver(dom, last, effects, closed);
    this.lastSeq = records[records.length - 1]!.seq;
    return { domain: first.d, records, lines, prev, state, effects, delivered, closed };
  }

  /**
   * The steps of a batch, event by event from its `prev` state (the same states and effects as the batch). Does
   * not change the replay's position; throws {@link ReplayError} if an event cannot be applied.
   */
  expand(batch: ReplayBatch): ReplayStep[] {
    const dom = this.domain(batch.domain, batch.lines[0]!);
    const scratch: ReplayDomain = { header: dom.header, state: batch.prev, open: new Set(dom.open), partial: false };
    for (const c of batch.closed) scratch.open.add(c);
    for (const r of batch.records) if (r.event.type === 'accepted') scratch.open.delete(r.event.conn);
    return batch.records.map((r, i) => this.step(scratch, r, batch.lines[i]!));
  }

  private domain(d: number, line: number): ReplayDomain {
    const dom = this.domains.get(d);
    if (dom === undefined) throw new ReplayError(line, `record for domain ${d} before its header`);
    return dom;
  }

  private step(dom: ReplayDomain, rec: EventRecord, line: number): ReplayStep {
    const event = rec.event;
    const prev = dom.state;
    let state: DomainState;
    let effects: readonly Effect[];
    try {
      [state, effects] = reduceAll(prev, [event], workBudget(dom.header), undefined, false, closeRule(dom.header));
    } catch (e) {
      throw new ReplayError(line, `reducer failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    dom.state = state;
    if (event.type === 'accepted') dom.open.add(event.conn);
    const changes: DirectoryChange[] = [];
    for (const f of effects) if (f.type === 'change') changes.push(f.change);
    const delivered = deliver(dom, event, effects);
    return { seq: rec.seq, line, domain: rec.d, at: event.now, event, prev, state, effects, changes, delivered };
  }
}

/** The work budget per event of the servers that wrote schema version 3 (lib/state/work.ts's `SLICE` then). */
export const SLICE_V3 = 512;

/**
 * The work budget of each event (lib/state/work.ts): what the server used when it recorded the log. Logs of a version
 * before sliced work (< 3) hold no `work` events: every event finished its work then, so it does on replay; version 3
 * was recorded with slices of {@link SLICE_V3} units, version 4 with the current `SLICE`.
 */
export const workBudget = (header: Pick<HeaderRecord, 'version'>): number =>
  header.version < 3 ? Infinity : header.version === 3 ? SLICE_V3 : SLICE;

/**
 * The close rule the server that wrote the log used (lib/state/work.ts `CloseRule`): 'gradual-compaction' from schema
 * version 9 on, 'sliced-unsubscribe' in version 8, 'close-first' in versions 6 and 7, 'after-queued' in version 5,
 * 'at-once' before (a log of version 1 or 2 finishes every event's work in that event either way).
 */
export const closeRule = (header: Pick<HeaderRecord, 'version'>): CloseRule =>
  header.version < 5
    ? 'at-once'
    : header.version === 5
      ? 'after-queued'
      : header.version < 8
        ? 'close-first'
        : header.version === 8
          ? 'sliced-unsubscribe'
          : 'gradual-compaction';

const fromSnapshot = (header: HeaderRecord, rec: SnapshotRecord): ReplayDomain => ({
  header,
  state: rec.state,
  // between events the interpreter has exactly the core's connections open
  open: new Set(rec.state.conns.keys()),
  partial: false,
});

/** The sends the interpreter delivered, in order; updates the open connections (`last`: the last event folded). */
const deliver = (dom: ReplayDomain, last: Event, effects: readonly Effect[], closed?: ConnId[]): SendEffect[] => {
  const delivered: SendEffect[] = [];
  const shutdown = last.type === 'closed' && last.cause === 'shutdown';
  const drop = (c: ConnId): void => {
    if (dom.open.delete(c)) closed?.push(c);
  };
  for (const f of effects) {
    if (f.type === 'send') {
      if (!shutdown && dom.open.has(f.conn)) delivered.push(f);
    } else if (f.type === 'close') drop(f.conn);
  }
  if (last.type === 'closed') drop(last.conn);
  return delivered;
};

const SNAPSHOT = /^\{"v":\d+,"kind":"snapshot","d":(\d{1,15}),"seq":(-?\d{1,16}),/;

/**
 * Whether a line is a snapshot of a state the replay already has or has passed (it would be ignored): such a line
 * is not decoded at all (a snapshot is as big as the directory). `lastSeq`: the last event read, when events read
 * are still waiting to be folded in a batch.
 */
export const passedSnapshot = (replayer: Replayer, text: string, lastSeq = replayer.lastSeq): boolean => {
  if (text.charCodeAt(2) !== 0x76 /* v */) return false;
  const m = SNAPSHOT.exec(text);
  if (m === null) return false;
  const dom = replayer.domains.get(Number(m[1]));
  return dom !== undefined && !dom.partial && Number(m[2]) <= lastSeq;
};

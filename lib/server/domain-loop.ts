/**
 * The serial loop of one domain, without its sockets: inputs, deadline ticks and work requests merged into one
 * stream, batched per event-loop turn, each turn folded by `fold` (reduce, interpret, publish): its inputs first,
 * then its closes as far as the turn's time budget allows (the rest carried into the next turn), then sliced work
 * while the budget lasts. DomainRuntime runs it on the real event loop; specs run it on virtual time.
 *
 *   inputs$ ───────────────────────────┐
 *   carried closes ────────────────────┤
 *   state$ ─ deadlineTicks ────────────┼─ merge ─ bufferTurn ─ drainTurns(fold) ─► turns
 *   turns ─ workRequests ──────────────┘                                            │
 *     ▲─────────────────────────────────────────────────────────────────────────────┘
 */
import {
  asyncScheduler,
  defer,
  map,
  merge,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  tap,
} from './rx';

import type { ClosedEvent, Event } from '../state/events';
import type { DomainState } from '../state/model';
import { workSlicesAtLeast } from '../state/work';
import { bufferTurn, type TurnScheduler } from './buffer-turn';
import type { Clock } from './clock';
import { deadlineTicks, workRequests } from './deadline-ticks';

/**
 * The wall time (ms, by the domain clock) one event-loop turn may spend on sliced work. A slice (lib/state/work.ts)
 * costs well under a millisecond on a quiet machine, so a turn runs a few of them and then yields to the sockets.
 */
export const TURN_BUDGET_MS = 3;

/** The cost of folding one `closed` event (ms) assumed before any was measured. */
export const CLOSE_COST_MS = 0.05;

/** A turn's batch sorted for folding: the other inputs in arrival order, the closes, the pending work request. */
const sortBatch = (batch: readonly Event[]): { inputs: Event[]; closes: ClosedEvent[]; work: Event | undefined } => {
  const inputs: Event[] = [];
  const closes: ClosedEvent[] = [];
  let work: Event | undefined;
  for (const e of batch) {
    if (e.type === 'closed') closes.push(e);
    // one work request is pending at a time (workRequests); a second would only ask for the same slices again
    else if (e.type === 'work') work ??= e;
    else inputs.push(e);
  }
  return { inputs, closes, work };
};

/** The cost of one `work` slice (ms) assumed before any was measured. */
export const WORK_COST_MS = 0.25;

/** The most `work` events folded as one batch. */
export const WORK_BATCH_MAX = 64;

/** `n` `work` events at `now`, after `first` if given (the turn's pending work request). */
const workBatch = (first: Event | undefined, n: number, now: number): Event[] => {
  const batch: Event[] = first !== undefined ? [first] : [];
  while (batch.length < n) batch.push({ type: 'work', now });
  return batch;
};

/**
 * One event-loop turn of the domain, in this order:
 * 0. when the turn has more than one close (a wave of closes, carried ones included), a `closing` event naming the
 *    connections of those not named by an earlier one: until its close is folded, no connection of a wave is told
 *    of a directory change (lib/state/notify.ts), neither by the inputs folded before the closes nor by an expiry
 *    or message folded while closes are carried over turns (issue 13). A lone close needs none;
 * 1. the turn's inputs other than closes and work requests (messages, accepts, ticks, in arrival order) as one
 *    batch: a bystander's ping is answered first, however much else the turn has to do;
 * 2. the closes, in chunks sized by their measured cost (a running average of the fold time per close, reducer,
 *    effects and the transport's close included) to fit what is left of the turn's time budget (`budgetMs`, by
 *    `clock`, in seconds); at least one chunk a turn. Closes that do not fit are handed to `carry` (the loop feeds
 *    them back as inputs of the next turn, so messages that arrive meanwhile are served before them). While closes
 *    are pending no work slice runs: the orphaning of a mass disconnect is done once every subscriber that went
 *    with it has gone, so no notification is built for them (issue 13);
 * 3. the pending `work` event, with as many more `work` events in the same batch as fit what is left of the budget
 *    by the measured cost of a slice (the dearer of a running average, as for closes, and the last batch's), as the
 *    state needs at least (`more`: 0 when it has no work; so no event of the batch finds nothing to do), and at most
 *    twice the last batch (1 when work starts: slow start); at least the pending one (the slice it asked for always
 *    runs, so work progresses);
 * 4. while the state still has work and the budget lasts, more batches of `work` events, sized the same way.
 * Each fold is a batch of its own, recorded as such (a log replays exactly: the reducer folds a batch event by
 * event), its effects written before the next runs (the budget covers encoding and queueing too). A batch of slices
 * costs one reducer call (one transient edit of the tries, lib/util/hamt.ts), one write per connection and one
 * published state, where a batch per slice cost one each (orphan17). A batch that leaves the state as it was (it
 * threw and was dropped, see safe-reduce.ts) ends the turn, and `workRequests` retries it with back-off.
 * Without `carry` every close is folded in the turn (in chunks). Emits the state after each turn.
 */
export const drainTurns =
  <S>(
    fold: (batch: Event[]) => S,
    more: (s: S) => number,
    clock: Clock,
    budgetMs: number = TURN_BUDGET_MS,
    carry?: (closes: Event[]) => void,
  ): OperatorFunction<Event[], S> =>
  (batches$) =>
    defer(() => {
      let perClose = CLOSE_COST_MS;
      let perSlice = WORK_COST_MS;
      // the last slice's cost (ms): a batch is sized by the dearer of it and the average
      let lastSlice = WORK_COST_MS;
      // the most slices the next batch may hold: 1 when work starts, then twice the last batch's (a first wave runs
      // cold code, its slices dearer than any measured before: the batches grow as their cost is measured)
      let grow = 1;
      // the state after the last fold (only folds change it): what a turn of a lone work event starts from
      let last: S | undefined;
      // connections named by a `closing` event whose closes are not folded yet
      const marked = new Set<number>();
      return batches$.pipe(
        map((batch) => {
          const t0 = clock();
          const left = (): number => budgetMs - (clock() - t0) * 1000;
          const { inputs, closes, work } = sortBatch(batch);
          let s: S | undefined;
          if (closes.length > 1) {
            const conns: number[] = [];
            for (const e of closes) if (!marked.has(e.conn)) conns.push(e.conn);
            if (conns.length > 0) {
              for (const c of conns) marked.add(c);
              // at the turn's earliest time: the inputs folded after it keep their own (time never runs backwards)
              let now = Infinity;
              for (const e of batch) if (e.now < now) now = e.now;
              s = fold([{ type: 'closing', now, conns }]);
            }
          }
          if (inputs.length > 0) s = fold(inputs);
          for (let i = 0; i < closes.length;) {
            const room = left();
            if (i > 0 && room < perClose && carry !== undefined) {
              carry(closes.slice(i));
              last = s;
              return s!; // a chunk was folded
            }
            // the turn's first chunk may take half the budget even if its inputs spent it: closes always progress
            const fits = Math.floor((i === 0 ? Math.max(room, budgetMs / 2) : room) / perClose + 1e-9);
            const n = Math.max(1, Math.min(closes.length - i, fits));
            const c0 = clock();
            const chunk = closes.slice(i, i + n);
            s = fold(chunk);
            if (marked.size > 0) for (const e of chunk) marked.delete(e.conn);
            // the cost per close, averaged over the last chunks (never 0: a clock that did not move measures nothing)
            perClose = Math.max(0.001, (perClose + ((clock() - c0) * 1000) / n) / 2);
            i += n;
          }
          let pending = work;
          for (;;) {
            const cur = s ?? last;
            const need = cur === undefined ? 0 : more(cur);
            const room = left();
            if (need === 0) grow = 1;
            if (pending === undefined && (need === 0 || room <= 0)) break;
            const fits = Math.floor(room / Math.max(perSlice, lastSlice) + 1e-9);
            const n = Math.max(1, Math.min(grow, need, fits));
            const c0 = clock();
            const before = s;
            s = fold(workBatch(pending, n, c0));
            pending = undefined;
            lastSlice = Math.max(0.001, ((clock() - c0) * 1000) / n);
            perSlice = (perSlice + lastSlice) / 2;
            grow = Math.min(WORK_BATCH_MAX, 2 * n);
            if (s === before) break;
          }
          last = s;
          return s!; // a batch holds at least one event, so something was folded
        }),
      );
    });

export interface DomainLoopOptions {
  /** Timers of the deadline ticks and of work retries (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The end of the current event-loop turn (default `setImmediate`). */
  readonly turn?: TurnScheduler;
  /** Time budget of one turn's sliced work, ms ({@link TURN_BUDGET_MS}). */
  readonly budgetMs?: number;
}

/**
 * The loop: `state$` is the published state (it drives the deadline timer; `fold` publishes it), the result the state
 * after every turn, changed or not (a turn that made no progress on pending work is retried, see `workRequests`).
 */
export const domainLoop = (
  inputs$: Observable<Event>,
  state$: Observable<DomainState>,
  fold: (batch: Event[]) => DomainState,
  clock: Clock,
  opts: DomainLoopOptions = {},
): Observable<DomainState> =>
  defer(() => {
    const scheduler = opts.scheduler ?? asyncScheduler;
    const turns$ = new Subject<DomainState>();
    // closes a turn had no time for, folded in the next turn
    const carried$ = new Subject<Event>();
    return merge(
      inputs$,
      carried$,
      deadlineTicks(state$, clock, scheduler),
      workRequests(turns$, clock, scheduler),
    ).pipe(
      bufferTurn(opts.turn),
      drainTurns(fold, workSlicesAtLeast, clock, opts.budgetMs, (closes) => {
        for (const e of closes) carried$.next(e);
      }),
      tap((s) => turns$.next(s)),
    );
  });

/**
 * The serial loop of one domain, without its sockets: inputs, deadline ticks and work requests merged into one
 * stream, batched per event-loop turn, each turn folded by `fold` (reduce, interpret, publish) with more sliced work
 * while the turn's time budget lasts. DomainRuntime runs it on the real event loop; specs run it on virtual time.
 *
 *   inputs$ ───────────────────────────┐
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

import type { Event } from '../state/events';
import type { DomainState } from '../state/model';
import { hasWork } from '../state/work';
import { bufferTurn, type TurnScheduler } from './buffer-turn';
import type { Clock } from './clock';
import { deadlineTicks, workRequests } from './deadline-ticks';

/**
 * The wall time (ms, by the domain clock) one event-loop turn may spend on sliced work. A slice (lib/state/work.ts)
 * costs well under a millisecond on a quiet machine, so a turn runs a few of them and then yields to the sockets.
 */
export const TURN_BUDGET_MS = 3;

/**
 * One event-loop turn of the domain: `fold` the turn's batch, then, while the state still has work (`more`) and less
 * than `budgetMs` has passed since the turn began (by `clock`, in seconds), fold one more batch of a single `work`
 * event. Each slice is a `work` event of its own, recorded like any input (a log replays exactly), and its effects
 * are written before the next slice runs (the budget covers encoding and queueing too). The batch always runs whole,
 * so a turn with pending work runs at least the slice its batch asked for; a slice that leaves the state as it was
 * (it threw and was dropped, see safe-reduce.ts) ends the turn, and `workRequests` retries it with back-off.
 * Emits the state after each turn.
 */
export const drainTurns =
  <S>(
    fold: (batch: Event[]) => S,
    more: (s: S) => boolean,
    clock: Clock,
    budgetMs: number = TURN_BUDGET_MS,
  ): OperatorFunction<Event[], S> =>
  (batches$) =>
    batches$.pipe(
      map((batch) => {
        const t0 = clock();
        let s = fold(batch);
        while (more(s)) {
          const now = clock();
          if ((now - t0) * 1000 >= budgetMs) break;
          const before = s;
          s = fold([{ type: 'work', now }]);
          if (s === before) break;
        }
        return s;
      }),
    );

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
    return merge(inputs$, deadlineTicks(state$, clock, scheduler), workRequests(turns$, clock, scheduler)).pipe(
      bufferTurn(opts.turn),
      drainTurns(fold, hasWork, clock, opts.budgetMs),
      tap((s) => turns$.next(s)),
    );
  });

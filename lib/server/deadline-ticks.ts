/**
 * Deadlines derived from state become one timer stream (style guide 3.8): whenever the earliest deadline
 * of the domain changes, the pending timer is replaced; when it fires, a `tick` event carries the time. No
 * per-service or per-connection timers exist anywhere.
 */
import {
  asyncScheduler,
  distinctUntilChanged,
  EMPTY,
  map,
  type Observable,
  type SchedulerLike,
  of,
  scan,
  switchMap,
  timer,
} from './rx';

import type { TickEvent, WorkEvent } from '../state/events';
import { heapPeek } from '../util/heap';
import { orphanQueuePeek } from '../state/orphan-queue';
import { hasWork } from '../state/work';
import type { DomainState } from '../state/model';
import type { Clock } from './clock';

/**
 * The time the deadline timer must wake the domain at: the earliest connection timer, or orphan expiry still to
 * come. An orphan expiry already due by the state's time is sliced work (`hasWork`): the `work` events that
 * {@link workRequests} asks for after the turn expire it in the next slice, so no timer (and no extra `tick`
 * event folded with its own budget in the same turn) is armed for it.
 */
export const timerDeadline = (s: Pick<DomainState, 'timerQueue' | 'orphanQueue' | 'now'>): number | undefined => {
  const t = heapPeek(s.timerQueue)?.at;
  const o = orphanQueuePeek(s.orphanQueue)?.at;
  if (o === undefined || o <= s.now) return t;
  return t === undefined || o < t ? o : t;
};

export const deadlineTicks = (
  state$: Observable<DomainState>,
  clock: Clock,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<TickEvent> =>
  state$.pipe(
    map(timerDeadline),
    distinctUntilChanged(),
    switchMap((at) =>
      at === undefined
        ? EMPTY
        : timer(Math.max(0, Math.ceil((at - clock()) * 1000)), scheduler).pipe(
            // a timer may fire a hair early: the tick is for `at`, so it carries at least `at`
            map((): TickEvent => ({ type: 'tick', now: Math.max(clock(), at) })),
          ),
    ),
  );

/** The longest pause between retries of a `work` event that made no progress (it threw and was dropped). */
export const WORK_RETRY_MAX_MS = 1000;

/**
 * Sliced work (lib/state/work.ts): after every turn whose state still has work left, one `work` event asks for the
 * next turn's slices. The event goes through `bufferTurn` like any input, so it runs in a later event-loop turn and
 * the messages of other connections that arrived meanwhile are served in between (the same batch, after its slice);
 * within that turn `drainTurns` (./domain-loop.ts) runs more slices while the turn's time budget lasts.
 * A slice always changes the state, so the requests stop exactly when the work is done.
 *
 * `turns$` emits the state after every folded batch, changed or not: a turn that leaves the state as it was while
 * work is pending had its `work` event dropped (the reducer threw on it, see safe-reduce.ts), so the work is asked
 * for again — after 1, 2, 4 … ms (at most {@link WORK_RETRY_MAX_MS}) while that repeats, and at once after any turn
 * that changed the state. No job is ever left waiting for an unrelated input.
 */
export const workRequests = (
  turns$: Observable<DomainState>,
  clock: Clock,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<WorkEvent> =>
  turns$.pipe(
    scan(
      (acc: { readonly s: DomainState | undefined; readonly stuck: number }, s: DomainState) => ({
        s,
        stuck: s === acc.s ? acc.stuck + 1 : 0,
      }),
      { s: undefined, stuck: 0 },
    ),
    switchMap(({ s, stuck }) => {
      if (s === undefined || !hasWork(s)) return EMPTY;
      const work = (): WorkEvent => ({ type: 'work', now: clock() });
      return stuck === 0 ? of(work()) : timer(Math.min(WORK_RETRY_MAX_MS, 2 ** (stuck - 1)), scheduler).pipe(map(work));
    }),
  );

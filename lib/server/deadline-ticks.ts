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
  filter,
  switchMap,
  timer,
} from 'rxjs';

import type { TickEvent, WorkEvent } from '../state/events';
import { nextDeadline } from '../state/idle';
import { hasWork } from '../state/work';
import type { DomainState } from '../state/model';
import type { Clock } from './clock';

export const deadlineTicks = (
  state$: Observable<DomainState>,
  clock: Clock,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<TickEvent> =>
  state$.pipe(
    map(nextDeadline),
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

/**
 * Sliced work (lib/state/work.ts): every state that still has work left asks for the next slice with one `work`
 * event. The event goes through `bufferTurn` like any input, so the slice runs in a later event-loop turn and the
 * messages of other connections that arrived meanwhile are served in between (the same batch, before the slice).
 * A slice always changes the state, so the requests stop exactly when the work is done.
 */
export const workRequests = (state$: Observable<DomainState>, clock: Clock): Observable<WorkEvent> =>
  state$.pipe(
    filter(hasWork),
    map((): WorkEvent => ({ type: 'work', now: clock() })),
  );

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
  switchMap,
  timer,
} from 'rxjs';

import type { TickEvent } from '../state/events';
import { nextDeadline } from '../state/idle';
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

/**
 * The part of rxjs the server runs on, imported module by module. `import … from 'rxjs'` loads all of rxjs (223
 * modules, every operator): ~2 MB of an idle daemon's RSS for code it never runs (issue 12, idle RSS; bench/README.md).
 * The deep paths are rxjs 7's exported `rxjs/internal/*` (package.json `exports`); the classes are the very ones
 * `rxjs` re-exports, so values mix freely with a caller's rxjs. lib/server imports rxjs only through this file
 * (eslint `no-restricted-imports`); add what a new operator needs here. The modules are required by file name
 * ({@link rxjsInternal}: Node's ESM resolver, which a bare `rxjs/...` specifier loads, is not; idle RSS -0.34 MB),
 * the types imported as usual.
 */
import type * as BehaviorSubjectModule from 'rxjs/internal/BehaviorSubject';
import type * as ObservableModule from 'rxjs/internal/Observable';
import type * as SubjectModule from 'rxjs/internal/Subject';
import type * as DeferModule from 'rxjs/internal/observable/defer';
import type * as EmptyModule from 'rxjs/internal/observable/empty';
import type * as MergeModule from 'rxjs/internal/observable/merge';
import type * as OfModule from 'rxjs/internal/observable/of';
import type * as TimerModule from 'rxjs/internal/observable/timer';
import type * as AsyncModule from 'rxjs/internal/scheduler/async';
import type * as DistinctUntilChangedModule from 'rxjs/internal/operators/distinctUntilChanged';
import type * as FilterModule from 'rxjs/internal/operators/filter';
import type * as MapModule from 'rxjs/internal/operators/map';
import type * as MergeMapModule from 'rxjs/internal/operators/mergeMap';
import type * as ScanModule from 'rxjs/internal/operators/scan';
import type * as SwitchMapModule from 'rxjs/internal/operators/switchMap';
import type * as TapModule from 'rxjs/internal/operators/tap';

import { rxjsInternal } from '../transport/rxjs-internal';

export type { Subscription } from 'rxjs/internal/Subscription';
export type { OperatorFunction, SchedulerLike } from 'rxjs/internal/types';

export const { BehaviorSubject } = rxjsInternal<typeof BehaviorSubjectModule>('BehaviorSubject');
export type BehaviorSubject<T> = BehaviorSubjectModule.BehaviorSubject<T>;
export const { Observable } = rxjsInternal<typeof ObservableModule>('Observable');
export type Observable<T> = ObservableModule.Observable<T>;
export const { Subject } = rxjsInternal<typeof SubjectModule>('Subject');
export type Subject<T> = SubjectModule.Subject<T>;

export const { defer } = rxjsInternal<typeof DeferModule>('observable/defer');
export const { EMPTY } = rxjsInternal<typeof EmptyModule>('observable/empty');
export const { merge } = rxjsInternal<typeof MergeModule>('observable/merge');
export const { of } = rxjsInternal<typeof OfModule>('observable/of');
export const { timer } = rxjsInternal<typeof TimerModule>('observable/timer');
export const { asyncScheduler } = rxjsInternal<typeof AsyncModule>('scheduler/async');

export const { distinctUntilChanged } = rxjsInternal<typeof DistinctUntilChangedModule>(
  'operators/distinctUntilChanged',
);
export const { filter } = rxjsInternal<typeof FilterModule>('operators/filter');
export const { map } = rxjsInternal<typeof MapModule>('operators/map');
export const { mergeMap } = rxjsInternal<typeof MergeMapModule>('operators/mergeMap');
export const { scan } = rxjsInternal<typeof ScanModule>('operators/scan');
export const { switchMap } = rxjsInternal<typeof SwitchMapModule>('operators/switchMap');
export const { tap } = rxjsInternal<typeof TapModule>('operators/tap');

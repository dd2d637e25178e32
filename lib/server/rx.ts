/**
 * The part of rxjs the server runs on, imported module by module. `import … from 'rxjs'` loads all of rxjs (223
 * modules, every operator): ~2 MB of an idle daemon's RSS for code it never runs (issue 12, idle RSS; bench/README.md).
 * The deep paths are rxjs 7's exported `rxjs/internal/*` (package.json `exports`); the classes are the very ones
 * `rxjs` re-exports, so values mix freely with a caller's rxjs. lib/server imports rxjs only through this file
 * (eslint `no-restricted-imports`); add what a new operator needs here.
 */
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export type { Subscription } from 'rxjs/internal/Subscription';
export type { OperatorFunction, SchedulerLike } from 'rxjs/internal/types';

export { defer } from 'rxjs/internal/observable/defer';
export { EMPTY } from 'rxjs/internal/observable/empty';
export { merge } from 'rxjs/internal/observable/merge';
export { of } from 'rxjs/internal/observable/of';
export { timer } from 'rxjs/internal/observable/timer';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';

export { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
export { filter } from 'rxjs/internal/operators/filter';
export { map } from 'rxjs/internal/operators/map';
export { mergeMap } from 'rxjs/internal/operators/mergeMap';
export { scan } from 'rxjs/internal/operators/scan';
export { switchMap } from 'rxjs/internal/operators/switchMap';
export { tap } from 'rxjs/internal/operators/tap';

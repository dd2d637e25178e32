/**
 * `rxpaf/replay`: re-run an event log recorded with `rxpafd --record <file>` through the server's reducer, in
 * virtual time, as an Observable of steps.
 *
 * @example
 * import { changes$, readLines$, replay$ } from 'rxpaf/replay';
 * replay$(readLines$(['events.ndjson']))
 *   .pipe(changes$)
 *   .subscribe((c) => console.log(c.seq, c.change.kind));
 *
 * @packageDocumentation
 * @module rxpaf/replay
 */
export { changes$, replay$, type ChangeAt } from './replay';
export type { ReplayStep } from './replay-core';
export { readLines$, type ReadOptions } from './replay-read';
export { rotatedFiles } from './record-rotate';
export type { Service, ServiceChange, ServiceProps, PropValue } from '../model';
export { PafError, PafReplayError, type PafErrorCode } from '../errors';
export { toJson } from '../json';

/**
 * `rxpaf/replay`: replay a recorded event log in process. `readLines$(files)` streams a log's lines (gzipped files
 * too), `replay$(lines$)` turns them into steps in the public model.
 *
 * @packageDocumentation
 * @module rxpaf/replay
 *
 * @example
 * import { readLines$, replay$ } from 'rxpaf/replay';
 * replay$(readLines$(['events.ndjson'])).subscribe((s) => console.log(s.seq, s.input.type, s.changes.length));
 */
export { replay$, type ReplayStep, type ReplayInput, type ReplaySent, type ReplayCounts } from './replay-public';
export { readLines$, type ReadOptions } from './replay-read';
export type { Service, ServiceChange, ServiceProps, PropValue } from '../model';
export { PafError, PafReplayError } from '../errors';
export { toJson } from '../json';

/**
 * Replay a recorded event log (./record.ts) through the reducer, in virtual time: the library API.
 *
 * Input is the log's lines (text, without the newline); blank lines are skipped. The first line that is not a valid
 * record (corrupt, truncated by a crash, wrong schema version) or cannot be applied stops the replay with a
 * {@link ReplayError} naming its 1-based line number, after every step before it has been delivered: iterators
 * throw it, observables emit it as their error notification.
 *
 * @example
 * // how many services were orphaned, per domain
 * replay$(readLines$(['events.ndjson']))
 *   .pipe(changes$, filter((c) => c.change.kind === 'modified' && c.change.after.orphanSince !== undefined), count())
 *   .subscribe((n) => console.log(n));
 */
import * as E from 'fp-ts/Either';
import { filter, map, mergeMap, Observable, from, type OperatorFunction } from 'rxjs';

import type { DirectoryChange } from '../state/effects';
import type { Event } from '../state/events';
import type { DomainState } from '../state/model';
import { decodeLine } from './event-codec';
import { Replayer, ReplayError, type ReplayItem, type ReplayStep } from './replay-core';

export { Replayer, ReplayError, type ReplayItem, type ReplayStep, type SendEffect } from './replay-core';

/** Feed one line to a replayer: `undefined` for a blank line; throws {@link ReplayError} for a bad one. */
export const replayLine = (r: Replayer, text: string, line: number): ReplayItem | undefined => {
  if (text.trim() === '') return undefined;
  const rec = decodeLine(text.endsWith('\r') ? text.slice(0, -1) : text);
  if (E.isLeft(rec)) throw new ReplayError(line, rec.left);
  return r.feed(rec.right, line);
};

/** Every item (headers, steps, outbound messages) of a log, in order; throws {@link ReplayError} at a bad line. */
export function* replayItems(lines: Iterable<string>, replayer = new Replayer()): Generator<ReplayItem> {
  let n = 0;
  for (const text of lines) {
    const item = replayLine(replayer, text, ++n);
    if (item !== undefined) yield item;
  }
}

/** The replayed steps of a log (pure once the lines are read); throws {@link ReplayError} at a bad line. */
export function* replayLines(lines: Iterable<string>): Generator<ReplayStep> {
  for (const item of replayItems(lines)) if (item.kind === 'step') yield item.step;
}

/** Every item of a log, as an Observable of its lines; errors with a {@link ReplayError} at a bad line. */
export const replayItems$ = (lines$: Observable<string>, given?: Replayer): Observable<ReplayItem> =>
  new Observable<ReplayItem>((subscriber) => {
    const replayer = given ?? new Replayer(); // a replayer of its own per subscription (cold)
    let n = 0;
    return lines$.subscribe({
      next: (text) => {
        let item: ReplayItem | undefined;
        try {
          item = replayLine(replayer, text, ++n);
        } catch (e) {
          subscriber.error(e instanceof ReplayError ? e : new ReplayError(n, String(e)));
          return;
        }
        if (item !== undefined) subscriber.next(item);
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
  });

/** The replayed steps of a log, as an Observable of its lines; errors with a {@link ReplayError} at a bad line. */
export const replay$ = (lines$: Observable<string>): Observable<ReplayStep> =>
  replayItems$(lines$).pipe(
    filter((i): i is Extract<ReplayItem, { kind: 'step' }> => i.kind === 'step'),
    map((i) => i.step),
  );

/** A domain's state after an event. */
export interface StateAt {
  readonly seq: number;
  readonly domain: number;
  readonly at: number;
  readonly state: DomainState;
}
/** One directory change and the event that caused it. */
export interface ChangeAt {
  readonly seq: number;
  readonly domain: number;
  readonly at: number;
  readonly event: Event;
  readonly change: DirectoryChange;
}

/** The state after every step that changed it. */
export const states$: OperatorFunction<ReplayStep, StateAt> = (steps$) =>
  steps$.pipe(
    filter((s) => s.state !== s.prev),
    map(({ seq, domain, at, state }) => ({ seq, domain, at, state })),
  );

/** Every directory change (service added, modified, removed), with its cause. */
export const changes$: OperatorFunction<ReplayStep, ChangeAt> = (steps$) =>
  steps$.pipe(
    mergeMap(({ seq, domain, at, event, changes }) =>
      from(changes.map((change) => ({ seq, domain, at, event, change }))),
    ),
  );

/** Split text into lines (a trailing newline does not make an extra line). */
export const splitLines = (text: string): string[] => {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

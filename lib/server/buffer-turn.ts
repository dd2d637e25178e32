/**
 * `bufferTurn()`: collect the values emitted during one event-loop turn (e.g. every frame of every socket read in
 * one poll phase) and emit them as one array when the turn ends, so the reducer folds them in one immer step and
 * each socket gets one write per turn.
 */
import { Observable, type OperatorFunction } from './rx';

/** Schedules a callback at the end of the current turn (default `setImmediate`). */
export type TurnScheduler = (fn: () => void) => void;

export const bufferTurn =
  <T>(schedule: TurnScheduler = setImmediate): OperatorFunction<T, T[]> =>
  (source) =>
    new Observable<T[]>((subscriber) => {
      let buf: T[] = [];
      let scheduled = false;
      const flush = (): void => {
        scheduled = false;
        if (buf.length === 0 || subscriber.closed) return;
        const out = buf;
        buf = [];
        subscriber.next(out);
      };
      const sub = source.subscribe({
        next: (v) => {
          buf.push(v);
          if (!scheduled) {
            scheduled = true;
            schedule(flush);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });

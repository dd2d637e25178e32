/**
 * `mergeEach(project)`: `mergeMap(project)` for many long-lived inner streams (one per connection). rxjs's mergeMap
 * chains each inner subscriber to the outer one, which keeps them in an array: the end of every inner stream is a
 * search and a splice of that array, so a mass disconnect of N connections costs N^2 (1,000 closes: ~20 µs each in
 * one event-loop turn, issue 13). Here the inner subscriptions are kept in a Set. Same semantics otherwise: values of
 * every inner stream as they come, an error of any ends everything, complete once the source and every inner stream
 * have completed, unsubscribing tears every inner stream down.
 */
import { Observable, type OperatorFunction, type Subscription } from './rx';

export const mergeEach =
  <T, R>(project: (value: T) => Observable<R>): OperatorFunction<T, R> =>
  (source) =>
    new Observable<R>((out) => {
      const inner = new Set<Subscription>();
      let sourceDone = false;
      const fail = (e: unknown): void => out.error(e);
      const sub = source.subscribe({
        next: (value) => {
          // the inner subscription, once `subscribe` returned (a stream may complete while subscribing)
          const ref: { s?: Subscription; done?: boolean } = {};
          const s = project(value).subscribe({
            next: (r) => out.next(r),
            error: fail,
            complete: () => {
              ref.done = true;
              if (ref.s !== undefined) inner.delete(ref.s);
              if (sourceDone && inner.size === 0) out.complete();
            },
          });
          if (ref.done === true || out.closed) s.unsubscribe();
          else inner.add((ref.s = s));
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          if (inner.size === 0) out.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        for (const s of inner) s.unsubscribe();
        inner.clear();
      };
    });

/**
 * mergeEach (lib/server/merge-each.ts): the same values, errors and completion, at the same virtual times, as rxjs's
 * mergeMap; inner subscriptions are torn down as they end and when the result is unsubscribed.
 */
import { mergeMap, type Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { mergeEach } from '../../lib/server/merge-each';

type Op = (project: (v: string) => Observable<string>) => OperatorFunction<string, string>;

/** What `op` emits (virtual time, kind, value) for a hot source and cold inner streams, unsubscribed at `unsubAt`. */
const record = (op: Op, src: string, inner: Record<string, string>, unsubAt?: number): unknown[] => {
  const got: unknown[] = [];
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ cold, hot, flush }) => {
    const sub = hot(src)
      .pipe(op((v) => cold(inner[v]!)))
      .subscribe({
        next: (v) => got.push([ts.now(), 'next', v]),
        error: (e: unknown) => got.push([ts.now(), 'error', e]),
        complete: () => got.push([ts.now(), 'complete']),
      });
    if (unsubAt !== undefined) ts.schedule(() => sub.unsubscribe(), unsubAt);
    flush();
  });
  return got;
};

describe('mergeEach', () => {
  const cases: Array<[string, Record<string, string>, number | undefined]> = [
    ['-a--b---c--|', { a: 'x-y-|', b: '-z--w|', c: '|' }, undefined],
    ['-a--b-|', { a: 'x-------y|', b: 'z|' }, undefined],
    ['-a--b---|', { a: 'x--#', b: '-z-----|' }, undefined],
    ['-a--b----c-', { a: 'x-y-z-w-v-', b: '-u-u-u-u-', c: 'q|' }, 7],
    ['-a-#', { a: 'x-y-z' }, undefined],
    ['-a---', { a: '#' }, undefined],
    ['-a-b-c-|', { a: '|', b: 'x|', c: '---y--|' }, undefined],
  ];

  it.each(cases)('behaves as mergeMap: source %s, inner %j', (src, inner, unsubAt) => {
    const expected = record(mergeMap as Op, src, inner, unsubAt);
    expect(expected.length).toBeGreaterThan(0);
    expect(record(mergeEach as Op, src, inner, unsubAt)).toEqual(expected);
  });

  it('unsubscribes every inner stream when unsubscribed, and each one as it ends', () => {
    const got: string[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot, expectSubscriptions }) => {
      const a = cold('x-y-z-w-v-u-t');
      const b = cold('z|');
      const c = cold('q-r-s-t-u-v-w');
      const streams: Record<string, typeof a> = { a, b, c };
      const out = hot('-a-b-c-------').pipe(mergeEach((v: string) => streams[v]!));
      const sub = out.subscribe((v) => got.push(v));
      hot('--------a').subscribe(() => sub.unsubscribe());
      expectSubscriptions(a.subscriptions).toBe('-^------!');
      expectSubscriptions(b.subscriptions).toBe('---^!');
      expectSubscriptions(c.subscriptions).toBe('-----^--!');
    });
    expect(got).toEqual(['x', 'y', 'z', 'z', 'q', 'w', 'r']);
  });
});

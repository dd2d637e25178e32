/**
 * The client runtime's turn batching (lib/client/runtime.ts bufferTurn), on virtual time: the values of one turn
 * come out as one array, at most `max` per turn with the rest on the next turn in order; completion flushes. A
 * backlog is sliced in linear time (the rest is not copied at every slice).
 */
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { bufferTurn } from '../../lib/client/runtime';

const scheduler = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('bufferTurn', () => {
  it('one array per turn, in order', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      expectObservable(cold('(abc) 4ms d 4ms (ef)').pipe(bufferTurn<string>(t))).toBe('x 8ms y 4ms z', {
        x: ['a', 'b', 'c'],
        y: ['d'],
        z: ['e', 'f'],
      });
    });
  });

  it('at most max values per turn: the rest follows on the next turn, in order', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      const next = (fn: () => void): void => void t.schedule(fn, 1);
      expectObservable(cold('(abcde)').pipe(bufferTurn<string>(t, next, 2))).toBe('xyz', {
        x: ['a', 'b'],
        y: ['c', 'd'],
        z: ['e'],
      });
    });
  });

  it('completion flushes what is buffered; an error passes through', () => {
    const t = scheduler();
    t.run(({ cold, expectObservable }) => {
      expectObservable(cold('(ab|)').pipe(bufferTurn<string>(t))).toBe('(x|)', { x: ['a', 'b'] });
      expectObservable(cold('a 2ms #').pipe(bufferTurn<string>(t))).toBe('x 2ms #', { x: ['a'] });
    });
  });

  it('any arrivals between the slices: every value once, in order, at most max per array', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), n: fc.integer({ min: 1, max: 40 }) }), {
          maxLength: 12,
        }),
        (max, arrivals) => {
          const t = scheduler();
          const out: number[][] = [];
          t.run(() => {
            const src = new Subject<number>();
            src.pipe(bufferTurn<number>(t, (fn) => void t.schedule(fn, 1), max)).subscribe((x) => out.push(x));
            let next = 0;
            for (const a of arrivals)
              t.schedule(() => {
                for (let i = 0; i < a.n; i++) src.next(next++);
              }, a.at);
          });
          const total = arrivals.reduce((sum, a) => sum + a.n, 0);
          expect(out.flat()).toEqual(Array.from({ length: total }, (_, i) => i));
          expect(out.every((x) => x.length >= 1 && x.length <= max)).toBe(true);
        },
      ),
    );
  });

  it('a backlog of N values in slices of max copies O(N) elements, not O(N²/max)', () => {
    const N = 20000;
    const t = scheduler();
    let copied = 0;
    let arrays = 0;
    const slice = Array.prototype.slice;
    // count every element copied by Array.prototype.slice while the backlog is sliced (rxjs's own included)
    Array.prototype.slice = function (this: unknown[], ...args: Parameters<typeof slice>): unknown[] {
      const r: unknown[] = slice.apply(this, args);
      copied += r.length;
      return r;
    };
    try {
      t.run(() => {
        const src = new Subject<number>();
        src.pipe(bufferTurn<number>(t, (fn) => void t.schedule(fn, 1), 128)).subscribe(() => (arrays += 1));
        t.schedule(() => {
          for (let i = 0; i < N; i++) src.next(i);
        }, 0);
      });
    } finally {
      Array.prototype.slice = slice;
    }
    expect(arrays).toBe(Math.ceil(N / 128));
    // each value copied into its output array, plus compactions of at most half the backlog each time: < 3N
    // (copying the rest at every slice would be ~N²/256 = 1.6 million)
    expect(copied).toBeLessThan(3 * N);
  });
});

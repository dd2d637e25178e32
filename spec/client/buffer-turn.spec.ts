/**
 * The client runtime's turn batching (lib/client/runtime.ts bufferTurn), on virtual time: the values of one turn
 * come out as one array, at most `max` per turn with the rest on the next turn in order; completion flushes.
 */
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
});

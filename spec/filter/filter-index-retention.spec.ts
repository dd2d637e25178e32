/**
 * A look-up keeps nothing of an index alive once the index is dropped (issue 13, memory that comes back): the
 * module's scratch of found buckets is cleared after each `indexCandidates` call. Before, it kept the last buckets
 * found, and through the candidates cache (a WeakMap keyed by bucket) their candidates and the index's members: a
 * heap snapshot of an idle daemon after a storm of 1,000 subscribers found their whole `(name=*)` bucket there.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { emptyFilterIndex, indexAdd, indexCandidates } from '../../lib/filter/filter-index';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect `ref`'s target if nothing else holds it (a WeakRef's target is kept until the current job ends). */
const collected = async (ref: WeakRef<object>): Promise<boolean> => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return ref.deref() === undefined;
};

describe('indexCandidates: what a look-up keeps', () => {
  it('nothing of a dropped index stays reachable through the bucket found last', async () => {
    const build = (): { ref: WeakRef<object>; n: number } => {
      let ix = emptyFilterIndex<number>();
      for (let i = 0; i < 300; i++) ix = indexAdd(ix, i, i, { op: 'eq', key: 'name', value: 'v' });
      const out = indexCandidates(ix, new Map([['name', ['v']]]));
      // the index's members, held by the candidates cache entry of a bucket
      return { ref: new WeakRef(ix.members), n: out.length };
    };
    const { ref, n } = build();
    expect(n).toBe(300);
    expect(await collected(ref)).toBe(true);
  });
});

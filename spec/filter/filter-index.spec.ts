import fc from 'fast-check';
import { OrderedMap } from 'immutable';
import { isRight } from 'fp-ts/Either';
import type { Filter } from '../../lib/filter/ast';
import {
  emptyFilterIndex,
  indexAdd,
  indexCandidates,
  indexRemove,
  indexRemoveAll,
  indexSize,
  type FilterIndex,
} from '../../lib/filter/filter-index';
import { compactProps } from '../../lib/filter/compact-props';
import { matchFilter } from '../../lib/filter/match';
import { parseFilter } from '../../lib/filter/parse';
import type { PropValue, Props } from '../../lib/filter/props';
import { filterArb, propsArb, smallUniverse } from './arbitraries';
import { type Hamt, hamtBeginEdit, hamtEndEdit, hamtEntries, hamtGet } from '../../lib/util/hamt';

const parsed = (text: string): Filter => {
  const r = parseFilter(text);
  if (!isRight(r)) throw new Error(`${text}: ${r.left.reason}`);
  return r.right;
};
const props = (obj: Record<string, PropValue[]>): Props => new Map(Object.entries(obj));

/** Index subscriptions `s0`, `s1`, ... (seq = position) with the given filters (`undefined` = no filter). */
const build = (filters: ReadonlyArray<string | undefined>): FilterIndex<string> =>
  filters.reduce(
    (ix, text, seq) => indexAdd(ix, `s${seq}`, seq, text === undefined ? undefined : parsed(text)),
    emptyFilterIndex<string>(),
  );

describe('filter index: maintenance', () => {
  it('starts empty', () => {
    const ix = emptyFilterIndex<bigint>();
    expect(indexSize(ix)).toBe(0);
    expect(indexCandidates(ix, props({ name: ['foo'] }))).toEqual([]);
  });

  it('adds and removes subscriptions persistently', () => {
    const f = parsed('(name=foo)');
    const ix0 = emptyFilterIndex<bigint>();
    const ix1 = indexAdd(ix0, 10n, 0, f);
    const ix2 = indexAdd(ix1, 11n, 1, undefined);
    const ix3 = indexRemove(ix2, 10n, 0, f);
    expect([indexSize(ix0), indexSize(ix1), indexSize(ix2), indexSize(ix3)]).toEqual([0, 1, 2, 1]);
    const foo = props({ name: ['foo'] });
    expect(indexCandidates(ix1, foo)).toEqual([10n]);
    expect(indexCandidates(ix2, foo)).toEqual([10n, 11n]);
    expect(indexCandidates(ix3, foo)).toEqual([11n]);
    expect(indexCandidates(ix0, foo)).toEqual([]);
  });

  it('returns the same reference for no-op updates', () => {
    const f = parsed('(name=foo)');
    const ix = indexAdd(emptyFilterIndex<bigint>(), 10n, 0, f);
    expect(indexAdd(ix, 10n, 0, f)).toBe(ix);
    expect(indexRemove(ix, 10n, 1, f)).toBe(ix);
    expect(indexRemove(ix, 99n, 0, f)).toBe(ix);
  });

  it('uses value equality for bigint ids', () => {
    const f = parsed('(a=1)');
    const ix = indexAdd(emptyFilterIndex<bigint>(), 2n ** 62n, 0, f);
    expect(indexSize(indexRemove(ix, BigInt('4611686018427387904'), 0, f))).toBe(0);
  });

  it('drops empty anchor buckets on removal', () => {
    const filters = ['(a=1)', '(|(a=1)(b=*)(c=2))', '(&(a=*)(b=2))', '(!(a=1))', undefined, '(a>5)'];
    const ix = build(filters);
    const emptied = filters.reduce(
      (acc, text, seq) => indexRemove(acc, `s${seq}`, seq, text === undefined ? undefined : parsed(text)),
      ix,
    );
    expect(indexSize(emptied)).toBe(0);
    expect(emptied.byKey.size).toBe(0);
    expect(emptied.byValue.size).toBe(0);
    expect(emptied.always.size).toBe(0);
  });
});

describe('filter index: anchors', () => {
  const ix = build([
    '(name=foo)', // s0: value anchor
    '(name=bar)', // s1
    '(port=4711)', // s2: matches integer 4711 via its decimal string
    '(name=*)', // s3: key anchor
    '(name=f*)', // s4
    '(port>100)', // s5
    '(&(name=foo)(port>100))', // s6: anchored on name=foo (eq preferred)
    '(&(port>100)(name=bar))', // s7: anchored on name=bar
    '(|(name=foo)(area=51))', // s8: both anchors
    '(|(name=foo)(!(area=51)))', // s9: or with an unindexable operand -> always
    '(!(name=foo))', // s10: always
    undefined, // s11: no filter -> always
    '(&(!(a=1))(!(b=1)))', // s12: and without indexable operands -> always
  ]);
  const always = ['s9', 's10', 's11', 's12'];

  it('finds Equal subscriptions only through their value', () => {
    expect(indexCandidates(ix, props({ name: ['foo'] }))).toEqual(['s0', 's3', 's4', 's6', 's8', ...always]);
    expect(indexCandidates(ix, props({ name: ['bar'] }))).toEqual(['s1', 's3', 's4', 's7', ...always]);
    expect(indexCandidates(ix, props({ name: ['baz'] }))).toEqual(['s3', 's4', ...always]);
  });

  it('looks integer values up by their decimal string (§6.3)', () => {
    expect(indexCandidates(ix, props({ port: [4711n] }))).toEqual(['s2', 's5', ...always]);
    expect(indexCandidates(ix, props({ port: ['4711'] }))).toEqual(['s2', 's5', ...always]);
    expect(indexCandidates(ix, props({ area: [51n] }))).toEqual(['s8', ...always]);
  });

  it('ignores keys without values (§3.2)', () => {
    expect(indexCandidates(ix, props({ name: [] }))).toEqual(always);
  });

  it('returns the union of the candidates for a and b, deduplicated and in seq order', () => {
    expect(indexCandidates(ix, props({ name: ['bar'] }), props({ name: ['foo'] }))).toEqual([
      's0',
      's1',
      's3',
      's4',
      's6',
      's7',
      's8',
      ...always,
    ]);
    expect(indexCandidates(ix, props({ name: ['foo', 'bar'] }), props({ name: ['foo'] }))).toEqual(
      indexCandidates(ix, props({ name: ['bar'] }), props({ name: ['foo'] })),
    );
  });

  it('sorts by seq even if seqs were not added in increasing order', () => {
    const f = parsed('(a=1)');
    let ix2 = emptyFilterIndex<string>();
    for (const seq of [5, 2, 9, 0]) ix2 = indexAdd(ix2, `s${seq}`, seq, seq === 9 ? undefined : f);
    expect(indexCandidates(ix2, props({ a: ['1'] }))).toEqual(['s0', 's2', 's5', 's9']);
  });

  it('does not return subscriptions removed with a different filter', () => {
    const ix2 = indexRemove(ix, 's0', 0, parsed('(other=1)'));
    expect(indexCandidates(ix2, props({ name: ['foo'] }))).not.toContain('s0');
  });

  it('keeps an anchor of one subscription as it would be built afresh, whatever came and went', () => {
    const f = parsed('(name=foo)');
    const onlyA = indexAdd(emptyFilterIndex<string>(), 'a', 0, f);
    const churned = indexRemove(indexRemove(indexAdd(indexAdd(onlyA, 'b', 1, f), 'c', 2, f), 'b', 1, f), 'c', 2, f);
    expect(hamtGet(hamtGet(churned.byValue, 'name')!, 'foo')).toEqual(hamtGet(hamtGet(onlyA.byValue, 'name')!, 'foo'));
    expect(indexCandidates(churned, props({ name: ['foo'] }))).toEqual(['a']);
    const two = indexRemove(indexAdd(indexAdd(onlyA, 'b', 1, f), 'c', 2, f), 'a', 0, f);
    expect(indexCandidates(two, props({ name: ['foo'] }))).toEqual(['b', 'c']);
    expect(indexRemove(onlyA, 'a', 0, f).byValue.size).toBe(0);
  });

  it('a single large bucket (kept between calls) follows every change of the index', () => {
    // 20 match-all subscriptions added in decreasing seq order: one bucket, out of order
    let big = emptyFilterIndex<string>();
    for (let seq = 19; seq >= 0; seq--) big = indexAdd(big, `m${seq}`, seq, undefined);
    const all = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const p = props({ name: ['x'] });
    expect(indexCandidates(big, p)).toEqual(all);
    expect(indexCandidates(big, props({ other: ['y'] }))).toEqual(all);
    // another subscription elsewhere changes the members, not this bucket
    const more = indexAdd(big, 'e', 20, parsed('(name=z)'));
    expect(indexCandidates(more, p)).toEqual(all);
    expect(indexCandidates(more, props({ name: ['z'] }))).toEqual([...all, 'e']);
    // removed (also with a different filter: the bucket keeps it, the members do not)
    expect(indexCandidates(indexRemove(more, 'm3', 3, undefined), p)).toEqual(all.filter((s) => s !== 'm3'));
    expect(indexCandidates(indexRemove(more, 'm4', 4, parsed('(a=1)')), p)).toEqual(all.filter((s) => s !== 'm4'));
    expect(indexCandidates(more, p)).toEqual(all);
    expect(indexCandidates(indexAdd(more, 'm20', 21, undefined), p)).toEqual([...all, 'm20']);
  });
});

describe('filter index: scale', () => {
  it('finds the one (name=service-i) subscription among 100,000 without returning the others', () => {
    const n = 100_000;
    let ix = emptyFilterIndex<bigint>();
    for (let i = 0; i < n; i++) ix = indexAdd(ix, BigInt(i) * 1000n, i, parsed(`(name=service-${i})`));
    expect(indexSize(ix)).toBe(n);
    expect(indexCandidates(ix, props({ name: ['service-5'] }))).toEqual([5000n]);
    expect(indexCandidates(ix, props({ name: ['service-99999'], other: ['x'] }))).toEqual([99999000n]);
    expect(indexCandidates(ix, props({ name: ['service-100000'] }))).toEqual([]);
    // plus the always-check subscriptions, and nothing else
    ix = indexAdd(ix, 1n, n, undefined);
    ix = indexAdd(ix, 2n, n + 1, parsed('(!(name=service-5))'));
    expect(indexCandidates(ix, props({ name: ['service-5'] }))).toEqual([5000n, 1n, 2n]);
    expect(indexCandidates(ix, props({ name: ['service-5'] }), props({ name: ['service-7'] }))).toEqual([
      5000n,
      7000n,
      1n,
      2n,
    ]);
  });
});

describe('filter index: properties', () => {
  type Op = { readonly filter: Filter | undefined; readonly remove: boolean };
  const opsArb = fc.array(
    fc.record({ filter: fc.option(filterArb(smallUniverse), { nil: undefined, freq: 8 }), remove: fc.boolean() }),
    { maxLength: 30 },
  );
  const buildFrom = (ops: readonly Op[]) => {
    let ix = emptyFilterIndex<bigint>();
    const live = new Map<bigint, { seq: number; filter: Filter | undefined }>();
    ops.forEach(({ filter }, seq) => {
      const id = BigInt(seq) * 7n + 3n;
      ix = indexAdd(ix, id, seq, filter);
      live.set(id, { seq, filter });
    });
    ops.forEach(({ filter, remove }, seq) => {
      const id = BigInt(seq) * 7n + 3n;
      if (remove) {
        ix = indexRemove(ix, id, seq, filter);
        live.delete(id);
      }
    });
    return { ix, live };
  };

  it('is sound: every matching subscription is a candidate; candidates are live, unique and sorted by seq', () => {
    fc.assert(
      fc.property(opsArb, propsArb, fc.option(propsArb, { nil: undefined }), (ops, a, b) => {
        const { ix, live } = buildFrom(ops);
        expect(indexSize(ix)).toBe(live.size);
        const candidates = indexCandidates(ix, a, b);
        const seqs = candidates.map((id) => {
          const sub = live.get(id);
          expect(sub).toBeDefined();
          return sub?.seq ?? -1;
        });
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
        const chosen = new Set(candidates);
        for (const [id, { filter }] of live) {
          const m = (p: Props) => filter === undefined || matchFilter(filter, p);
          if (m(a) || (b !== undefined && m(b))) expect(chosen.has(id)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('finds the same candidates, in the same order, in props as the directory keeps them (compact) as in a Map', () => {
    fc.assert(
      fc.property(opsArb, propsArb, fc.option(propsArb, { nil: undefined }), (ops, a, b) => {
        const { ix } = buildFrom(ops);
        const compact = (p: Props): Props => compactProps(new Map([...p].filter(([, vs]) => vs.length > 0)));
        const plain = (p: Props): Props => new Map([...p].filter(([, vs]) => vs.length > 0));
        expect(indexCandidates(ix, compact(a), b && compact(b))).toEqual(indexCandidates(ix, plain(a), b && plain(b)));
        expect(indexCandidates(ix, a, b)).toEqual(indexCandidates(ix, plain(a), b && plain(b)));
      }),
      { numRuns: 1000 },
    );
  });

  /** Every map of the index as plain data, in key order; a bucket as a `Single` or as its entries in order. */
  const shape = (ix: FilterIndex<bigint>) => {
    const bucket = (b: unknown) =>
      b instanceof OrderedMap ? ['map', [...(b as OrderedMap<number, bigint>).entries()]] : ['single', b];
    const sorted = <V>(m: Hamt<string, V>): Array<[string, V]> => hamtEntries(m).sort(([x], [y]) => (x < y ? -1 : 1));
    return {
      members: hamtEntries(ix.members).sort((x, y) => x[0] - y[0]),
      byKey: sorted(ix.byKey).map(([k, b]) => [k, bucket(b)]),
      byValue: sorted(ix.byValue).map(([k, inner]) => [k, sorted(inner).map(([v, b]) => [v, bucket(b)])]),
      always: [...ix.always.entries()],
    };
  };

  it('removes many at once (indexRemoveAll) exactly as one by one: the same maps, buckets and candidates', () => {
    const removalsArb = fc.array(fc.nat({ max: 40 }), { maxLength: 40 });
    let several = 0;
    fc.assert(
      fc.property(opsArb, removalsArb, propsArb, (ops, picks, a) => {
        const { ix } = buildFrom(ops);
        // picks beyond the ops, repeated or already removed (ops' own `remove`) are removals of what is not there
        const subs = picks
          .map((p) => p % (ops.length + 3))
          .map((p) => ({ id: BigInt(p) * 7n + 3n, seq: p, filter: ops[p]?.filter }));
        let one = ix;
        for (const { id, seq, filter } of subs) one = indexRemove(one, id, seq, filter);
        const all = indexRemoveAll(ix, subs);
        expect(shape(all)).toEqual(shape(one));
        expect(indexCandidates(all, a)).toEqual(indexCandidates(one, a));
        // the index removed from is left as it was
        expect(shape(ix)).toEqual(shape(buildFrom(ops).ix));
        if (indexSize(ix) - indexSize(one) > 1) several++;
      }),
      { numRuns: 1000 },
    );
    expect(several).toBeGreaterThan(100);
  });

  it('inside a transient edit (a reducer call) builds the same index, and leaves the one it started from as it was', () => {
    fc.assert(
      fc.property(opsArb, opsArb, propsArb, (before, during, a) => {
        const start = buildFrom(before).ix;
        const startShape = shape(start);
        // the same changes in and out of an edit: adds of `during`'s subscriptions, then its removals, then many at once
        const apply = (ix0: FilterIndex<bigint>): FilterIndex<bigint> => {
          let ix = ix0;
          during.forEach(({ filter }, i) => (ix = indexAdd(ix, BigInt(1000 + i), 1000 + i, filter)));
          during.forEach(({ filter, remove }, i) => {
            if (remove) ix = indexRemove(ix, BigInt(1000 + i), 1000 + i, filter);
          });
          const some = before
            .map(({ filter }, seq) => ({ id: BigInt(seq) * 7n + 3n, seq, filter }))
            .filter((_, i) => i % 2 === 0);
          return indexRemoveAll(ix, some);
        };
        const token = hamtBeginEdit();
        let edited: FilterIndex<bigint>;
        try {
          edited = apply(start);
        } finally {
          hamtEndEdit(token);
        }
        expect(shape(edited)).toEqual(shape(apply(start)));
        expect(indexCandidates(edited, a)).toEqual(indexCandidates(apply(start), a));
        expect(shape(start)).toEqual(startShape);
      }),
      { numRuns: 500 },
    );
  });

  it('is selective: random eq-anchored subscriptions are not all returned', () => {
    // guards against a "sound" index that simply returns everything
    let returned = 0;
    let total = 0;
    fc.assert(
      fc.property(opsArb, propsArb, (ops, a) => {
        const { ix, live } = buildFrom(ops);
        returned += indexCandidates(ix, a).length;
        total += live.size;
      }),
      { numRuns: 300, seed: 7 },
    );
    expect(returned).toBeLessThan(total * 0.9);
  });
});

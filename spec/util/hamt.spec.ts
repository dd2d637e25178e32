import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import {
  type Hamt,
  hamtBeginEdit,
  hamtDelete,
  hamtEditing,
  hamtEndEdit,
  hamtEmpty,
  hamtFirstKey,
  hamtForEach,
  hamtGet,
  hamtHas,
  hamtHash,
  hamtOf,
  hamtSeal,
  hamtSet,
  hamtUpdate,
} from '../../lib/util/hamt';

type K = bigint | string | number;
const entries = (m: Hamt<K, number>): Array<[K, number]> => {
  const out: Array<[K, number]> = [];
  hamtForEach(m, (v, k) => out.push([k, v]));
  return out;
};
const sameAs = (m: Hamt<K, number>, model: Map<K, number>): void => {
  expect(m.size).toBe(model.size);
  const got = entries(m);
  expect(got.length).toBe(model.size);
  expect(new Map(got)).toEqual(model);
  for (const [k, v] of model) expect(hamtGet(m, k)).toBe(v);
  if (model.size === 0) expect(hamtFirstKey(m)).toBeUndefined();
  else expect(model.has(hamtFirstKey(m)!)).toBe(true);
};

const key = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.bigInt({ min: 0n, max: 50n }),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 5000 }),
  fc.double({ noNaN: true }),
);
const op = fc.tuple(fc.boolean(), key, fc.integer({ min: 0, max: 3 }));

describe('hamt', () => {
  it('behaves as a Map under any sequence of sets and deletes, old versions unchanged', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        let m = hamtEmpty<K, number>();
        const model = new Map<K, number>();
        const versions: Array<[Hamt<K, number>, Map<K, number>]> = [];
        for (const [isSet, k, v] of ops) {
          if (isSet) {
            m = hamtSet(m, k, v);
            model.set(k, v);
          } else {
            m = hamtDelete(m, k);
            model.delete(k);
          }
          versions.push([m, new Map(model)]);
        }
        sameAs(m, model);
        for (const [mv, mm] of versions) sameAs(mv, mm);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps large maps exact, and shrinks back to empty', () => {
    let m = hamtEmpty<K, number>();
    const n = 50_000;
    for (let i = 0; i < n; i++) m = hamtSet(m, BigInt(i * 7919), i);
    expect(m.size).toBe(n);
    expect(hamtGet(m, 7919n * 4242n)).toBe(4242);
    expect(hamtHas(m, 1n)).toBe(false);
    expect(hamtSet(m, 0n, 0)).toBe(m); // unchanged: same version
    expect(hamtDelete(m, 1n)).toBe(m);
    for (let i = 0; i < n; i += 2) m = hamtDelete(m, BigInt(i * 7919));
    expect(m.size).toBe(n / 2);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (hamtGet(m, BigInt(i * 7919)) !== (i % 2 === 1 ? i : undefined)) wrong++;
    expect(wrong).toBe(0);
    for (let i = 1; i < n; i += 2) m = hamtDelete(m, BigInt(i * 7919));
    expect(m.size).toBe(0);
    expect(entries(m)).toEqual([]);
  });

  it('builds in one pass the same map as one set at a time', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 200, selector: (k) => `${typeof k}:${String(k)}` }), (keys) => {
        const built = hamtOf<K, number>(
          keys,
          keys.map((_, i) => i),
        );
        const model = new Map<K, number>(keys.map((k, i) => [k, i]));
        sameAs(built, model);
        // and it stays a valid map under later updates
        let m = built;
        for (const k of keys.slice(0, 50)) {
          m = hamtDelete(m, k);
          model.delete(k);
        }
        sameAs(m, model);
      }),
      { numRuns: 200 },
    );
  });

  it('tells apart keys of equal hash (a bigint and the number it equals, 1 and "1")', () => {
    let m = hamtEmpty<K, number>();
    m = hamtSet(m, 1n, 1);
    m = hamtSet(m, 1, 2);
    m = hamtSet(m, '1', 3);
    expect([hamtGet(m, 1n), hamtGet(m, 1), hamtGet(m, '1')]).toEqual([1, 2, 3]);
    m = hamtDelete(m, 1);
    expect([hamtGet(m, 1n), hamtGet(m, 1), hamtGet(m, '1')]).toEqual([1, undefined, 3]);
    expect(m.size).toBe(2);
  });

  it('updates in one walk as a get then a set or delete would, calling its function once with the old value', () => {
    // keys of equal hash, found by a birthday search, so that collision nodes are updated too
    const seen = new Map<number, string>();
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 4; i++) {
      const k = `k${i}`;
      const other = seen.get(hamtHash(k));
      if (other !== undefined) colliding.push(other, k);
      else seen.set(hamtHash(k), k);
    }
    const updKey = fc.oneof(key, fc.constantFrom<K>(...colliding), fc.bigInt({ min: 2n ** 62n, max: 2n ** 62n + 20n }));
    const upd = fc.tuple(fc.integer({ min: 0, max: 2 }), updKey, fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(fc.array(upd, { maxLength: 300 }), (ops) => {
        let m = hamtEmpty<K, number>();
        const model = new Map<K, number>();
        const versions: Array<[Hamt<K, number>, Map<K, number>]> = [];
        for (const [kind, k, v] of ops) {
          if (kind === 0) {
            m = hamtSet(m, k, v);
            model.set(k, v);
          } else {
            // 1: delete (undefined); 2: keep a value of 0 (the same map), else set v
            let calls = 0;
            const next = hamtUpdate(m, k, (old) => {
              calls++;
              expect(old).toBe(model.get(k));
              return kind === 1 ? undefined : old === 0 ? old : v;
            });
            expect(calls).toBe(1);
            if (kind === 1 || model.get(k) !== 0) {
              if (kind === 1) model.delete(k);
              else model.set(k, v);
            } else expect(next).toBe(m);
            m = next;
          }
          versions.push([m, new Map(model)]);
        }
        sameAs(m, model);
        for (const [mv, mm] of versions) sameAs(mv, mm);
      }),
      { numRuns: 300 },
    );
    let c = hamtEmpty<K, number>();
    for (const k of colliding) c = hamtUpdate(c, k, () => 1);
    expect(c.size).toBe(colliding.length);
    for (const k of colliding) c = hamtUpdate(c, k, () => undefined);
    expect(c).toBe(hamtEmpty());
  });

  describe('transient edits', () => {
    /** The node arrays of a map, nested as they are: equal for maps built the same way, in an edit or not. */
    const shape = (m: Hamt<K, number>): string =>
      JSON.stringify(m.root, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? '<u>' : v));
    // colliding string keys (found by a birthday search), so that collision nodes are changed in place too
    const seen = new Map<number, string>();
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 6; i++) {
      const k = `c${i}`;
      const other = seen.get(hamtHash(k));
      if (other !== undefined) colliding.push(other, k);
      else seen.set(hamtHash(k), k);
    }
    const editKey = fc.oneof(key, fc.constantFrom<K>(...colliding), fc.integer({ min: 0, max: 40 }));
    /** set, delete, update (set / delete / keep), seal, or end the edit and open the next one */
    const editOp = fc.tuple(fc.integer({ min: 0, max: 5 }), editKey, fc.integer({ min: 0, max: 3 }));

    it('change only what the edit built: every version from before it, sealed in it or returned by it stays as it was, and the maps are those of plain updates node for node', () => {
      fc.assert(
        fc.property(fc.array(editOp, { maxLength: 400 }), fc.array(editKey, { maxLength: 60 }), (ops, start) => {
          let m = hamtEmpty<K, number>();
          for (const k of start) m = hamtSet(m, k, 9);
          const m0 = m;
          const apply = (x: Hamt<K, number>, kind: number, k: K, v: number): Hamt<K, number> => {
            if (kind === 0) return hamtSet(x, k, v);
            if (kind === 1) return hamtDelete(x, k);
            if (kind === 2) return hamtUpdate(x, k, (old) => (v === 0 ? undefined : v === 1 ? old : v));
            return x;
          };
          // the same updates without an edit: the shapes to expect after each
          const shapes: string[] = [];
          let plain = m0;
          for (const [kind, k, v] of ops) shapes.push(shape((plain = apply(plain, kind, k, v))));
          const model = new Map<K, number>(start.map((k) => [k, 9]));
          const kept: Array<[Hamt<K, number>, Map<K, number>, string]> = [[m, new Map(model), shape(m)]];
          let token = hamtBeginEdit();
          try {
            ops.forEach(([kind, k, v], i) => {
              m = apply(m, kind, k, v);
              if (kind === 0 || (kind === 2 && v > 1)) model.set(k, v);
              else if (kind === 1 || (kind === 2 && v === 0)) model.delete(k);
              else if (kind === 3) {
                hamtSeal();
                kept.push([m, new Map(model), shape(m)]);
              } else if (kind === 4) {
                hamtEndEdit(token);
                kept.push([m, new Map(model), shape(m)]);
                token = hamtBeginEdit();
              }
              // (5: nothing, the edit goes on)
              expect(shape(m)).toBe(shapes[i]);
            });
          } finally {
            hamtEndEdit(token);
          }
          expect(hamtEditing()).toBe(false);
          sameAs(m, model);
          for (const [mv, mm, sh] of kept) {
            sameAs(mv, mm);
            expect(shape(mv)).toBe(sh);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('change in place, once copied: a batch of sets in an edit creates each node once', () => {
      let m = hamtEmpty<K, number>();
      for (let i = 0; i < 5000; i++) m = hamtSet(m, BigInt(i), i);
      const before = shape(m);
      const token = hamtBeginEdit();
      let e = m;
      try {
        e = hamtSet(e, 1n, -1);
        const root = e.root;
        for (let i = 0; i < 100; i++) e = hamtSet(e, BigInt(i), -i - 1);
        expect(e.root).toBe(root); // the root copied by the first set, changed in place since
        hamtSeal();
        e = hamtSet(e, 2n, -100);
        expect(e.root).not.toBe(root); // sealed: copied again
      } finally {
        hamtEndEdit(token);
      }
      expect(shape(m)).toBe(before);
      expect(hamtGet(e, 2n)).toBe(-100);
      expect(hamtGet(e, 99n)).toBe(-100);
      const after = hamtSet(e, 3n, 0);
      expect(after.root).not.toBe(e.root); // the edit is over: a plain update copies
      expect(hamtGet(e, 3n)).toBe(-4);
    });

    it('an edit opened inside another seals the outer one', () => {
      const outer = hamtBeginEdit();
      try {
        let m = hamtSet(hamtEmpty<K, number>(), 1, 1);
        m = hamtSet(m, 2, 2);
        const inner = hamtBeginEdit();
        const held = m;
        const heldShape = shape(held);
        try {
          m = hamtSet(m, 3, 3);
        } finally {
          hamtEndEdit(inner);
        }
        expect(hamtEditing()).toBe(true);
        m = hamtSet(m, 4, 4);
        expect(shape(held)).toBe(heldShape);
        expect(held.size).toBe(2);
        expect(m.size).toBe(4);
      } finally {
        hamtEndEdit(outer);
      }
      expect(hamtEditing()).toBe(false);
    });
  });

  it('keeps a collision node of four keys exact through sets, updates and deletes, in an edit and outside one', () => {
    // a fractional number hashes as its text, so `x` and `String(x)` share a hash; two such texts of one hash make four
    // keys of one hash (a collision node grows past two entries). Found by a birthday search over `i + 0.5` (0.8 s, so
    // kept here; the hash function changed if the assertion below fails: search again)
    const quad: K[] = [40189.5, '40189.5', 797186.5, '797186.5'];
    const keys = quad;
    expect(new Set(keys.map(hamtHash)).size).toBe(1);
    // every order of the four keys, set then deleted in another order, with sets, updates and deletes alike
    const orders = [
      [0, 1, 2, 3],
      [3, 1, 0, 2],
      [2, 0, 3, 1],
    ];
    for (const edit of [false, true]) {
      for (const ins of orders)
        for (const del of orders) {
          const token = edit && hamtBeginEdit();
          try {
            let m = hamtSet(hamtEmpty<K, number>(), 7, 70); // a bitmap root above the collision node
            const model = new Map<K, number>([[7, 70]]);
            const versions: Array<[Hamt<K, number>, Map<K, number>]> = [];
            for (const [n, i] of ins.entries()) {
              const k = keys[i]!;
              m = n % 2 === 0 ? hamtSet(m, k, i) : hamtUpdate(m, k, () => i);
              model.set(k, i);
              if (!edit) versions.push([m, new Map(model)]);
            }
            // a value replaced in place (in the edit) or copied, and an update that keeps the value
            m = hamtSet(m, keys[ins[0]!]!, 40);
            model.set(keys[ins[0]!]!, 40);
            expect(hamtUpdate(m, keys[ins[1]!]!, (old) => old)).toBe(m);
            sameAs(m, model);
            for (const [n, i] of del.entries()) {
              const k = keys[i]!;
              m = n % 2 === 0 ? hamtDelete(m, k) : hamtUpdate(m, k, () => undefined);
              model.delete(k);
              expect(hamtHas(m, k)).toBe(false);
              // deleting it again, either way, is no change (the node may still be a collision node)
              expect(hamtUpdate(m, k, () => undefined)).toBe(m);
              expect(hamtDelete(m, k)).toBe(m);
              if (!edit) versions.push([m, new Map(model)]);
              sameAs(m, model);
            }
            expect(entries(m)).toEqual([[7, 70]]);
            for (const [mv, mm] of versions) sameAs(mv, mm);
          } finally {
            if (token !== false) hamtEndEdit(token);
          }
        }
    }
  });

  it('spreads bigints beyond 53 bits that differ only in their low bits', () => {
    const hashes = new Set<number>();
    for (let i = 0n; i < 1000n; i++) hashes.add(hamtHash(2n ** 62n + i) >>> 22);
    expect(hashes.size).toBeGreaterThan(500); // 1,000 keys over 1,024 10-bit prefixes (~630 if uniform), not a few
  });
});

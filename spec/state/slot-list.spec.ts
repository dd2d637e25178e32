/**
 * The persistent slot list behind the directory's orders (lib/state/slot-list.ts): against a model (a map from
 * position to value), every version built by appends, deletions (first, last, inside) and replacements, from any
 * earlier version, reads as its model: values, holes, `start` (the first value), `end` (one past the last), and the
 * values in order from any position. Appends in place into a shared tail, a tail moved into the tree or taken back
 * from it, and leaves dropped before `start` must never show in another version.
 */
import fc from 'fast-check';

import { hamtBeginEdit, hamtEndEdit } from '../../lib/util/hamt';
import { SlotList } from '../../lib/state/slot-list';

type Model = ReadonlyMap<number, number>;

const check = (l: SlotList<number>, m: Model): void => {
  const ps = [...m.keys()].sort((a, b) => a - b);
  if (ps.length > 0) {
    expect(l.start).toBe(ps[0]);
    expect(l.end).toBe(ps[ps.length - 1]! + 1);
  }
  for (let p = l.start - 40; p < l.end + 40; p++)
    if (l.get(p) !== m.get(p)) expect([p, l.get(p)]).toEqual([p, m.get(p)]);
  const from = ps.length > 0 ? ps[Math.floor(ps.length / 2)]! - 1 : 0;
  expect(l.from(from)).toEqual(ps.filter((p) => p >= from).map((p) => m.get(p)));
  expect(l.from(0)).toEqual(ps.map((p) => m.get(p)));
};

type Op = { from: number; k: 'push' | 'first' | 'last' | 'any' | 'set'; pick: number };

const op: fc.Arbitrary<Op> = fc.record({
  from: fc.nat(),
  k: fc.constantFrom<Op['k']>('push', 'push', 'push', 'first', 'last', 'any', 'set'),
  pick: fc.nat(),
});

/**
 * Run `ops` from `l0`/`m0`, each on a random earlier version; check every version at the end. `inEdit`: the ops run
 * inside an edit, where a replacement changes the edit's own nodes in place: it is applied to the latest version,
 * and only its result is valid afterwards (the versions of the edit before it are not checked).
 */
const runOps = (l0: SlotList<number>, m0: Model, ops: readonly Op[], inEdit = false): void => {
  const ls = [l0];
  const ms: Model[] = [m0];
  let next = 1_000_000;
  for (const o of ops) {
    const replacing = inEdit && o.k === 'set' && ls.length > 0;
    if (replacing) {
      // (on the latest version)
      ls.splice(0, ls.length - 1);
      ms.splice(0, ms.length - 1);
    }
    const i = o.from % ls.length;
    const l = ls[i]!;
    const m = ms[i]!;
    const ps = [...m.keys()].sort((a, b) => a - b);
    const mm = new Map(m);
    let r: SlotList<number>;
    if (o.k === 'push' || ps.length < 2) {
      const v = next++;
      mm.set(l.end, v);
      r = ps.length === 0 ? SlotList.of([v]) : l.push(v);
      if (ps.length === 0) {
        mm.clear();
        mm.set(0, v);
      }
    } else if (o.k === 'set') {
      const p = ps[o.pick % ps.length]!;
      mm.set(p, next);
      r = l.set(p, next++);
    } else {
      const p = o.k === 'first' ? ps[0]! : o.k === 'last' ? ps[ps.length - 1]! : ps[o.pick % ps.length]!;
      mm.delete(p);
      r = l.without(p);
    }
    if (replacing) {
      ls.length = 0;
      ms.length = 0;
    }
    ls.push(r);
    ms.push(mm);
  }
  ls.forEach((l, i) => check(l, ms[i]!));
};

describe('slot list', () => {
  it('of() puts values at 0 .. n - 1, at every size around the tree levels', () => {
    for (const n of [0, 1, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025, 1056, 1057, 40_000]) {
      const vs = Array.from({ length: n }, (_, i) => i * 3);
      const l = SlotList.of(vs);
      expect([l.start, l.end, l.size]).toEqual([0, n, n]);
      expect(l.from(0)).toEqual(vs);
      if (n > 0) expect([l.get(0), l.get(n - 1), l.get(n), l.get(-1)]).toEqual([0, (n - 1) * 3, undefined, undefined]);
    }
  });

  it('every version reads as its model (small lists: tail and first leaves)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 70 }), fc.array(op, { maxLength: 120 }), (n, ops) => {
        const vs = Array.from({ length: n }, (_, i) => i + 1);
        runOps(SlotList.of(vs), new Map(vs.map((v, i) => [i, v])), ops);
      }),
    );
  });

  it('every version reads as its model (lists of 1,000-1,100: two tree levels, leaves dropped and taken back)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 1100 }),
        fc.array(
          fc.record({
            from: fc.nat(),
            k: fc.constantFrom<Op['k']>('push', 'first', 'last', 'any', 'set'),
            pick: fc.nat(),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.nat({ max: 1000 }),
        fc.boolean(),
        (n, ops, drop, fromEnd) => {
          // start from a list with `drop` values deleted from the front (or the back)
          const vs = Array.from({ length: n }, (_, i) => i + 1);
          let l = SlotList.of(vs);
          const m = new Map(vs.map((v, i) => [i, v]));
          for (let j = 0; j < drop; j++) {
            const p = fromEnd ? n - 1 - j : j;
            l = l.without(p);
            m.delete(p);
          }
          runOps(l, m, ops);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('changes no array of a version from before the edit (raw), and inside one appends in place only to its own', () => {
    fc.assert(
      fc.property(fc.nat({ max: 70 }), fc.array(op, { maxLength: 60 }), fc.boolean(), (n, ops, edit) => {
        const vs = Array.from({ length: n }, (_, i) => i + 1);
        let l = SlotList.of(vs);
        for (let v = 0; v < n % 7; v++) l = l.push(1000 + v); // a tail of its own, appended to before the edit
        const raw = JSON.stringify(l);
        const token = edit && hamtBeginEdit();
        try {
          const m = new Map<number, number>();
          for (let p = l.start; p < l.end; p++) if (l.get(p) !== undefined) m.set(p, l.get(p)!);
          runOps(l, m, ops, edit);
        } finally {
          if (edit) hamtEndEdit(token);
        }
        expect(JSON.stringify(l)).toBe(raw);
      }),
    );
  });

  it('inside an edit, replacements copy each path once; outside one, every replacement copies it', () => {
    const vs = Array.from({ length: 5_000 }, (_, i) => i + 1);
    const l0 = SlotList.of(vs);
    const rootOf = (l: SlotList<number>): unknown => (l as unknown as { root: unknown }).root;
    const replaceAll = (l: SlotList<number>, base: number): Array<SlotList<number>> => {
      const out = [l];
      for (let p = 0; p < 200; p++) out.push(out[out.length - 1]!.set((p * 97) % 5_000, base + p));
      return out;
    };
    const token = hamtBeginEdit();
    let inEdit: Array<SlotList<number>>;
    try {
      inEdit = replaceAll(l0, 10_000);
    } finally {
      hamtEndEdit(token);
    }
    // one root for every version after the first replacement, and the last reads every replacement
    expect(new Set(inEdit.slice(1).map(rootOf)).size).toBe(1);
    const last = inEdit[inEdit.length - 1]!;
    for (let p = 0; p < 200; p++) expect(last.get((p * 97) % 5_000)).toBe(10_000 + p);
    expect(l0.from(0)).toEqual(vs);
    // outside an edit: a root per version, each reading only the replacements before it
    const outside = replaceAll(l0, 20_000);
    expect(new Set(outside.map(rootOf)).size).toBe(outside.length);
    expect(outside[100]!.get((150 * 97) % 5_000)).toBe(((150 * 97) % 5_000) + 1);
    // after the edit, a replacement of its result copies (its nodes are no longer the edit's)
    expect(rootOf(last.set(0, 1))).not.toBe(rootOf(last));
    expect(last.get(0)).toBe(10_000);
  });

  it('used as a queue (appends at the end, deletions at the front) it reads right and keeps no old leaves', () => {
    let l = SlotList.of([0]);
    let first = 0;
    for (let v = 1; v < 200_000; v++) {
      l = l.push(v);
      if (v % 3 !== 0) l = l.without(first++);
    }
    expect([l.start, l.end]).toEqual([first, 200_000]);
    expect(l.from(0)).toEqual(Array.from({ length: 200_000 - first }, (_, i) => first + i));
    // the leaves before `start` are gone: no node of the tree holds a value before start - 32
    const stale: number[] = [];
    const walk = (node: unknown): void => {
      if (!Array.isArray(node)) {
        if (typeof node === 'number' && node < first - 32) stale.push(node);
        return;
      }
      for (const x of node) walk(x);
    };
    walk((l as unknown as { root: unknown }).root);
    expect(stale).toEqual([]);
  });
});

/**
 * The two compaction rules of the directory's ordered collections (lib/state/compaction.ts): 'at-once' (event-log
 * schema versions up to 8: the deletion that leaves half the positions holes renumbers everything in its own event)
 * and 'gradual' (the server's: that deletion starts a compacted copy, which every later change extends by at most
 * MIGRATE_STEP positions until it replaces the collection). Either way the collection is the same ordered map or set;
 * only the positions differ, and under 'gradual' no single change copies more than a step.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { OrderedMap } from 'immutable';

import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { AT_ONCE_UP_TO, type Compaction, MIGRATE_STEP, setCompaction } from '../../lib/state/compaction';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { OrderedById } from '../../lib/state/ordered-by-id';
import { OrderedIds } from '../../lib/state/ordered-ids';
import { OrderedSlots } from '../../lib/state/ordered-slots';
import { request, T0, wire } from '../helpers/builders';

type R = { readonly id: bigint; readonly v: number };

afterEach(() => {
  setCompaction('gradual');
});

/** The records of `m` by a walk of its positions, and whether every record's position holds it. */
const walked = (m: OrderedById<R>): R[] => {
  const out: R[] = [];
  for (let p = m.firstSlot; p < m.slots; p++) {
    const r = m.slot(p);
    if (r !== undefined) out.push(r);
  }
  return out;
};
const placedRight = (m: OrderedById<R>): boolean => [...m.values()].every((r) => m.slot(m.position(r.id)!) === r);

const sameMap = (m: OrderedById<R>, ref: OrderedMap<bigint, R>): void => {
  expect(m.size).toBe(ref.size);
  const values = [...ref.values()];
  expect([...m.values()]).toEqual(values);
  expect(walked(m)).toEqual(values);
  expect(placedRight(m)).toBe(true);
  expect(values.every((r) => m.get(r.id) === r)).toBe(true);
};

/**
 * `m` with every other record deleted (odd ids, from 1) up to the threshold, then record 2: the deletion that leaves
 * half of the positions holes (it starts a gradual compaction, or compacts at once).
 */
const toThreshold = (m: OrderedById<R>): [OrderedById<R>, OrderedById<R>] => {
  for (let i = 1; m.slots - m.firstSlot < 2 * (m.size - 1); i += 2) m = m.delete(BigInt(i));
  return [m, m.delete(2n)];
};

/** `n` records with ids 0 .. n-1 (more positions than a collection compacted at once). */
const filled = (n: number): OrderedById<R> => {
  let m = OrderedById.empty<R>();
  for (let i = 0; i < n; i++) m = m.set(BigInt(i), { id: BigInt(i), v: 0 });
  return m;
};

describe('gradual compaction (the server rule) and compaction at once (logs up to version 8)', () => {
  it('OrderedById: the same ordered map as immutable.js OrderedMap under either rule, every kept version valid', () => {
    const op = fc.record({
      kind: fc.constantFrom('delete', 'delete', 'delete', 'set', 'add', 'get-set'),
      pick: fc.nat(),
      v: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom<Compaction>('gradual', 'at-once'),
        fc.integer({ min: AT_ONCE_UP_TO + 1, max: 2_500 }),
        fc.array(op, { minLength: 500, maxLength: 3_000 }),
        (rule, n, ops) => {
          setCompaction(rule);
          let m = filled(n);
          let ref = OrderedMap<bigint, R>([...m.values()].map((r) => [r.id, r]));
          let fresh = BigInt(n);
          // the ids present, in any order (picked by index; a deleted one swapped with the last)
          const ids = [...ref.keys()];
          const kept: Array<[OrderedById<R>, OrderedMap<bigint, R>]> = [];
          ops.forEach((o, k) => {
            const at = o.pick % Math.max(1, ids.length);
            if (o.kind === 'delete' && ids.length > 0) {
              const id = ids[at]!;
              ids[at] = ids[ids.length - 1]!;
              ids.pop();
              m = m.delete(id);
              ref = ref.delete(id);
            } else {
              const isNew = o.kind === 'delete' || o.kind === 'add' || ids.length === 0;
              const nid = isNew ? fresh++ : ids[at]!;
              if (isNew) ids.push(nid);
              if (o.kind === 'get-set') m.get(nid);
              const r = { id: nid, v: o.v };
              m = m.set(nid, r);
              ref = ref.set(nid, r);
            }
            if (k % 250 === 0) kept.push([m, ref]);
          });
          kept.push([m, ref]);
          for (const [vm, vr] of kept) sameMap(vm, vr);
        },
      ),
      { numRuns: 16 },
    );
  });

  it('OrderedById: at once renumbers in the deletion; gradually, the positions stay until the copy is complete', () => {
    const n = 5_000;
    const versions = new Map<Compaction, OrderedById<R>>();
    for (const rule of ['at-once', 'gradual'] as const) {
      setCompaction(rule);
      // every other record: holes until the deletion that leaves half of the positions holes
      const [before, after] = toThreshold(filled(n));
      let m = after;
      expect(m.size).toBe(before.size - 1);
      versions.set(rule, m);
      if (rule === 'at-once') {
        expect(m.slots - m.firstSlot).toBe(m.size);
        expect(m.position(0n)).toBe(0);
        continue;
      }
      // gradually: the positions are those of before the deletion, holes included
      expect(m.slots).toBe(before.slots);
      expect(m.position(0n)).toBe(0);
      expect(m.position(BigInt(n - 1))).toBe(n - 1);
      const during = m;
      const walkDuring = walked(during);
      // each change copies at most MIGRATE_STEP positions: the copy is not complete before this many changes
      const needed = Math.ceil(n / MIGRATE_STEP);
      let changes = 0;
      for (let k = 0; m.slots - m.firstSlot > m.size; k++) {
        const id = BigInt(4 + 2 * (k % 1_000));
        m = m.set(id, { id, v: k + 1 });
        changes++;
        expect(changes).toBeLessThanOrEqual(needed);
      }
      expect(changes).toBeGreaterThanOrEqual(needed - 1);
      expect(m.slots - m.firstSlot).toBe(m.size);
      expect(m.position(0n)).toBe(0);
      expect(m.position(BigInt(n - 1))).toBe(m.size - 1);
      // the version taken during the copy is as it was
      expect(walked(during)).toEqual(walkDuring);
      expect(placedRight(during)).toBe(true);
      // and the map is the one a compaction at once gives, with the replacements made since
      const ids = [...versions.get('at-once')!.values()].map((r) => r.id);
      expect([...m.values()].map((r) => r.id)).toEqual(ids);
    }
  });

  it('OrderedById: deletions and replacements of records already copied are made on the copy too', () => {
    setCompaction('gradual');
    const n = 4_000;
    let m = toThreshold(filled(n))[1];
    let ref = OrderedMap<bigint, R>([...m.values()].map((r) => [r.id, r]));
    // records the copy has by then (it takes MIGRATE_STEP positions a change: the first 16 in that deletion) are
    // deleted (ids 4, 6, ..., 82) or replaced (ids 200 to 278, from the 30th change on); new ones appended
    for (let k = 0; k < 300; k++) {
      if (k % 3 === 0 && k / 3 < 40) {
        const id = BigInt(4 + 2 * (k / 3));
        m = m.delete(id);
        ref = ref.delete(id);
      } else {
        const r = { id: k % 3 === 1 && k >= 30 ? BigInt(200 + 2 * (k % 40)) : BigInt(n + k), v: k };
        m = m.set(r.id, r);
        ref = ref.set(r.id, r);
      }
    }
    sameMap(m, ref);
    // the copy is complete and is the map: positions from 0, holes only where records were deleted since
    expect(m.firstSlot).toBeLessThan(100);
    expect(m.slots).toBeLessThan(n / 2 + 300);
  });

  it('OrderedIds: the same ordered set under either rule; hints stale after the copy still find members', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Compaction>('gradual', 'at-once'),
        fc.integer({ min: AT_ONCE_UP_TO + 1, max: 2_500 }),
        fc.array(fc.tuple(fc.constantFrom('delete', 'delete', 'append', 'nohint'), fc.nat()), {
          minLength: 500,
          maxLength: 3_000,
        }),
        (rule, n, ops) => {
          setCompaction(rule);
          let s = OrderedIds.empty();
          const hints = new Map<bigint, number>();
          let model: bigint[] = [];
          const append = (id: bigint): void => {
            hints.set(id, s.next);
            s = s.append(id);
            model.push(id);
          };
          for (let i = 0; i < n; i++) append(BigInt(i));
          let fresh = BigInt(n);
          const kept: Array<[OrderedIds, bigint[]]> = [];
          ops.forEach(([kind, pick], k) => {
            if (kind === 'append' || model.length === 0) append(fresh++);
            else {
              const id = model[pick % model.length]!;
              const before = s;
              s = s.delete(id, kind === 'nohint' ? undefined : hints.get(id));
              expect(s).not.toBe(before);
              model = model.filter((x) => x !== id);
            }
            if (k % 250 === 0) kept.push([s, [...model]]);
          });
          kept.push([s, model]);
          for (const [v, vm] of kept) {
            expect(v.size).toBe(vm.length);
            expect(v.toArray()).toEqual(vm);
            const w: bigint[] = [];
            for (let p = v.firstSlot; p < v.slots; p++) if (v.slot(p) !== undefined) w.push(v.slot(p)!);
            expect(w).toEqual(vm);
          }
        },
      ),
      { numRuns: 24 },
    );
  });

  it('OrderedIds: gradually, positions stay until the copy is complete, then members are found by stale hints', () => {
    setCompaction('gradual');
    const n = 5_000;
    let s = OrderedIds.empty();
    for (let i = 0; i < n; i++) s = s.append(BigInt(i));
    for (let i = 1; s.slots - s.firstSlot < 2 * (s.size - 1); i += 2) s = s.delete(BigInt(i), i);
    const before = s;
    s = s.delete(2n, 2);
    expect(s.slots).toBe(before.slots);
    expect(s.slot(n - 2)).toBe(BigInt(n - 2));
    let changes = 0;
    let fresh = BigInt(n);
    const deleted: bigint[] = [];
    // appends, and every fourth change a deletion of a member the copy has by then (4, 6, 8, ...: at their
    // appended-at positions, the hints), until the copy replaces the set (member n - 2 is then elsewhere)
    while (s.slot(n - 2) === BigInt(n - 2)) {
      if (changes % 4 === 3) {
        const id = BigInt(4 + 2 * deleted.length);
        s = s.delete(id, Number(id));
        deleted.push(id);
      } else s = s.append(fresh++);
      changes++;
      expect(changes).toBeLessThanOrEqual(Math.ceil(n / (MIGRATE_STEP - 1)));
    }
    const appended = changes - deleted.length;
    expect(s.size).toBe(before.size - 1 - deleted.length + appended);
    expect(deleted.some((id) => s.has(id))).toBe(false);
    expect(s.slots - s.firstSlot).toBeLessThan(before.slots / 2 + changes);
    // the members kept from before the copy sit at new positions: their appended-at hints are stale
    expect(s.slot(n - 2)).not.toBe(BigInt(n - 2));
    for (let k = 0; k < n; k++) s = s.delete(BigInt(k), k);
    expect(s.toArray()).toEqual(Array.from({ length: appended }, (_, k) => BigInt(n + k)));
  });

  it('OrderedSlots (the subscriptions): the same map under either rule; gradually, positions kept until the copy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Compaction>('gradual', 'at-once'),
        fc.integer({ min: AT_ONCE_UP_TO + 1, max: 2_500 }),
        fc.array(fc.record({ del: fc.boolean(), pick: fc.nat(), v: fc.integer({ min: 0, max: 9 }) }), {
          minLength: 500,
          maxLength: 3_000,
        }),
        (rule, n, ops) => {
          setCompaction(rule);
          let m = OrderedSlots.empty<R>();
          let ref = OrderedMap<bigint, R>();
          for (let i = 0; i < n; i++) {
            const r = { id: BigInt(i), v: 0 };
            m = m.set(r.id, r);
            ref = ref.set(r.id, r);
          }
          const ids = [...ref.keys()];
          let fresh = BigInt(n);
          const kept: Array<[OrderedSlots<R>, OrderedMap<bigint, R>]> = [];
          ops.forEach((o, k) => {
            const at = o.pick % Math.max(1, ids.length);
            if (o.del && ids.length > 0) {
              const id = ids[at]!;
              ids[at] = ids[ids.length - 1]!;
              ids.pop();
              m = m.delete(id);
              ref = ref.delete(id);
            } else {
              const isNew = o.v < 3 || ids.length === 0;
              const id = isNew ? fresh++ : ids[at]!;
              if (isNew) ids.push(id);
              const r = { id, v: o.v };
              m = m.set(id, r);
              ref = ref.set(id, r);
            }
            if (k % 250 === 0) kept.push([m, ref]);
          });
          kept.push([m, ref]);
          for (const [vm, vr] of kept) {
            expect(vm.size).toBe(vr.size);
            const values = [...vr.values()];
            expect([...vm.values()]).toEqual(values);
            const walked: R[] = [];
            for (let p = 0; p < vm.slots; p++) if (vm.slot(p) !== undefined) walked.push(vm.slot(p)!);
            expect(walked).toEqual(values);
            expect(values.every((r) => vm.get(r.id) === r)).toBe(true);
          }
        },
      ),
      { numRuns: 16 },
    );
    // the threshold: at once, renumbered in the deletion; gradually, positions kept until enough changes copied them
    for (const rule of ['at-once', 'gradual'] as const) {
      setCompaction(rule);
      let m = OrderedSlots.empty<R>();
      for (let i = 0n; i < 4_000n; i++) m = m.set(i, { id: i, v: 0 });
      for (let i = 1n; i < 3_998n; i += 2n) m = m.delete(i);
      m = m.delete(2n); // 2,000 records on 4,000 positions
      m = m.delete(4n); // the deletion that compacts (at once) or starts the copy
      if (rule === 'at-once') {
        expect(m.slots).toBe(m.size);
        continue;
      }
      expect(m.slots).toBe(4_000);
      expect(m.slot(3_998)?.id).toBe(3_998n);
      let changes = 0;
      const size = m.size;
      const deleted: bigint[] = [];
      // replacements of records the copy has by then (6, 8, ...), and every fourth change a deletion of one (from 3,000
      // down: copied once ~190 changes have copied 3,000 positions)
      for (let k = 0n; m.slot(3_998)?.id === 3_998n && changes < 1_000; k++, changes++)
        if (changes % 4 === 3 && changes > 200) {
          const id = 3_000n - 2n * BigInt(deleted.length);
          m = m.delete(id);
          deleted.push(id);
        } else m = m.set(6n + 2n * k, { id: 6n + 2n * k, v: 1 });
      expect(changes).toBeGreaterThanOrEqual(Math.ceil(4_000 / MIGRATE_STEP) - 2);
      expect(changes).toBeLessThanOrEqual(Math.ceil(4_000 / MIGRATE_STEP));
      expect(deleted.length).toBeGreaterThan(5);
      expect(m.size).toBe(size - deleted.length);
      expect(deleted.some((id) => m.has(id))).toBe(false);
      // the copy's positions: every record copied, those deleted since holes
      expect(m.slots).toBe(m.size + deleted.length);
      expect(m.get(6n)?.v).toBe(1);
    }
  });

  it('the reducer folds a batch in one call as one call per event, through gradual compactions (transient edits)', () => {
    // client 1 publishes 3,000 services and unpublishes them out of order (every 7th first), publishing a few more
    // meanwhile; client 2, subscribed to everything, asks for `services` listings that walk the positions meanwhile
    const msg = (conn: number, json: string): Event => ({ type: 'message', now: T0, conn, msg: wire(json) });
    const ev: Event[] = [];
    for (const c of [1, 2]) {
      ev.push({ type: 'accepted', now: T0, conn: c, address: `tcp:127.0.0.1:${c}`, user: 'u', transport: 'tcp' });
      ev.push(
        msg(c, request('hello', 0, { 'client-id': c, 'protocol-minimum-version': 2, 'protocol-maximum-version': 3 })),
      );
    }
    ev.push(msg(2, request('subscribe', 1, { 'subscription-id': 1 })));
    const publish = (id: number): Event =>
      msg(
        1,
        request('publish', 2, { 'service-id': id, generation: 0, 'service-props': { name: [`s${id}`] }, ttl: 30 }),
      );
    const n = 3_000;
    for (let i = 0; i < n; i++) ev.push(publish(i));
    let j = 0;
    for (let k = 0; k < 7; k++)
      for (let i = k; i < n; i += 7, j++) {
        ev.push(msg(1, request('unpublish', 3, { 'service-id': i })));
        if (j % 97 === 0) ev.push(publish(n + j));
        if (j % 211 === 0) ev.push(msg(2, request('services', 5, {})), { type: 'work', now: T0 });
      }
    for (let i = 0; i < 40; i++) ev.push({ type: 'work', now: T0 });
    const fold = (batch: number): [DomainState, Effect[]] => {
      let s = initialDomainState(defaultSettings, 1, T0);
      const fx: Effect[] = [];
      for (let i = 0; i < ev.length; i += batch) {
        const [next, f] = reduceAll(s, ev.slice(i, i + batch));
        s = next;
        fx.push(...f);
      }
      return [s, fx];
    };
    const positions = (s: DomainState): string[] => {
      const out: string[] = [];
      for (let p = 0; p < s.services.slots; p++) out.push(String(s.services.slot(p)?.id ?? '-'));
      const r = s.records.get(1)!.services;
      for (let p = 0; p < r.slots; p++) out.push(String(r.slot(p) ?? '-'));
      return out;
    };
    const sends = (fx: Effect[]): unknown[] => fx.flatMap((f) => (f.type === 'send' ? [[f.conn, f.msg]] : []));
    const [one, fxOne] = fold(1);
    // (the directory's compactions ran gradually: more positions than a compaction at once leaves)
    expect(one.services.slots).toBeGreaterThan(one.services.size);
    for (const batch of [64, 1_000]) {
      const [s, fx] = fold(batch);
      expect(positions(s)).toEqual(positions(one));
      expect(sends(fx)).toEqual(sends(fxOne));
      expect([...s.services.values()]).toEqual([...one.services.values()]);
    }
    expect(sends(fxOne).length).toBeGreaterThan(5_000);
  });
});

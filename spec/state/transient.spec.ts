/**
 * A reducer call folding a batch is one transient edit of the per-service tries (lib/util/hamt.ts,
 * lib/protocol/reducer.ts) and of the connection records (lib/state/context.ts `draftConn`): nodes and records copied
 * by one event are changed in place by the next. These specs hold it to what
 * that must not change: the input state and every state returned stay as they were, forever; a listing's snapshot
 * taken in the middle of a batch stays the directory as it was at its request; and a batch gives the states and
 * effects of one call per event.
 */
import fc from 'fast-check';

import { reduceAll } from '../../lib/protocol/reducer';
import type { Event } from '../../lib/state/events';
import type { Hamt } from '../../lib/util/hamt';
import type { DomainState } from '../../lib/state/model';
import { Domain } from '../helpers/builders';
import { projectState, showEffect } from '../replay/state-projection';

const U = 'ip:10.0.0.1';

/**
 * Freeze every node of the state's tries (directory positions, the service index and its buckets): a later change
 * in place of one of them throws (the specs run in strict mode).
 */
const freezeTries = (s: DomainState): void => {
  const freezeNode = (node: unknown[]): void => {
    if (Object.isFrozen(node)) return;
    Object.freeze(node);
    for (const x of node) {
      if (Array.isArray(x)) freezeNode(x as unknown[]);
      else if (x !== null && typeof x === 'object' && Array.isArray((x as { root?: unknown }).root))
        freezeNode((x as Hamt<bigint, unknown>).root);
    }
  };
  freezeNode((s.services as unknown as { at: Hamt<bigint, number> }).at.root);
  freezeNode(s.serviceIndex.root);
  // and the connection records (a batch patches the records it made in place), the resource counters (a batch moves
  // the counters it copied in place, lib/state/resources.ts)
  s.conns.forEach((c) => Object.freeze(c));
  Object.freeze(s.used);
  s.usedByUser.forEach((c) => Object.freeze(c));
  // and the sd records (a batch patches the records it copied in place, lib/state/directory.ts `recordWith`)
  s.records.forEach((r) => Object.freeze(r));
};

/** The events of a reference run, one reducer call each (`Domain` steps one event at a time). */
type Op =
  | { k: 'pub'; c: number; sid: number; gen: number; p: number }
  | { k: 'unpub'; c: number; sid: number }
  | { k: 'sub'; c: number; f: number }
  | { k: 'list'; c: number }
  | { k: 'close'; c: number }
  | { k: 'work' }
  | { k: 'time' };
const FILTERS = [undefined, '(a=1)', '(name=s3)', '(|(name=s1)(name=s2))'];
const PROPS = (sid: number, p: number): Record<string, string[]> =>
  [{ a: ['1'], name: [`s${sid}`] }, { a: ['2'], name: [`s${sid}`] }, { name: [`s${sid % 4}`] }][p]!;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('pub' as const),
      c: fc.nat(2),
      sid: fc.nat(40),
      gen: fc.nat(2),
      p: fc.nat(2),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unpub' as const), c: fc.nat(2), sid: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('sub' as const), c: fc.nat(2), f: fc.nat(FILTERS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('list' as const), c: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), c: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.constant({ k: 'work' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'time' as const }) },
);

/** Play ops step by step with a small work budget (listings and orphaning go over many events). */
const reference = (ops: readonly Op[], slice: number): Domain => {
  const d = new Domain({}, 7, slice);
  const gen = [0, 0, 0];
  const open = new Set<number>();
  const id = (c: number): number => c + 1 + 10 * gen[c]!;
  const ensure = (c: number): number => {
    if (!open.has(c)) {
      d.connect(id(c), 7 + c, { user: U });
      open.add(c);
    }
    return id(c);
  };
  let ta = 1000;
  let sub = 1;
  let t = 0;
  for (const op of ops) {
    switch (op.k) {
      case 'pub':
        d.publish(ensure(op.c), op.sid, op.gen, PROPS(op.sid, op.p), 1, ta++);
        break;
      case 'unpub':
        d.unpublish(ensure(op.c), op.sid, ta++);
        break;
      case 'sub':
        d.subscribe(ensure(op.c), sub++, FILTERS[op.f], ta++);
        break;
      case 'list':
        d.req(ensure(op.c), 'services', ta++);
        break;
      case 'close':
        if (open.delete(op.c)) {
          d.close(id(op.c));
          gen[op.c]!++;
        }
        break;
      case 'work':
        d.work();
        break;
      case 'time':
        d.jump((t += 0.4));
        break;
    }
  }
  return d;
};

/** Fold `events` in calls of `sizes` events (cycled); every state returned is frozen and its projection kept. */
const batched = (d: Domain, sizes: readonly number[]) => {
  let s = reference([], d.slice).state; // the same initial state
  const kept: Array<[DomainState, string]> = [[s, projectState(s)]];
  freezeTries(s);
  const effects: string[] = [];
  let n = 0;
  for (let i = 0; i < d.events.length; n++) {
    const part: Event[] = d.events.slice(i, i + sizes[n % sizes.length]!);
    i += part.length;
    const [next, fx] = reduceAll(s, part, d.slice);
    s = next;
    effects.push(...fx.map(showEffect));
    kept.push([s, projectState(s)]);
    freezeTries(s);
  }
  return { final: s, effects, kept };
};

describe('a batch is one transient edit of the tries', () => {
  it('batches of any size give the step-by-step states and effects; no state returned, nor the input, changes later', () => {
    let listed = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 5, maxLength: 120 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        (ops, slice, sizes) => {
          const ref = reference(ops, slice);
          const b = batched(ref, sizes);
          expect(b.effects).toEqual(ref.effects.map(showEffect));
          expect(projectState(b.final)).toBe(projectState(ref.state));
          for (const [s, p] of b.kept) expect(projectState(s)).toBe(p);
          if (ref.effects.some((f) => f.type === 'send' && f.msg['ta-cmd'] === 'services')) listed++;
        },
      ),
      { numRuns: 200 },
    );
    expect(listed).toBeGreaterThan(20); // many runs listed the directory while it changed
  });

  it("a batch of one connection's messages copies its record once; the record before the batch is unchanged", () => {
    const d = new Domain({}, 7, 2).connect(1, 7, { user: U });
    const before = d.state;
    const conn0 = before.conns.get(1)!;
    const shown = JSON.stringify(conn0, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    Object.freeze(conn0);
    const start = d.events.length;
    for (let i = 1; i <= 20; i++) d.publish(1, i, 0, { name: [`s${i}`] }, 5, 100 + i);
    const seen = new Set<unknown>();
    const [after] = reduceAll(before, d.events.slice(start), 2, (_i, st) => void seen.add(st.conns.get(1)));
    expect(seen.size).toBe(1);
    expect(seen.has(conn0)).toBe(false);
    expect(after.conns.get(1)).toBe([...seen][0]);
    expect(projectState(after)).toBe(projectState(d.state));
    expect(JSON.stringify(conn0, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(shown);
    // one event per call: a copy each
    const copies = new Set<unknown>();
    let s = before;
    for (const e of d.events.slice(start)) {
      s = reduceAll(s, [e], 2)[0];
      copies.add(s.conns.get(1));
    }
    expect(copies.size).toBe(20);
  });

  it('listings started in the middle of a batch list the directory as it was, whatever the batch did before and does next', () => {
    const d = new Domain({}, 7, 2).connect(1, 7, { user: U }).connect(2, 8, { user: U }).connect(3, 9, { user: U });
    for (let i = 1; i <= 30; i++) d.publish(1, i, 0, { name: [`s${i}`], a: ['1'] }, 5, 100 + i);
    const before = d.state;
    const start = d.events.length;
    // the batch first changes the directory (its tries' nodes are the batch's own from then on)...
    for (let i = 31; i <= 35; i++) d.publish(1, i, 0, { name: [`s${i}`], a: ['1'] }, 5, 100 + i);
    d.unpublish(1, 30, 130);
    // ...lists it (a subscribe whose initial matches come through the service index, and a full listing)...
    d.subscribe(2, 9, '(a=1)', 601).req(3, 'services', 600);
    // ...and goes on changing what the listings walk: unpublishes, republishes, new services, then works
    for (let i = 1; i <= 35; i += 3) d.unpublish(1, i, 700 + i);
    for (let i = 2; i <= 35; i += 3) d.publish(1, i, 1, { name: [`t${i}`], a: ['2'] }, 5, 800 + i);
    for (let i = 36; i <= 40; i++) d.publish(1, i, 0, { name: [`s${i}`], a: ['1'] }, 5, 900 + i);
    d.drain();
    const tail = d.events.slice(start);
    const [after, fx] = reduceAll(before, tail, 2);
    expect(projectState(after)).toBe(projectState(d.state));
    expect(fx.map(showEffect)).toEqual(d.effects.slice(d.effects.length - fx.length).map(showEffect));
    // both show the 34 services as they were at the request, in publication order
    const ids = (conn: number, cmd: string): unknown[] =>
      fx.flatMap((f): unknown[] => {
        if (f.type !== 'send' || f.conn !== conn) return [];
        const m = f.msg as Readonly<Record<string, unknown>>;
        return m['ta-cmd'] === cmd && m['msg-type'] === 'notify' ? [m['service-id']] : [];
      });
    const expected = Array.from({ length: 35 }, (_, i) => BigInt(i + 1)).filter((id) => id !== 30n);
    expect(ids(3, 'services')).toEqual(expected);
    // the subscriber's initial matches come before any change
    expect(ids(2, 'subscribe').slice(0, 34)).toEqual(expected);
  });
});

/**
 * A snapshot keeps where the ordered collections' entries are (positions, holes, a compaction in progress) and what
 * the pending jobs still walk, holes included: the sliced jobs pay a budget unit for every position they pass
 * (lib/state/work.ts), so a state rebuilt without its holes ran listings and orphaning ahead of the live server
 * (a `services` listing over 1,000 services with 333 holes: 52 replies a slice live, 64-65 decoded). The decoded
 * state must behave exactly like the original, event by event, for any history.
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { parseJson, stringifyJson } from '../../lib/codec/json';
import { reduceAll } from '../../lib/protocol/reducer';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import { setCompaction } from '../../lib/state/compaction';
import { workSlicesAtLeast } from '../../lib/state/work';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { OrderedById } from '../../lib/state/ordered-by-id';
import { OrderedIds } from '../../lib/state/ordered-ids';
import { OrderedSlots } from '../../lib/state/ordered-slots';
import { SlotList } from '../../lib/state/slot-list';
import { Domain } from '../helpers/builders';
import { projectState, showEffect } from './state-projection';

const roundTrip = (s: DomainState): DomainState => {
  const back = E.chain(decodeDomainState)(parseJson(stringifyJson(encodeDomainState(s))));
  if (E.isLeft(back)) throw new Error(back.left);
  return back.right;
};

/**
 * Each event folded alone with work budget `slice`: per event, its effects, the state after it but its jobs (a decoded
 * job is re-based: it keeps what it has left to walk, from position 0), and the budget units its jobs have left.
 */
const trace = (s: DomainState, events: readonly Event[], slice: number): string[] =>
  events.map((e) => {
    const [next, fx] = reduceAll(s, [e], slice);
    s = next;
    return `${fx.map(showEffect).join('\n')}\n${projectState({ ...s, work: s.work.clear() })}\n${workSlicesAtLeast(s, 1)}`;
  });

/**
 * `'same'`, or where `b` first differs from `a`: the event and some text around the difference (a short failure,
 * not two whole traces).
 */
const firstDifference = (a: readonly string[], b: readonly string[]): string => {
  const i = a.length !== b.length ? Math.min(a.length, b.length) : a.findIndex((x, j) => x !== b[j]);
  if (i < 0) return 'same';
  const x = a[i] ?? '';
  const y = b[i] ?? '';
  let k = 0;
  while (k < x.length && x[k] === y[k]) k++;
  return `after event ${i}: …${x.slice(Math.max(0, k - 200), k + 200)}… became …${y.slice(Math.max(0, k - 200), k + 200)}…`;
};

type Op =
  | { op: 'publish'; c: number; id: number; gen: number; name: number }
  | { op: 'unpublish'; c: number; id: number }
  | { op: 'subscribe'; c: number; id: number; filter: number }
  | { op: 'unsubscribe'; c: number; id: number }
  | { op: 'services' | 'subscriptions' | 'close' | 'work'; c: number }
  | { op: 'tick'; dt: number };

const FILTERS = [undefined, '(name=*)', '(name=s1)', '(n>3)', '(|(name=s2)(name=s7))'];
const client = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('publish' as const),
      c: client,
      id: fc.integer({ min: 0, max: 59 }),
      gen: fc.integer({ min: 0, max: 2 }),
      name: fc.integer({ min: 0, max: 9 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('unpublish' as const), c: client, id: fc.integer({ min: 0, max: 59 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('subscribe' as const),
      c: client,
      id: fc.integer({ min: 0, max: 11 }),
      filter: fc.integer({ min: 0, max: FILTERS.length - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('unsubscribe' as const), c: client, id: fc.integer({ min: 0, max: 11 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom('services' as const, 'subscriptions' as const, 'close' as const, 'work' as const),
      c: client,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), dt: fc.integer({ min: 1, max: 20 }) }) },
);

/** The events of `ops` on a domain of three clients (a closed one reconnects on a new connection, reclaiming). */
const history = (ops: readonly Op[], slice: number): Event[] => {
  const d = new Domain({}, 7, slice);
  const conn = [1, 2, 3];
  let next = 4;
  let t = 1;
  conn.forEach((c, i) => d.connect(c, i + 1));
  let ta = 1000;
  for (const o of ops) {
    if (o.op === 'tick') {
      t += o.dt;
      d.at(t);
      continue;
    }
    const c = conn[o.c]!;
    switch (o.op) {
      case 'publish':
        d.publish(c, o.id, o.gen, { name: [`s${o.name}`], n: [o.id % 7] }, 5 + (o.id % 3) * 10, ta++);
        break;
      case 'unpublish':
        d.unpublish(c, o.id, ta++);
        break;
      case 'subscribe':
        d.subscribe(c, o.id, FILTERS[o.filter], ta++);
        break;
      case 'unsubscribe':
        d.unsubscribe(c, o.id, ta++);
        break;
      case 'services':
        d.req(c, 'services', ta++);
        break;
      case 'subscriptions':
        d.req(c, 'subscriptions', ta++);
        break;
      case 'work':
        d.work();
        break;
      case 'close':
        d.close(c);
        conn[o.c] = next;
        d.connect(next++, o.c + 1);
        break;
    }
  }
  return d.events;
};

describe('a snapshot keeps positions and holes', () => {
  it('a listing over a directory with holes: the decoded state slices it as the original does', () => {
    const d = new Domain({}, 7);
    d.connect(1, 1).connect(2, 2);
    for (let i = 0; i < 1000; i++) d.publish(1, 10 + i, 0, { name: [`s${i}`] }, 60, 1000 + i);
    for (let i = 1; i < 999; i += 3) d.unpublish(1, 10 + i, 5000 + i);
    const s = d.state;
    const events: Event[] = [
      { type: 'message', now: d.now, conn: 2, msg: { 'ta-cmd': 'services', 'ta-id': 5n, 'msg-type': 'request' } },
      ...Array.from({ length: 14 }, (): Event => ({ type: 'work', now: d.now })),
    ];
    const original = trace(s, events, 128);
    expect(firstDifference(original, trace(roundTrip(s), events, 128))).toBe('same');
    // the holes were there to be kept: without them the listing would end sooner (13 work events live)
    expect(original[12]).toMatch(/"msg-type":"notify"/);
  });

  it('a compaction in progress of the services and of a record: the decoded state goes on with it as the original', () => {
    const d = new Domain({}, 7, 16);
    d.connect(1, 1).connect(2, 2);
    for (let i = 0; i < 1200; i++) d.publish(1, 10 + i, 0, { name: [`s${i}`] }, 60, 1000 + i);
    d.drain();
    // out of order, the odd ones, then even ones until a compaction starts (over half the positions are holes)
    let k = 0;
    for (let i = 1; i < 1200; i += 2, k++) d.unpublish(1, 10 + i, 5000 + k);
    for (let i = 2; i < 1200 && d.state.services.placement().moving === undefined; i += 2, k++)
      d.unpublish(1, 10 + i, 5000 + k);
    d.subscribe(2, 1, '(name=*)', 9000);
    const s = d.state;
    expect(s.services.placement().moving).toBeDefined();
    expect(s.records.get(1)!.services.placement().moving).toBeDefined();
    expect(s.work.size).toBeGreaterThan(0); // the subscription's initial matches, sliced
    const events: Event[] = [];
    for (let i = 0; i < 80; i++)
      events.push(
        { type: 'work', now: d.now },
        {
          type: 'message',
          now: d.now,
          conn: 1,
          msg: {
            'ta-cmd': 'unpublish',
            'ta-id': BigInt(7000 + i),
            'msg-type': 'request',
            'service-id': BigInt(10 + 2 * i),
          },
        },
      );
    expect(firstDifference(trace(s, events, 16), trace(roundTrip(s), events, 16))).toBe('same');
  });

  it('for any history, cut anywhere: the same effects and the same state (positions included), event by event', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 20, maxLength: 160 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        (ops, cut, slice) => {
          const events = history(ops, slice);
          // from the first 8 events (three hellos) on
          const k = 8 + Math.floor(cut * (events.length - 8));
          let s = new Domain({}, 7, slice).state;
          for (const e of events.slice(0, k)) s = reduceAll(s, [e], slice)[0];
          const rest = events.slice(k);
          expect(firstDifference(trace(s, rest, slice), trace(roundTrip(s), rest, slice))).toBe('same');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the ordered collections rebuilt from their placement', () => {
  /** A collection's observable positions: first slot, slots, and every position's entry id. */
  const slotsOf = (x: { firstSlot?: number; slots: number; slot(p: number): unknown }): unknown[] => {
    const out: unknown[] = [x.firstSlot ?? 0, x.slots];
    for (let p = 0; p < x.slots; p++) {
      const v = x.slot(p);
      out.push(typeof v === 'bigint' ? v : (v as { id: bigint } | undefined)?.id);
    }
    return out;
  };

  it.each(['gradual', 'at-once'] as const)(
    'behave as the originals through further changes, a %s compaction in progress included',
    (rule) => {
      const before = setCompaction(rule);
      try {
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1499 })), { minLength: 1, maxLength: 400 }),
            fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1499 })), { maxLength: 200 }),
            (changes, later) => {
              // 1,200 entries, then deletions and additions: past 1,024 positions a gradual compaction is sliced
              const ids = Array.from({ length: 1200 }, (_, i) => BigInt(i));
              let a = OrderedById.of(ids.map((id) => ({ id })));
              let b = OrderedIds.of(ids);
              let c = OrderedSlots.of(ids.map((id) => ({ id })));
              const apply = (add: boolean, n: number): void => {
                const id = BigInt(n);
                a = add ? a.set(id, { id }) : a.delete(id);
                b = add ? b.add(id) : b.delete(id);
                c = add ? c.set(id, { id }) : c.delete(id);
              };
              for (const [add, n] of changes) apply(!add && n % 4 === 0, n);
              let a2 = OrderedById.placed([...a.values()], a.placement());
              let b2 = OrderedIds.placed(b.toArray(), b.placement());
              let c2 = OrderedSlots.placed([...c.values()], c.placement());
              const same = (): void => {
                expect(slotsOf(a2)).toEqual(slotsOf(a));
                expect(slotsOf(b2)).toEqual(slotsOf(b));
                expect(slotsOf(c2)).toEqual(slotsOf(c));
                expect(a2.placement()).toEqual(a.placement());
                expect(b2.placement()).toEqual(b.placement());
                expect(c2.placement()).toEqual(c.placement());
              };
              same();
              for (const [add, n] of later) {
                apply(add, n);
                const id = BigInt(n);
                a2 = add ? a2.set(id, { id }) : a2.delete(id);
                b2 = add ? b2.add(id) : b2.delete(id);
                c2 = add ? c2.set(id, { id }) : c2.delete(id);
              }
              same();
            },
          ),
          { numRuns: 60 },
        );
      } finally {
        setCompaction(before);
      }
    },
  );
});

describe('placements that do not fit', () => {
  it('SlotList.placed refuses positions that are not one per value, increasing, within the bounds', () => {
    const bad = [
      { start: 0, end: 3, positions: [0, 1] },
      { start: 2, end: 1, positions: [] },
      { start: -1, end: 3, positions: [0, 1, 2] },
      { start: 0, end: 3, positions: [0, 0, 1] },
      { start: 0, end: 3, positions: [0, 1, 3] },
      { start: 1, end: 4, positions: [0, 1, 2] },
      { start: 0, end: 2 ** 31, positions: [0, 1, 2] },
    ];
    for (const layout of bad) expect(() => SlotList.placed(['a', 'b', 'c'].slice(0, 3), layout)).toThrow(RangeError);
    const l = SlotList.placed(['a', 'b', 'c'], { start: 40, end: 100, positions: [40, 63, 64] });
    expect([l.start, l.end, l.get(40), l.get(41), l.get(63), l.get(64), l.get(99)]).toEqual([
      40,
      100,
      'a',
      undefined,
      'b',
      'c',
      undefined,
    ]);
    expect(l.layout()).toEqual({ start: 40, end: 100, positions: [40, 63, 64] });
  });

  it('the collections refuse a repeated id', () => {
    const list = { start: 0, end: 2, positions: [0, 1] };
    expect(() => OrderedById.placed([{ id: 1n }, { id: 1n }], { list })).toThrow(RangeError);
    expect(() => OrderedIds.placed([1n, 1n], { list })).toThrow(RangeError);
    expect(() => OrderedSlots.placed([{ id: 1n }, { id: 1n }], { list })).toThrow(RangeError);
  });

  it('a compaction in progress of each collection comes back with its copy', () => {
    const before = setCompaction('gradual');
    try {
      const ids = Array.from({ length: 1200 }, (_, i) => BigInt(i));
      let a = OrderedById.of(ids.map((id) => ({ id })));
      let b = OrderedIds.of(ids);
      let c = OrderedSlots.of(ids.map((id) => ({ id })));
      // every other one, then more until each compacts gradually (over half of its positions holes)
      for (let i = 1; i < 1200; i += 2) [a, b, c] = [a.delete(BigInt(i)), b.delete(BigInt(i)), c.delete(BigInt(i))];
      for (let i = 2; i < 40; i += 2) [a, b, c] = [a.delete(BigInt(i)), b.delete(BigInt(i)), c.delete(BigInt(i))];
      expect([a, b, c].map((x) => x.placement().moving !== undefined)).toEqual([true, true, true]);
      let a2 = OrderedById.placed([...a.values()], a.placement());
      let b2 = OrderedIds.placed(b.toArray(), b.placement());
      let c2 = OrderedSlots.placed([...c.values()], c.placement());
      for (let i = 40; i < 400; i += 4) {
        const id = BigInt(i);
        [a, b, c] = [a.delete(id), b.delete(id), c.delete(id)];
        [a2, b2, c2] = [a2.delete(id), b2.delete(id), c2.delete(id)];
        expect([a2.placement(), b2.placement(), c2.placement()]).toEqual([a.placement(), b.placement(), c.placement()]);
      }
    } finally {
      setCompaction(before);
    }
  });
});

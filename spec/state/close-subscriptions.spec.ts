/**
 * A connection that closes holding subscriptions (§7.5 step 2: they vanish silently) has them removed in one transient
 * edit of the subscriptions map and of the filter index (lib/state/connections.ts, `indexRemoveAll`; issue 12: a
 * subscriber of 10,000 filters closing was 10,000 persistent removals in one event). What the others see afterwards
 * must be what they see when the same subscriptions are unsubscribed one by one.
 */
import fc from 'fast-check';
import { OrderedMap } from 'immutable';

import { printFilter } from '../../lib/filter/print';
import type { Props } from '../../lib/filter/props';
import { filterArb, propsArb, smallUniverse } from '../filter/arbitraries';
import { Domain } from '../helpers/builders';
import type { DomainState } from '../../lib/state/model';
import * as E from 'fp-ts/Either';
import { parseJson, stringifyJson } from '../../lib/codec/json';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import { domainCounts } from '../../lib/state/selectors';
import { type CloseRule, SLICE, UNSUBSCRIBE_SLICED_FROM, workSlicesAtLeast } from '../../lib/state/work';
import { type Hamt, hamtEntries, hamtGet } from '../../lib/util/hamt';

const asRecord = (p: Props): Record<string, Array<string | bigint>> =>
  Object.fromEntries([...p].map(([k, vs]) => [k, [...vs]]));

/** Subscriptions in creation order: whose (A = conn 1, B = conn 2) and with which filter (undefined: everything). */
const subArb = (aWeight: number) =>
  fc.record({
    a: fc.integer({ min: 0, max: 9 }).map((x) => x < aWeight),
    filter: fc.option(fc.oneof(filterArb(smallUniverse), fc.constantFrom('(name=*)', '(name=x)')), {
      nil: undefined,
      freq: 6,
    }),
  });
const subsArb = fc.oneof(
  fc.array(subArb(5), { minLength: 1, maxLength: 40 }),
  // many of A's: the others' rebuilt (lib/state/connections.ts REBUILD_FROM), or not when B holds more
  fc.array(subArb(7), { minLength: 64, maxLength: 120 }),
);

/** The filter index as plain data, maps in key order, buckets as their entries in order (or a `Single`). */
const indexShape = (ix: DomainState['subscriptionIndex']): unknown => {
  const bucket = (b: unknown): unknown =>
    b instanceof OrderedMap ? ['map', [...(b as OrderedMap<number, unknown>).entries()]] : ['single', b];
  const sorted = <V>(m: Hamt<string, V>): Array<[string, V]> => hamtEntries(m).sort(([x], [y]) => (x < y ? -1 : 1));
  return {
    members: hamtEntries(ix.members).sort(([x], [y]) => x - y),
    byKey: sorted(ix.byKey).map(([k, b]) => [k, bucket(b)]),
    byValue: sorted(ix.byValue).map(([k, inner]) => [k, sorted(inner).map(([v, b]) => [v, bucket(b)])]),
    always: [...ix.always.entries()],
  };
};

describe('a connection closing with its subscriptions', () => {
  it('leaves the others exactly as unsubscribing them one by one does (notifications, listings, resources)', () => {
    let many = 0;
    let rebuilt = 0;
    fc.assert(
      fc.property(subsArb, fc.array(propsArb, { minLength: 1, maxLength: 6 }), (subs, changes) => {
        const play = (unsubscribeFirst: boolean): Domain => {
          const d = new Domain({ idleMin: 1000, idleMax: 2000 }).connect(1, 1).connect(2, 2).connect(3, 3);
          subs.forEach(({ a, filter }, i) =>
            d.subscribe(
              a ? 1 : 2,
              i + 1,
              typeof filter === 'string' ? filter : filter && printFilter(filter),
              1000 + i,
            ),
          );
          if (unsubscribeFirst) subs.forEach(({ a }, i) => a && d.unsubscribe(1, i + 1, 5000 + i));
          d.close(1).clear();
          changes.forEach((p, i) => d.publish(3, 77, i, asRecord(p), 30));
          d.unpublish(3, 77);
          return d.req(2, 'subscriptions', 9000).drain();
        };
        const oneByOne = play(true);
        const atOnce = play(false);
        expect(atOnce.take(2)).toEqual(oneByOne.take(2));
        expect([...atOnce.state.subscriptions.values()]).toEqual([...oneByOne.state.subscriptions.values()]);
        expect(indexShape(atOnce.state.subscriptionIndex)).toEqual(indexShape(oneByOne.state.subscriptionIndex));
        expect(atOnce.state.used).toEqual(oneByOne.state.used);
        expect(atOnce.state.usedByUser.toJS()).toEqual(oneByOne.state.usedByUser.toJS());
        const mine = subs.filter((s) => s.a).length;
        if (mine > 1) many++;
        // (lib/state/connections.ts REBUILD_FROM: the others' rebuilt rather than its own removed)
        if (mine >= 32 && 2 * mine >= subs.length) rebuilt++;
      }),
      { numRuns: 300 },
    );
    expect(many).toBeGreaterThan(100);
    expect(rebuilt).toBeGreaterThan(30);
  });

  it('releases every subscription resource and leaves nothing of them in the index', () => {
    const d = new Domain().connect(1, 1).connect(2, 2);
    for (let i = 1; i <= 500; i++) d.subscribe(1, i, i % 3 === 0 ? undefined : `(name=s${i % 7})`, i);
    d.subscribe(2, 1000, '(name=s1)', 1);
    expect(d.state.used.subscriptions).toBe(501);
    d.close(1).clear();
    expect(d.state.used.subscriptions).toBe(1);
    expect([...d.state.subscriptions.keys()]).toEqual([1000n]);
    expect(d.state.subscriptionIndex.members.size).toBe(1);
    expect(d.state.subscriptionIndex.always.size).toBe(0);
    expect(hamtEntries(hamtGet(d.state.subscriptionIndex.byValue, 'name')!).map(([v]) => v)).toEqual(['s1']);
  });
});

/**
 * A connection holding at least UNSUBSCRIBE_SLICED_FROM subscriptions (lib/state/work.ts) has them gone at once for
 * every purpose and removed from the map and the filter index by an `unsubscribe` job, SLICE a `work` event: no
 * event spends more than a slice on them (issue 12, a subscriber of 10,000 filters among others held its close's
 * event 25-50 ms).
 */
describe('a connection closing with many subscriptions', () => {
  const many = UNSUBSCRIBE_SLICED_FROM + 300;
  /** Conn 1 (client 1) holds `many` subscriptions (ids 1..many), conn 2 (client 2) three, conn 3 publishes. */
  const setup = (): Domain => {
    const d = new Domain({ idleMin: 1000, idleMax: 2000 }).connect(1, 1).connect(2, 2).connect(3, 3);
    for (let i = 1; i <= many; i++) d.subscribe(1, i, i % 4 === 0 ? undefined : `(name=s${i % 9})`, 1000 + i);
    d.subscribe(2, 90_001, '(name=s1)', 1).subscribe(2, 90_002, undefined, 2).subscribe(2, 90_003, '(name=zz)', 3);
    return d.clear();
  };

  it('are removed in slices, and are gone meanwhile: not told, not listed, not counted, their ids free', () => {
    const d = setup();
    d.close(1);
    // the close's event removed at most a slice; the rest waits for work events
    expect(d.state.subscriptions.size).toBeGreaterThanOrEqual(3 + many - SLICE);
    expect(d.state.unsubscribing.toJS()).toEqual({ 1: d.state.subscriptions.size - 3 });
    expect(domainCounts(d.state).subscriptions).toBe(3);
    expect(d.state.used.subscriptions).toBe(3);
    // a change is told to conn 2 only (nothing is addressed to the closed connection)
    const from = d.effects.length;
    d.publish(3, 7, 0, { name: ['s1'] }, 30);
    expect(d.effects.slice(from).filter((f) => f.type === 'send' && f.conn === 1)).toEqual([]);
    expect(d.takeParsed(2).map((m) => m['ta-id'])).toEqual([1, 2]);
    // client 1 back on conn 4: one of its old ids is free (a new subscription, told of changes); another is gone
    d.connect(4, 1).clear();
    d.subscribe(4, 5, '(name=s1)', 77);
    expect(d.takeParsed(4).map((m) => m['msg-type'])).toEqual(['accept', 'notify']);
    d.unsubscribe(4, 6, 78);
    expect(d.takeParsed(4)).toEqual([
      expect.objectContaining({ 'msg-type': 'fail', 'fail-reason': 'non-existent-subscription-id' }),
    ]);
    expect(domainCounts(d.state).subscriptions).toBe(4);
    d.publish(3, 7, 1, { name: ['s1'] }, 30);
    expect(d.takeParsed(4).map((m) => [m['ta-id'], m['match-type']])).toEqual([[77, 'modified']]);
    expect(d.takeParsed(2).map((m) => m['ta-id'])).toEqual([1, 2]);
    // a listing shows the live ones only, however many work events it spans (the removal goes on meanwhile);
    // each work event removes at most a slice, the last leaves the map and the index holding the live ones
    d.req(2, 'subscriptions', 500);
    let events = 0;
    while (d.state.unsubscribing.size > 0 || d.state.work.size > 0) {
      const before = d.state.subscriptionIndex.members.size;
      d.work();
      events++;
      expect(before - d.state.subscriptionIndex.members.size).toBeLessThanOrEqual(SLICE);
    }
    expect(events).toBeGreaterThanOrEqual(Math.floor((many - SLICE) / SLICE));
    expect(d.takeParsed(2).flatMap((m) => (m['msg-type'] === 'notify' ? [m['subscription-id']] : []))).toEqual([
      90_001, 90_002, 90_003, 5,
    ]);
    expect([...d.state.subscriptions.keys()]).toEqual([90_001n, 90_002n, 90_003n, 5n]);
    expect(d.state.subscriptionIndex.members.size).toBe(4);
    expect(domainCounts(d.state).subscriptions).toBe(4);
  });

  it('leave the others seeing exactly what they see under the earlier rule (all removed in the close)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: propsArb, work: fc.boolean(), resubscribe: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        (steps) => {
          const play = (rule: CloseRule | undefined): Domain => {
            const d = setup();
            d.closeRule = rule;
            d.close(1);
            steps.forEach(({ p, work, resubscribe }, i) => {
              d.publish(3, 77, i, asRecord(p), 30);
              if (resubscribe) d.connect(10 + i, 1).subscribe(10 + i, 1 + i * 7, '(name=s1)', 3000 + i);
              if (work) d.work();
            });
            d.unpublish(3, 77);
            return d.req(2, 'subscriptions', 9000).drain();
          };
          const sliced = play(undefined);
          const whole = play('close-first');
          expect(whole.state.work.size).toBe(0);
          for (const c of [2, ...steps.map((_, i) => 10 + i)]) expect(sliced.take(c)).toEqual(whole.take(c));
          expect([...sliced.state.subscriptions.values()]).toEqual([...whole.state.subscriptions.values()]);
          expect(indexShape(sliced.state.subscriptionIndex)).toEqual(indexShape(whole.state.subscriptionIndex));
          expect(sliced.state.used).toEqual(whole.state.used);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a snapshot taken while they are removed restores to the same state (the job, the counts)', () => {
    const d = setup();
    d.close(1).work();
    d.connect(4, 1).subscribe(4, 5, '(name=s1)', 77);
    const restored = E.chain(decodeDomainState)(parseJson(stringifyJson(encodeDomainState(d.state))));
    if (E.isLeft(restored)) throw new Error(restored.left);
    const r = restored.right;
    expect(r.unsubscribing.toJS()).toEqual(d.state.unsubscribing.toJS());
    expect(workSlicesAtLeast(r)).toBe(workSlicesAtLeast(d.state));
    const e = new Domain({ idleMin: 1000, idleMax: 2000 });
    e.state = r;
    e.now = d.now;
    for (const x of [d, e])
      x.clear()
        .publish(3, 7, 0, { name: ['s1'] }, 30)
        .drain()
        .req(2, 'subscriptions', 600);
    expect(e.take(2)).toEqual(d.take(2));
    expect(e.take(4)).toEqual(d.take(4));
    expect([...e.state.subscriptions.keys()]).toEqual([...d.state.subscriptions.keys()]);
    expect(e.state.subscriptionIndex.members.size).toBe(4);
  });

  it("walks the others' subscriptions between its own at a fraction of a removal, and a restored job walks alike", () => {
    // conn 1's subscriptions interleaved with 20 of conn 2's after each: every slice passes over many of them
    const d = new Domain({ idleMin: 1000, idleMax: 2000 }).connect(1, 1).connect(2, 2);
    for (let i = 1; i <= many; i++) {
      d.subscribe(1, i, `(name=s${i % 9})`, 1000 + i);
      for (let k = 0; k < 20; k++) d.subscribe(2, 100_000 + i * 20 + k, '(name=zz)', 10_000 + i * 20 + k);
    }
    d.clear().close(1);
    const removed = (x: Domain): number => 21 * many - x.state.subscriptions.size;
    // the close's slice: 20 passes cost 1.25 units, so fewer than a slice of removals
    const first = removed(d);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(SLICE);
    const restored = E.chain(decodeDomainState)(parseJson(stringifyJson(encodeDomainState(d.state))));
    if (E.isLeft(restored)) throw new Error(restored.left);
    const e = new Domain({ idleMin: 1000, idleMax: 2000 });
    e.state = restored.right;
    e.now = d.now;
    // event by event, the restored job removes what the original removes
    let events = 0;
    while (d.state.work.size > 0) {
      d.work();
      e.work();
      events++;
      expect(e.state.subscriptions.size).toBe(d.state.subscriptions.size);
      expect(e.state.unsubscribing.toJS()).toEqual(d.state.unsubscribing.toJS());
    }
    expect(e.state.work.size).toBe(0);
    expect(events).toBeGreaterThanOrEqual(Math.ceil((many - first) / SLICE));
    expect(d.state.subscriptions.size).toBe(20 * many);
    expect(e.state.subscriptionIndex.members.size).toBe(20 * many);
  });
});

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
  const sorted = <V>(m: Iterable<[string, V]>): Array<[string, V]> => [...m].sort(([x], [y]) => (x < y ? -1 : 1));
  return {
    members: [...ix.members.entries()].sort(([x], [y]) => x - y),
    byKey: sorted(ix.byKey.entries()).map(([k, b]) => [k, bucket(b)]),
    byValue: sorted(ix.byValue.entries()).map(([k, inner]) => [
      k,
      sorted(inner.entries()).map(([v, b]) => [v, bucket(b)]),
    ]),
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
        expect(atOnce.state.subscriptions.toArray()).toEqual(oneByOne.state.subscriptions.toArray());
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
    expect(d.state.subscriptions.keySeq().toArray()).toEqual([1000n]);
    expect(d.state.subscriptionIndex.members.size).toBe(1);
    expect(d.state.subscriptionIndex.always.size).toBe(0);
    expect(d.state.subscriptionIndex.byValue.get('name')?.keySeq().toArray()).toEqual(['s1']);
  });
});

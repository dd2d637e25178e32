/**
 * Subscribe's initial scan through the service index (lib/state/service-index.ts, issue 12): the candidates of an
 * indexable filter are found by property instead of by walking every service, and the listing is exactly what the
 * full walk gives (same services, same directory order, §5.4), still sliced and still a consistent snapshot.
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { parseJson, stringifyJson } from '../../lib/codec/json';
import { reduceAll } from '../../lib/protocol/reducer';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';

import type { Filter } from '../../lib/filter/ast';
import { matchFilter } from '../../lib/filter/match';
import { printFilter } from '../../lib/filter/print';
import type { Props } from '../../lib/filter/props';
import type { DomainState } from '../../lib/state/model';
import { emptyServiceIndex, serviceIndexEntries, serviceIndexUpdate } from '../../lib/state/service-index';
import { effectiveService, hasWork, indexedCandidates } from '../../lib/state/work';
import { filterArb, propsArb, smallUniverse } from '../filter/arbitraries';
import { Domain, T0 } from '../helpers/builders';
import { plain, showEffect } from '../replay/state-projection';

const asRecord = (p: Props): Record<string, Array<string | bigint>> =>
  Object.fromEntries([...p].map(([k, vs]) => [k, [...vs]]));

const drain = (d: Domain): void => {
  for (let n = 0; hasWork(d.state); n++) {
    if (n > 100_000) throw new Error('work does not finish');
    d.work();
  }
};

/** The service index rebuilt from scratch, as comparable text (bucket ids sorted). */
const indexText = (ix: DomainState['serviceIndex']): string => JSON.stringify(plain(serviceIndexEntries(ix)));
const rebuilt = (s: DomainState): DomainState['serviceIndex'] =>
  s.services.reduce((ix, v) => serviceIndexUpdate(ix, v.id, undefined, v.props), emptyServiceIndex());

type Op =
  | { readonly op: 'publish'; readonly owner: number; readonly id: number; readonly props: Props; readonly ttl: number }
  | { readonly op: 'unpublish'; readonly owner: number; readonly id: number }
  | { readonly op: 'close'; readonly owner: number }
  | { readonly op: 'time'; readonly dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('publish' as const),
      owner: fc.constantFrom(1, 2, 3),
      id: fc.integer({ min: 1, max: 40 }),
      props: propsArb,
      ttl: fc.constantFrom(0, 1, 3, 10),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('unpublish' as const),
      owner: fc.constantFrom(1, 2, 3),
      id: fc.integer({ min: 1, max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), owner: fc.constantFrom(1, 2, 3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('time' as const), dt: fc.constantFrom(0.5, 2, 5) }) },
);

/** Play random directory changes; owners that closed reconnect (reclaiming their orphans on republish). */
const play = (ops: readonly Op[], slice: number): Domain => {
  const d = new Domain({ idleMin: 1000, idleMax: 2000 }, 7, slice);
  const open = new Set<number>();
  const conn = new Map<number, number>();
  let next = 1;
  let gen = 1;
  let t = 0;
  for (const x of ops) {
    switch (x.op) {
      case 'publish':
        if (!open.has(x.owner)) {
          conn.set(x.owner, next);
          d.connect(next++, x.owner, { user: `ip:10.0.0.${x.owner}` });
          open.add(x.owner);
        }
        d.publish(conn.get(x.owner)!, x.id, gen++, asRecord(x.props), x.ttl);
        break;
      case 'unpublish':
        if (open.has(x.owner)) d.unpublish(conn.get(x.owner)!, x.id);
        break;
      case 'close':
        if (open.has(x.owner)) d.close(conn.get(x.owner)!);
        open.delete(x.owner);
        break;
      case 'time':
        t += x.dt;
        d.at(t);
        break;
    }
  }
  return d.clear();
};

describe('the service index', () => {
  it('always equals the index rebuilt from the services (publish, modify, unpublish, orphaning, expiry)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 80 }), fc.constantFrom(3, 20, 512), (ops, slice) => {
        const d = play(ops, slice);
        expect(indexText(d.state.serviceIndex)).toBe(indexText(rebuilt(d.state)));
        drain(d);
        expect(indexText(d.state.serviceIndex)).toBe(indexText(rebuilt(d.state)));
      }),
      { numRuns: 150 },
    );
  });
});

const eqArb: fc.Arbitrary<Filter> = fc.record({
  op: fc.constant('eq' as const),
  key: smallUniverse.key,
  value: smallUniverse.value,
});
/** Filters the index can use: an equality, an OR of equalities, an AND with an equality among any filters. */
const indexableArb: fc.Arbitrary<Filter> = fc.oneof(
  eqArb,
  fc.array(eqArb, { minLength: 2, maxLength: 4 }).map((operands): Filter => ({ op: 'or', operands })),
  fc
    .tuple(eqArb, fc.array(filterArb(smallUniverse), { minLength: 1, maxLength: 2 }))
    .map(([e, rest]): Filter => ({ op: 'and', operands: [...rest, e] })),
);

describe("subscribe's initial listing through the index", () => {
  it('lists exactly what the full walk lists, in directory order (random directories and filters)', () => {
    let indexed = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 10, maxLength: 80 }),
        fc.oneof(filterArb(smallUniverse), indexableArb),
        fc.constantFrom(3, 20, 512),
        (ops, filter: Filter, slice) => {
          runs++;
          const d = play(ops, slice);
          drain(d);
          if (indexedCandidates(d.state, d.state.services, filter) !== undefined) indexed++;
          // the full walk by hand: every service in insertion order, as a listing now shows it, that matches
          const expected = [...d.state.services.values()]
            .filter((s) => matchFilter(filter, s.props))
            .flatMap((s) => {
              const e = effectiveService(d.state.records, s, d.state.now);
              return e === undefined ? [] : [e.id];
            });
          d.connect(900, 90, { user: 'ip:10.0.0.90' }).clear();
          const text = printFilter(filter);
          d.subscribe(900, 1, text);
          drain(d);
          const appeared = d.takeParsed(900).filter((m) => m['match-type'] === 'appeared');
          expect(appeared.map((m) => BigInt(m['service-id'] as number))).toEqual(expected);
          // and the `services` listing, which walks every service, agrees message for message
          d.req(900, 'services', 500, { filter: text });
          drain(d);
          const listed = d.takeParsed(900).filter((m) => m['msg-type'] === 'notify');
          const strip = (m: Record<string, unknown>): unknown => {
            const { 'ta-cmd': _c, 'ta-id': _t, 'msg-type': _m, 'match-type': _k, ...rest } = m;
            return rest;
          };
          expect(appeared.map(strip)).toEqual(listed.map(strip));
        },
      ),
      { numRuns: 400 },
    );
    // the property must have exercised the index, not only the fallback
    expect(indexed).toBeGreaterThan(runs / 3);
  });

  const big = (slice: number): Domain => {
    const d = new Domain({ idleMin: 1000, idleMax: 2000 }, 7, slice).connect(1, 1);
    for (let i = 1; i <= 3000; i++)
      d.publish(1, i, 0, { name: [`s${i}`], kind: [i % 300 === 0 ? 'rare' : 'common'] }, 5);
    return d.connect(2, 2).connect(3, 3).clear();
  };

  it('a filter with a rare equality visits only its candidates: done in the subscribe event', () => {
    const d = big(512);
    d.subscribe(2, 1, '(&(kind=rare)(name=*))');
    expect(hasWork(d.state)).toBe(false);
    const ids = d
      .takeParsed(2)
      .filter((m) => m['match-type'] === 'appeared')
      .map((m) => m['service-id']);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 300));
    // the same matches through a filter the index cannot use walk all 3,000 services, in several slices
    d.subscribe(3, 2, '(&(kind=rar*)(name=*))');
    expect(hasWork(d.state)).toBe(true);
    drain(d);
    const walked = d
      .takeParsed(3)
      .filter((m) => m['match-type'] === 'appeared')
      .map((m) => m['service-id']);
    expect(walked).toEqual(ids);
  });

  it('a value shared by too many services keeps a count only, and its listings stay right as it shrinks', () => {
    const d = big(512);
    const bucket = serviceIndexEntries(d.state.serviceIndex)
      .find(([k]) => k === 'kind')?.[1]
      .find(([v]) => v === 'common')?.[1];
    expect(bucket).toBe(2990); // saturated: the ids are not kept
    expect(indexedCandidates(d.state, d.state.services, { op: 'eq', key: 'kind', value: 'common' })).toBeUndefined();
    for (let i = 1; i <= 3000; i++) if (i % 300 !== 0 && i % 7 !== 0) d.unpublish(1, i);
    d.clear().subscribe(2, 1, '(kind=common)');
    drain(d);
    const ids = d
      .takeParsed(2)
      .filter((m) => m['match-type'] === 'appeared')
      .map((m) => m['service-id']);
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1).filter((i) => i % 7 === 0 && i % 300 !== 0));
    for (const i of ids) d.unpublish(1, i as number);
    // dropped when no service has it
    expect(
      serviceIndexEntries(d.state.serviceIndex)
        .find(([k]) => k === 'kind')?.[1]
        .find(([v]) => v === 'common'),
    ).toBeUndefined();
  });

  it('a modified service keeps its directory place in an indexed listing', () => {
    const d = big(512);
    d.publish(1, 5, 1, { name: ['s5'], kind: ['rare'] }, 5); // modified: now rare, still 5th in the directory
    d.clear().subscribe(2, 1, '(kind=rare)');
    const ids = d
      .takeParsed(2)
      .filter((m) => m['match-type'] === 'appeared')
      .map((m) => m['service-id']);
    expect(ids).toEqual([5, ...Array.from({ length: 10 }, (_, i) => (i + 1) * 300)]);
  });

  it('a large indexed listing is still sliced, serves others between slices, and is a snapshot', () => {
    const d = big(40);
    d.subscribe(2, 1, '(|(kind=rare)(name=s1)(name=s2)(name=s3)(name=s4)(name=s2999))');
    expect(hasWork(d.state)).toBe(false); // 15 candidates, within one slice of 40
    d.clear();
    d.subscribe(2, 2, '(kind=common)', 201); // 2,990 candidates: over the index limit, the full walk in slices
    expect(hasWork(d.state)).toBe(true);
    d.ping(3, 7);
    expect(d.takeParsed(3)).toEqual([{ 'ta-cmd': 'ping', 'ta-id': 7, 'msg-type': 'complete' }]);
    drain(d);
    expect(d.takeParsed(2).filter((m) => m['match-type'] === 'appeared')).toHaveLength(2990);

    const e = big(20);
    const orFilter = `(|${Array.from({ length: 200 }, (_, i) => `(name=s${3000 - i})`).join('')})`;
    e.subscribe(2, 1, orFilter);
    expect(hasWork(e.state)).toBe(true); // 200 candidates in slices of 20 units
    let works = 0;
    e.unpublish(1, 2999); // after the request: the listing still shows it (snapshot)
    e.publish(1, 5000, 0, { name: ['s3000'] }, 5); // new: not in the snapshot
    while (hasWork(e.state)) {
      e.work();
      e.ping(3, works++);
      expect(e.takeParsed(3)).toHaveLength(1);
    }
    expect(works).toBeGreaterThan(5);
    const got = e
      .takeParsed(2)
      .filter((m) => m['match-type'] === 'appeared')
      .map((m) => m['service-id']);
    // the snapshot as it was at request time, then the changes since (held until the listing is done)
    expect(got).toEqual([...Array.from({ length: 200 }, (_, i) => 2801 + i), 5000]);
  });

  it('an indexed listing in progress survives a state snapshot: the decoded state continues identically', () => {
    const d = big(20);
    d.subscribe(2, 1, `(|${Array.from({ length: 50 }, (_, i) => `(name=s${3000 - 2 * i})`).join('')})`);
    const job = d.state.work.first();
    expect(job?.kind === 'subscribe' && job.ids?.length).toBe(50); // walking the candidates, not the directory
    const back = E.getOrElseW((e: string) => {
      throw new Error(e);
    })(E.chain(decodeDomainState)(parseJson(stringifyJson(encodeDomainState(d.state)))));
    expect(indexText(back.serviceIndex)).toBe(indexText(d.state.serviceIndex));
    let a = d.state;
    let b = back;
    for (let i = 0; i < 100 && hasWork(a); i++) {
      const ev = { type: 'work', now: T0 + 1 + i / 100 } as const;
      const [a2, fa] = reduceAll(a, [ev], 20);
      const [b2, fb] = reduceAll(b, [ev], 20);
      expect(fb.map(showEffect)).toEqual(fa.map(showEffect));
      [a, b] = [a2, b2];
    }
    expect(hasWork(a)).toBe(false);
    expect(hasWork(b)).toBe(false);
    expect(stringifyJson(encodeDomainState(b))).toEqual(stringifyJson(encodeDomainState(a)));
  });
});

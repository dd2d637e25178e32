import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { decodeClientMessage } from '../../lib/codec/decode';
import { encodeProps } from '../../lib/codec/encode';
import type { ClientMessage } from '../../lib/codec/messages';
import { propsEqual } from '../../lib/codec/primitives';
import { CompactProps, compactProps, isProps } from '../../lib/filter/compact-props';
import { matchFilter } from '../../lib/filter/match';
import { parseFilter } from '../../lib/filter/public';
import type { PropValue, Props } from '../../lib/filter/props';
import { toJson } from '../../lib/json';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';

const value = fc.oneof(fc.string({ maxLength: 4 }), fc.bigInt({ min: -5n, max: 5n }));
/** Props as the codec builds them: distinct keys in order, each with one or more distinct values. */
const props = fc
  .uniqueArray(fc.tuple(fc.string({ maxLength: 3 }), fc.uniqueArray(value, { minLength: 1, maxLength: 3 })), {
    selector: ([k]) => k,
    maxLength: 7,
  })
  .map((entries) => new Map<string, readonly PropValue[]>(entries));

/** What a `ReadonlyMap` shows through each of its reading methods. */
const view = (p: Props, probe: readonly string[]) => {
  const each: unknown[] = [];
  p.forEach((vs, k, m) => each.push([k, vs, m === p]));
  return {
    size: p.size,
    entries: [...p.entries()],
    iterated: [...p],
    keys: [...p.keys()],
    values: [...p.values()],
    each,
    get: probe.map((k) => p.get(k)),
    has: probe.map((k) => p.has(k)),
  };
};

describe('compactProps', () => {
  it('reads like the Map it was made from, through every ReadonlyMap method', () => {
    fc.assert(
      fc.property(props, fc.array(fc.string({ maxLength: 3 }), { maxLength: 5 }), (m, extra) => {
        const c = compactProps(m);
        expect(c).toBeInstanceOf(CompactProps);
        const probe = [...m.keys(), ...extra, 'absent-key'];
        expect(view(c, probe)).toEqual(view(m, probe));
        expect(propsEqual(c, m)).toBe(true);
        expect(encodeProps(c)).toBe(encodeProps(new Map(m)));
        expect(toJson(c)).toBe(toJson(m));
      }),
      { numRuns: 500 },
    );
  });

  it('tells whether props show the same keys and values in the same order (sameAs), as their JSON does', () => {
    /** Props like `m`, or changed in one way a republish may change them. */
    const variant = (m: Map<string, readonly PropValue[]>) =>
      fc.oneof(
        fc.constant(new Map(m)),
        fc.constant(new Map([...m].reverse())),
        fc.constant(new Map([...m].map(([k, vs]) => [k, [...vs].reverse()] as const))),
        fc.constant(new Map([...m].slice(1))),
        fc.tuple(fc.nat(), value).map(([i, v]) => {
          const e = [...m];
          if (e.length > 0) e[i % e.length] = [e[i % e.length]![0], [...e[i % e.length]![1].slice(1), v]];
          return new Map(e);
        }),
        props,
      );
    fc.assert(
      fc.property(
        props.chain((m) => fc.tuple(fc.constant(m), variant(m))),
        ([m, other]) => {
          const c = CompactProps.of(m);
          const same = toJson(m) === toJson(other);
          expect(c.sameAs(other)).toBe(same);
          expect(c.sameAs(CompactProps.of(other))).toBe(same);
          expect(c.sameAs(c)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('matches filters as the Map does', () => {
    const m = new Map<string, readonly PropValue[]>([
      ['name', ['printer']],
      ['addr', ['tls:10.10.10.10:4711']],
      ['color', ['green', 'blue']],
      ['port', [631n]],
      ['area', [51n, 52n]],
    ]);
    const c = compactProps(m);
    const cases: ReadonlyArray<readonly [string, boolean]> = [
      ['(name=printer)', true],
      ['(color=blue)', true],
      ['(color=red)', false],
      ['(area>51)', true],
      ['(port<630)', false],
      ['(&(name=print*)(color=green)(area=52))', true],
      ['(!(addr=*))', false],
      ['(|(x=1)(port=631))', true],
      ['(x=*)', false],
    ];
    for (const [f, expected] of cases) {
      expect([f, matchFilter(parseFilter(f), m)]).toEqual([f, expected]);
      expect([f, matchFilter(parseFilter(f), c)]).toEqual([f, expected]);
    }
  });

  it('gives a compact form back as it is, and tells props from other values', () => {
    const c = compactProps(new Map([['a', ['1']]]));
    expect(compactProps(c)).toBe(c);
    expect(isProps(c)).toBe(true);
    expect(isProps(new Map())).toBe(true);
    expect(isProps({ a: ['1'] })).toBe(false);
    expect(isProps([['a', ['1']]])).toBe(false);
    expect(compactProps(new Map()).size).toBe(0);
  });

  it('shares one key list between records with the same keys in the same order, and only then', () => {
    const keysOf = (p: Props): unknown => (p as unknown as { k: unknown }).k;
    const a = compactProps(
      new Map([
        ['name', ['a']],
        ['addr', ['x']],
        ['color', ['green']],
      ]),
    );
    const b = compactProps(
      new Map([
        ['name', ['b']],
        ['addr', ['y']],
        ['color', ['blue']],
      ]),
    );
    const reordered = compactProps(
      new Map([
        ['addr', ['y']],
        ['name', ['b']],
        ['color', ['blue']],
      ]),
    );
    expect(keysOf(a)).toBe(keysOf(b));
    expect(keysOf(reordered)).not.toBe(keysOf(a));
    expect([...reordered.keys()]).toEqual(['addr', 'name', 'color']);
    // keys holding the separator used to find shared lists do not get each other's lists
    const ab = compactProps(
      new Map([
        ['a\u0000b', ['1']],
        ['c', ['2']],
      ]),
    );
    const bc = compactProps(
      new Map([
        ['a', ['1']],
        ['b\u0000c', ['2']],
      ]),
    );
    expect([...ab.keys()]).toEqual(['a\u0000b', 'c']);
    expect([...bc.keys()]).toEqual(['a', 'b\u0000c']);
    expect(bc.get('b\u0000c')).toEqual(['2']);
    expect(ab.get('a')).toBeUndefined();
  });

  it('keeps the values of keys beyond the third in order', () => {
    const m = new Map<string, readonly PropValue[]>(
      Array.from({ length: 9 }, (_, i) => [`k${i}`, [`v${i}`, BigInt(i)]] as const),
    );
    const c = compactProps(m);
    expect(c.get('k8')).toEqual(['v8', 8n]);
    expect(c.get('k3')).toEqual(['v3', 3n]);
    expect([...c.values()]).toEqual([...m.values()]);
  });
});

describe('the directory keeps compact props', () => {
  const T0 = 1_700_000_000;
  const decode = (text: string): ClientMessage => {
    const m = decodeClientMessage(text);
    if (m._tag === 'Left') throw new Error(m.left.reason);
    return m.right;
  };
  const publish = (taId: number, generation: number, color: string): ClientMessage =>
    decode(
      `{"ta-cmd":"publish","ta-id":${taId},"msg-type":"request","service-id":7,"generation":${generation},` +
        `"service-props":{"name":["a"],"color":["${color}"]},"ttl":60}`,
    );

  it('when a service is published and when a new generation replaces its props', () => {
    let s = initialDomainState(defaultSettings, 1, T0);
    s = reduceAll(s, [
      { type: 'accepted', now: T0, conn: 1, address: 'tcp:127.0.0.1:1', user: 'ip:127.0.0.1', transport: 'tcp' },
      {
        type: 'message',
        now: T0,
        conn: 1,
        msg: decode(
          '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":1,"protocol-minimum-version":2,"protocol-maximum-version":2}',
        ),
      },
      { type: 'message', now: T0, conn: 1, msg: publish(1, 0, 'green') },
    ])[0];
    const first = s.services.get(7n)!.props;
    expect(first).toBeInstanceOf(CompactProps);
    expect([...first]).toEqual([
      ['name', ['a']],
      ['color', ['green']],
    ]);
    s = reduceAll(s, [{ type: 'message', now: T0 + 1, conn: 1, msg: publish(2, 1, 'blue') }])[0];
    const second = s.services.get(7n)!.props;
    expect(second).toBeInstanceOf(CompactProps);
    expect(second.get('color')).toEqual(['blue']);
    expect(s.services.get(7n)!.generation).toBe(1n);
  });
});

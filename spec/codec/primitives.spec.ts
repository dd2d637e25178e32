import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { PathReporter } from 'io-ts/PathReporter';

import { stringifyJson } from '../../lib/codec/json';
import { INT63_MAX, makeProps, NonNegNumber, PropsCodec, propsEqual, Str, UInt63 } from '../../lib/codec/primitives';
import type { Props, PropValue } from '../../lib/filter/props';
import { json, leftOf, rightOf } from './helpers';

const props = (text: string): Props => rightOf(PropsCodec.decode(json(text)));
const propsErr = (text: string): string => PathReporter.report(PropsCodec.decode(json(text))).join('\n');

describe('UInt63 (Int>=0)', () => {
  it('INT63_MAX is 2^63 − 1', () => {
    expect(INT63_MAX).toBe(2n ** 63n - 1n);
  });

  it.each([0n, 1n, 4711n, 2n ** 53n + 1n, INT63_MAX])('accepts %p', (v) => {
    expect(rightOf(UInt63.decode(v))).toBe(v);
    expect(UInt63.is(v)).toBe(true);
    expect(UInt63.encode(v)).toBe(v);
  });

  it.each([
    ['2^63', 2n ** 63n],
    ['2^99', 2n ** 99n],
    ['-1', -1n],
    ['-42', -42n],
    ['the number 1 (from 1.0)', 1],
    ['the number 0', 0],
    ['true (A5)', true],
    ['false (A5)', false],
    ['a string', '1'],
    ['null', null],
    ['undefined', undefined],
    ['an array', [1n]],
  ])('rejects %s', (_name, v) => {
    expect(E.isLeft(UInt63.decode(v))).toBe(true);
    expect(UInt63.is(v)).toBe(false);
  });

  it('the accepted range is exactly [0, 2^63−1]', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (v) => {
        expect(E.isRight(UInt63.decode(v))).toBe(v >= 0n && v <= INT63_MAX);
      }),
    );
  });
});

describe('NonNegNumber (Number>=0)', () => {
  it.each([
    [0, 0],
    [0.0002, 0.0002],
    [1700000000.123456, 1700000000.123456],
    [0n, 0],
    [5n, 5],
    [1700000000n, 1700000000],
  ])('decodes %p to the number %p', (v, want) => {
    const r = rightOf(NonNegNumber.decode(v));
    expect(typeof r).toBe('number');
    expect(r).toBe(want);
  });

  it('decodes integer literals beyond 2^53 to the nearest double', () => {
    expect(rightOf(NonNegNumber.decode(2n ** 64n))).toBe(2 ** 64);
  });

  it.each([
    ['-1', -1],
    ['-0.5', -0.5],
    ['-1n', -1n],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a string', '1.5'],
    ['true', true],
    ['null', null],
  ])('rejects %s', (_name, v) => {
    expect(E.isLeft(NonNegNumber.decode(v))).toBe(true);
  });

  it('is() accepts numbers only', () => {
    expect(NonNegNumber.is(1.5)).toBe(true);
    expect(NonNegNumber.is(1n)).toBe(false);
    expect(NonNegNumber.is(-1)).toBe(false);
  });
});

describe('Str', () => {
  it('accepts strings only', () => {
    expect(rightOf(Str.decode('(name=foo)'))).toBe('(name=foo)');
    expect(rightOf(Str.decode(''))).toBe('');
    for (const v of [1n, 1.5, true, null, [], {}]) expect(E.isLeft(Str.decode(v))).toBe(true);
  });
});

describe('PropsCodec', () => {
  it('decodes an object of arrays to a Map', () => {
    const p = props('{"name":["foo"],"port":[4711]}');
    expect(p).toBeInstanceOf(Map);
    expect([...p]).toEqual([
      ['name', ['foo']],
      ['port', [4711n]],
    ]);
  });

  it('collapses duplicate values, keeping first appearance', () => {
    expect(props('{"a":["x",1,"x",1,"y"]}').get('a')).toEqual(['x', 1n, 'y']);
  });

  it('drops keys whose array is empty', () => {
    const p = props('{"a":[],"b":["x"],"c":[]}');
    expect([...p.keys()]).toEqual(['b']);
    expect(p.has('a')).toBe(false);
    expect(props('{"a":[]}').size).toBe(0);
    expect(propsEqual(props('{"a":[]}'), props('{}'))).toBe(true);
  });

  it('tells the string "1" from the integer 1', () => {
    expect(props('{"a":["1",1]}').get('a')).toEqual(['1', 1n]);
    expect(propsEqual(props('{"a":["1"]}'), props('{"a":[1]}'))).toBe(false);
  });

  it('keeps integers of any size and sign (not range-checked)', () => {
    expect(props('{"a":[-5, 633825300114114700748351602688]}').get('a')).toEqual([-5n, 2n ** 99n]);
  });

  it('keeps the order of first appearance of keys', () => {
    expect([...props('{"z":[1],"a":[2],"m":[3]}').keys()]).toEqual(['z', 'a', 'm']);
  });

  it('accepts __proto__ and other Object.prototype names as keys', () => {
    const p = props('{"__proto__":["x"],"constructor":["y"]}');
    expect(p.get('__proto__')).toEqual(['x']);
    expect(p.get('constructor')).toEqual(['y']);
  });

  it('accepts the empty key and non-ASCII keys and values', () => {
    expect([...props('{"":["é"],"名前":["😀"]}')]).toEqual([
      ['', ['é']],
      ['名前', ['😀']],
    ]);
  });

  it.each([
    ['a string', '"x"'],
    ['an array', '[["x"]]'],
    ['null', 'null'],
    ['an integer', '1'],
    ['true', 'true'],
  ])('rejects %s instead of an object', (_name, text) => {
    expect(propsErr(text)).toMatch(/object/);
  });

  it.each([
    ['a string', '{"k":"x"}'],
    ['an integer', '{"k":1}'],
    ['null', '{"k":null}'],
    ['an object', '{"k":{"x":1}}'],
  ])('rejects a prop value that is %s instead of an array, naming the key', (_name, text) => {
    expect(propsErr(text)).toMatch(/'k'.*not an array/);
  });

  it.each([
    ['a float', '{"k":[1.5]}'],
    ['a float with zero fraction', '{"k":[1.0]}'],
    ['an exponent literal', '{"k":[1e3]}'],
    ['a nested array', '{"k":[["x"]]}'],
    ['an object', '{"k":[{}]}'],
    ['null', '{"k":[null]}'],
    ['true (A5)', '{"k":[true]}'],
    ['false (A5)', '{"k":["ok",false]}'],
  ])('rejects %s as an element, naming the key', (_name, text) => {
    expect(propsErr(text)).toMatch(/'k'.*string or an integer/);
  });

  it('rejects a bad element even after an empty array for another key', () => {
    expect(E.isLeft(PropsCodec.decode(json('{"a":[],"b":[null]}')))).toBe(true);
  });

  it('is() recognises Maps only', () => {
    expect(PropsCodec.is(new Map())).toBe(true);
    expect(PropsCodec.is({})).toBe(false);
  });

  it('encodes to an object of arrays', () => {
    const o = PropsCodec.encode(
      makeProps([
        ['name', ['foo']],
        ['port', [4711n, 'x']],
      ]),
    );
    expect(stringifyJson(o)).toBe('{"name":["foo"],"port":[4711,"x"]}');
  });

  it('a Map is not mistaken for a props object', () => {
    expect(leftOf(PropsCodec.decode(new Map([['a', ['x']]])))).toHaveLength(1);
  });
});

describe('makeProps', () => {
  it('collapses duplicates, drops empty lists, keeps first-appearance order, merges repeated keys', () => {
    const p = makeProps([
      ['b', ['x', 'x', 1n]],
      ['empty', []],
      ['a', [1n]],
      ['b', ['y', 1n]],
    ]);
    expect([...p]).toEqual([
      ['b', ['x', 1n, 'y']],
      ['a', [1n]],
    ]);
  });

  it('accepts any iterables', () => {
    const p = makeProps(new Map([['k', new Set<PropValue>(['v', 2n])]]));
    expect(p.get('k')).toEqual(['v', 2n]);
  });
});

describe('propsEqual', () => {
  const P = (o: Record<string, PropValue[]>): Props => makeProps(Object.entries(o));

  it('ignores key and value order', () => {
    expect(propsEqual(P({ a: ['x', 1n], b: ['y'] }), P({ b: ['y'], a: [1n, 'x'] }))).toBe(true);
  });

  it('detects differing keys, values, and value types', () => {
    expect(propsEqual(P({ a: ['x'] }), P({ b: ['x'] }))).toBe(false);
    expect(propsEqual(P({ a: ['x'] }), P({ a: ['x'], b: ['y'] }))).toBe(false);
    expect(propsEqual(P({ a: ['x'] }), P({ a: ['x', 'y'] }))).toBe(false);
    expect(propsEqual(P({ a: ['1'] }), P({ a: [1n] }))).toBe(false);
    expect(propsEqual(P({}), P({ a: ['x'] }))).toBe(false);
  });

  it('is set equality even for hand-built lists that repeat a value', () => {
    const dup: Props = new Map([['k', ['a', 'a']]]);
    const two: Props = new Map([['k', ['a', 'b']]]);
    expect(propsEqual(dup, two)).toBe(false);
    expect(propsEqual(two, dup)).toBe(false);
    expect(propsEqual(dup, new Map([['k', ['a']]]))).toBe(true);
  });

  it('is reflexive, symmetric and order-insensitive (property)', () => {
    const value = fc.oneof(fc.string({ maxLength: 3 }), fc.bigInt({ min: -3n, max: 3n }));
    const entries = fc.array(fc.tuple(fc.string({ maxLength: 2 }), fc.array(value, { maxLength: 4 })), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(entries, entries, (ea, eb) => {
        const a = makeProps(ea);
        const b = makeProps(eb);
        const shuffled = makeProps([...a].reverse().map(([k, vs]) => [k, [...vs].reverse()] as const));
        expect(propsEqual(a, a)).toBe(true);
        expect(propsEqual(a, shuffled)).toBe(true);
        expect(propsEqual(a, b)).toBe(propsEqual(b, a));
        const asSets = (p: Props): Map<string, Set<PropValue>> => new Map([...p].map(([k, vs]) => [k, new Set(vs)]));
        expect(propsEqual(a, b)).toBe(
          a.size === b.size &&
            [...asSets(a)].every(([k, s]) => {
              const t = asSets(b).get(k);
              return t !== undefined && t.size === s.size && [...s].every((v) => t.has(v));
            }),
        );
      }),
    );
  });
});

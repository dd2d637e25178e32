import * as fc from 'fast-check';

import { parseJson, stringifyJson, type Json } from '../../lib/codec/json';
import { parseJsonFast } from '../../lib/replay/fast-json';

const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }),
    // the 19-digit ids of real clients (random 63-bit), and beyond
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
    // strings that look like long integers, with quotes and backslashes, or hold the mark the fast path uses
    fc.stringMatching(/^[0-9"\\\ue000 .e-]{0,24}$/),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 5 }),
  ),
})).v;

describe('parseJsonFast', () => {
  it('reads what parseJson reads (integers as bigints), and answers unless the text holds its mark', () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = stringifyJson(v);
        const fast = parseJsonFast(text);
        const exact = parseJson(text);
        expect(exact._tag).toBe('Right');
        // it answers unless the text holds its mark
        if (!text.includes('\ue000')) expect(fast).toBeDefined();
        if (fast === undefined) return;
        // integral doubles print as integer literals: both parsers give a bigint for them
        expect(stringifyJson(fast)).toBe(stringifyJson((exact as { right: Json }).right));
      }),
      { numRuns: 500 },
    );
  });

  it('reads integers that are not exact as doubles, long fractions and strings of digits exactly', () => {
    expect(parseJsonFast('{"id":9007199254740993}')).toEqual({ id: 9007199254740993n });
    expect(parseJsonFast('[1234567890123456,-12345678901234567890,"12345678901234567890"]')).toEqual([
      1234567890123456n,
      -12345678901234567890n,
      '12345678901234567890',
    ]);
    expect(parseJsonFast('{"a\\"b":"x\\\\",  "n" : 12345678901234567891}')).toEqual({
      'a"b': 'x\\',
      n: 12345678901234567891n,
    });
    // (a fraction or an exponent: a double, as the exact parser reads it)
    expect(parseJsonFast('[12345678901234567890.5,12345678901234567890e2]')).toEqual([
      Number('12345678901234567890.5'),
      Number('12345678901234567890e2'),
    ]);
    // the mark of a long integer turned into a string is in the text: the exact parser decides
    expect(parseJsonFast('["\ue000", 12345678901234567890]')).toBeUndefined();
    expect(parseJsonFast('["unterminated 12345678901234567890]')).toBeUndefined();
    expect(parseJsonFast(`{"at":0.${'1234567890'.repeat(2)},"n":42}`)).toEqual({
      at: Number(`0.${'1234567890'.repeat(2)}`),
      n: 42n,
    });
    expect(parseJsonFast('{"x":1e300,"y":5.0}')).toEqual({ x: 1e300, y: 5n });
    expect(parseJsonFast('{"x":')).toBeUndefined();
  });
});

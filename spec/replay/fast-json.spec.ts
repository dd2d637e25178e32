import * as fc from 'fast-check';

import { parseJson, stringifyJson, type Json } from '../../lib/codec/json';
import { parseJsonFast } from '../../lib/replay/fast-json';

const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 5 }),
  ),
})).v;

describe('parseJsonFast', () => {
  it('reads what parseJson reads (integers as bigints) whenever it answers', () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = stringifyJson(v);
        const fast = parseJsonFast(text);
        const exact = parseJson(text);
        expect(exact._tag).toBe('Right');
        if (fast === undefined) return;
        // integral doubles print as integer literals: both parsers give a bigint for them
        expect(stringifyJson(fast)).toBe(stringifyJson((exact as { right: Json }).right));
      }),
    );
  });

  it('leaves integers that are not exact as doubles to parseJson, and reads long fractions itself', () => {
    expect(parseJsonFast('{"id":9007199254740993}')).toBeUndefined();
    expect(parseJsonFast('[1234567890123456]')).toBeUndefined();
    expect(parseJsonFast(`{"at":0.${'1234567890'.repeat(2)},"n":42}`)).toEqual({
      at: Number(`0.${'1234567890'.repeat(2)}`),
      n: 42n,
    });
    expect(parseJsonFast('{"x":1e300,"y":5.0}')).toEqual({ x: 1e300, y: 5n });
    expect(parseJsonFast('{"x":')).toBeUndefined();
  });
});

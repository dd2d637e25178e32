import { toJson } from '../lib/json';

describe('toJson', () => {
  it('should write bigints as exact integer literals', () => {
    expect(toJson({ id: 9223372036854775807n, g: -5n })).toBe('{"id":9223372036854775807,"g":-5}');
  });

  it('should format like JSON.stringify for plain values, with and without indentation', () => {
    const v = { a: [1, 'x', null, undefined, true], b: { c: 1.5, d: undefined }, e: [], f: {}, t: new Date(0) };
    expect(toJson(v)).toBe(JSON.stringify(v));
    expect(toJson(v, 2)).toBe(JSON.stringify(v, null, 2));
    expect(toJson(Number.NaN)).toBe('null');
    expect(toJson(undefined)).toBe('null');
  });

  it('should turn Maps into objects and Sets into arrays', () => {
    expect(toJson(new Map<unknown, unknown>([[1n, new Set(['a', 2n])]]))).toBe('{"1":["a",2]}');
  });

  it('should never confuse a string with a bigint', () => {
    expect(toJson(['12', 12n])).toBe('["12",12]');
  });
});

import { PafArgumentError } from '../lib/errors';
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

describe('toJson of a value that contains itself', () => {
  it('throws PafArgumentError (PAF_INVALID_ARGUMENT) naming where the cycle closes, not a raw TypeError', () => {
    const a: { name: string; self?: unknown } = { name: 'a' };
    a.self = a;
    expect(() => JSON.stringify(a)).toThrow(TypeError); // what toJson improves on
    expect(() => toJson(a)).toThrow(PafArgumentError);
    expect(() => toJson(a)).toThrow(expect.objectContaining({ code: 'PAF_INVALID_ARGUMENT' }) as Error);
    expect(() => toJson(a)).toThrow('toJson: the value is cyclic: .self refers back to an enclosing object');

    const deep: { list: unknown[] } = { list: [1n] };
    deep.list.push(new Map([['m', { back: deep }]]));
    expect(() => toJson(deep, 2)).toThrow('toJson: the value is cyclic: .list[1].m.back refers back');

    const arr: unknown[] = [];
    arr.push(arr);
    expect(() => toJson(arr)).toThrow('cyclic: [0] refers back');
    const outer: { toJSON: () => unknown } = { toJSON: () => ({ inner: outer }) }; // JSON.stringify overflows the stack
    expect(() => toJson(outer)).toThrow('cyclic: .inner refers back');
    const self = {
      a: 1n,
      toJSON(): unknown {
        return this;
      },
    };
    expect(toJson(self)).toBe('{"a":1}'); // toJSON returning itself is no cycle, as in JSON.stringify
    expect(toJson({ d: new Date(0) })).toBe(JSON.stringify({ d: new Date(0) }));
  });

  it('writes a value shared by two branches (no cycle) twice, as JSON.stringify does', () => {
    const shared = { id: 1n };
    const v = { a: shared, b: [shared, shared] };
    expect(toJson(v)).toBe('{"a":{"id":1},"b":[{"id":1},{"id":1}]}');
    expect(toJson(v, 2)).toBe(JSON.stringify({ a: { id: 1 }, b: [{ id: 1 }, { id: 1 }] }, null, 2));
  });
});

describe('toJson of deeply nested values', () => {
  const nest = (depth: number): unknown => {
    let v: unknown = 1n;
    for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
    return v;
  };

  it('writes an acyclic value nested deeper than the fast pass (as JSON.stringify, bigints as digits)', () => {
    for (const depth of [63, 64, 65, 66, 200]) {
      const text = toJson(nest(depth));
      expect(text).toBe(JSON.stringify(nest(depth), (_k, x: unknown) => (typeof x === 'bigint' ? 1 : x)));
    }
  });

  it('finds a cycle that closes deep down, with its path', () => {
    const root: { a: unknown } = { a: null };
    let at: { a: unknown } = root;
    for (let i = 0; i < 100; i++) {
      const next = { a: null };
      at.a = next;
      at = next;
    }
    at.a = root;
    expect(() => toJson(root)).toThrow(PafArgumentError);
    expect(() => toJson(root)).toThrow(`toJson: the value is cyclic: ${'.a'.repeat(101)} refers back`);
  });
});

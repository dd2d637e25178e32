import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { decodeUtf8, MAX_DEPTH, parseJson, stringifyJson, type Json, type JsonObject } from '../../lib/codec/json';
import { json, leftOf, rightOf } from './helpers';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(utf8(p)) : p)));

/** Numbers compared by value with -0 folded into 0, bigints as bigints: the model parseJson promises. */
const toPlain = (v: Json): unknown => {
  if (typeof v === 'bigint') return { big: v.toString() };
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return (v as Json[]).map(toPlain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(o, k, { value: toPlain((v as JsonObject)[k]!), enumerable: true });
    return o;
  }
  return v;
};

describe('parseJson: integers and numbers', () => {
  it.each([
    ['0', 0n],
    ['7', 7n],
    ['-42', -42n],
    ['9007199254740993', 9007199254740993n], // 2^53 + 1: lost by JSON.parse
    ['9223372036854775807', 2n ** 63n - 1n],
    ['9223372036854775808', 2n ** 63n],
    ['-9223372036854775809', -(2n ** 63n) - 1n],
    ['633825300114114700748351602688', 2n ** 99n],
    ['1' + '0'.repeat(400), 10n ** 400n],
  ])('integer literal %s is the exact bigint', (text, want) => {
    const v = json(text);
    expect(typeof v).toBe('bigint');
    expect(v).toBe(want);
  });

  it('-0 is an integer literal (bigint 0), like Python int("-0")', () => {
    expect(json('-0')).toBe(0n);
  });

  it.each([
    ['1.0', 1],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1e-3', 0.001],
    ['-1.5', -1.5],
    ['0.5', 0.5],
    ['1700000000.123456', 1700000000.123456],
    ['1.7976931348623157e308', Number.MAX_VALUE],
    ['5e-324', 5e-324],
    ['1e-400', 0],
    ['9223372036854775807.0', 2 ** 63],
  ])('fraction/exponent literal %s is the number %p', (text, want) => {
    const v = json(text);
    expect(typeof v).toBe('number');
    expect(v).toBe(want);
  });

  it('-0.0 is the number -0', () => {
    expect(Object.is(json('-0.0'), -0)).toBe(true);
  });

  it('integers inside containers stay exact', () => {
    expect(json('{"a":[9223372036854775807,1.0,-3]}')).toEqual({ a: [9223372036854775807n, 1, -3n] });
  });
});

describe('parseJson: rejected documents', () => {
  it.each([
    ['empty input', ''],
    ['only whitespace', ' \n\t '],
    ['leading zero', '01'],
    ['leading zero, negative', '-01'],
    ['leading zero in array', '[01]'],
    ['leading zero float', '00.5'],
    ['plus sign', '+1'],
    ['lone minus', '-'],
    ['double minus', '--1'],
    ['bare fraction', '.5'],
    ['trailing dot', '1.'],
    ['dot before exponent', '1.e3'],
    ['empty exponent', '1e'],
    ['signed empty exponent', '1e+'],
    ['hex', '0x10'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['NaN as a value', '{"ta-id":NaN}'],
    ['overflowing float', '1e400'],
    ['overflowing negative float', '-1e400'],
    ['trailing garbage', '{} x'],
    ['two documents', '{}{}'],
    ['two numbers', '1 2'],
    ['trailing comma garbage', '{"a":1},'],
    ['trailing NUL', '{}\u0000'],
    ['raw control char U+0001 in string', '"a\u0001b"'],
    ['raw newline in string', '"a\nb"'],
    ['raw tab in string', '"a\tb"'],
    ['raw NUL in string', '"a\u0000b"'],
    ['raw U+001F in key', '{"a\u001f":1}'],
    ['unterminated string', '"abc'],
    ['unterminated string after escape', '"abc\\'],
    ['unterminated object', '{"a":1'],
    ['unterminated object after key', '{"a"'],
    ['unterminated object after colon', '{"a":'],
    ['unterminated array', '[1,2'],
    ['unterminated empty array', '['],
    ['unterminated empty object', '{'],
    ['missing value', '{"a":}'],
    ['missing colon', '{"a" 1}'],
    ['trailing comma in array', '[1,]'],
    ['trailing comma in object', '{"a":1,}'],
    ['lone comma in array', '[,]'],
    ['lone comma in object', '{,}'],
    ['unquoted key', '{a:1}'],
    ['numeric key', '{1:1}'],
    ['single quotes', "'a'"],
    ['bad escape \\x', '"\\x41"'],
    ['bad escape \\U', '"\\U0041"'],
    ['bad escape \\0', '"\\0"'],
    ['bad escape \\a', '"\\a"'],
    ['short \\u', '"\\u12"'],
    ['non-hex \\u', '"\\u12G4"'],
    ['\\u at end of input', '"\\u00'],
    ['\\u with sign', '"\\u+123"'],
    ['truncated literal', 'tru'],
    ['truncated null', 'nul'],
    ['capitalised literal', 'True'],
    ['undefined', 'undefined'],
    ['comment', '// x\n{}'],
    ['form feed is not whitespace', '\f{}'],
    ['NBSP is not whitespace', '\u00a0{}'],
    ['BOM (string input)', '\ufeff{}'],
  ])('%s: %p', (_name, text) => {
    const r = parseJson(text);
    expect(E.isLeft(r)).toBe(true);
    expect(leftOf(r)).toMatch(/ at offset \d+$/);
  });

  it('names the reason in the error', () => {
    expect(leftOf(parseJson('{} x'))).toMatch(/trailing/);
    expect(leftOf(parseJson('"a\u0001"'))).toMatch(/control character/);
    expect(leftOf(parseJson('"\\x"'))).toMatch(/escape/);
    expect(leftOf(parseJson('"\\u12"'))).toMatch(/\\u/);
    expect(leftOf(parseJson('"abc'))).toMatch(/unterminated/);
    expect(leftOf(parseJson('1e400'))).toMatch(/range/);
    expect(leftOf(parseJson(''))).toMatch(/end of input/);
  });

  it('reports the offset of the problem', () => {
    expect(leftOf(parseJson('{"a":1} x'))).toBe('trailing data after JSON value at offset 8');
  });
});

describe('parseJson: strings', () => {
  it('decodes every escape', () => {
    expect(json('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC"')).toBe('"\\/\b\f\n\r\tAé€');
  });

  it('combines an escaped surrogate pair and keeps lone surrogate escapes (as Python does)', () => {
    expect(json('"\\ud83d\\ude00"')).toBe('😀');
    expect(json('"\\ud800"')).toBe('\ud800');
    expect(json('"\\udc00x"')).toBe('\udc00x');
  });

  it('accepts raw non-ASCII and DEL', () => {
    expect(json('"héllo €😀\u007f"')).toBe('héllo €😀\u007f');
  });

  it('accepts an escaped NUL (the protocol forbids it, the JSON layer does not)', () => {
    expect(json('"a\\u0000b"')).toBe('a\u0000b');
  });
});

describe('parseJson: objects', () => {
  it('accepts whitespace around and between tokens', () => {
    expect(json(' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } }\r\n\t ')).toEqual({ a: [1n, 2n], b: {} });
  });

  it('keeps the last of duplicate keys', () => {
    expect(json('{"a":1,"b":2,"a":3}')).toEqual({ a: 3n, b: 2n });
  });

  it('treats __proto__ as an ordinary key and never touches prototypes', () => {
    const v = json('{"__proto__":{"polluted":1},"constructor":2,"toString":3}') as Record<string, Json>;
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ polluted: 1n });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('produces null-prototype objects (no inherited members)', () => {
    const v = json('{}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect('hasOwnProperty' in v).toBe(false);
  });

  it('keeps key insertion order for ordinary keys', () => {
    expect(Object.keys(json('{"z":1,"a":2,"m":3}') as object)).toEqual(['z', 'a', 'm']);
  });

  it('accepts every JSON type as a top-level value', () => {
    expect(json('null')).toBeNull();
    expect(json('true')).toBe(true);
    expect(json('false')).toBe(false);
    expect(json('"x"')).toBe('x');
    expect(json('[]')).toEqual([]);
    expect(json('42')).toBe(42n);
  });
});

describe('parseJson: nesting depth', () => {
  it(`is ${MAX_DEPTH}`, () => {
    expect(MAX_DEPTH).toBe(256);
  });

  it(`accepts exactly MAX_DEPTH nested arrays and objects`, () => {
    expect(E.isRight(parseJson('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH)))).toBe(true);
    expect(E.isRight(parseJson('{"a":'.repeat(MAX_DEPTH - 1) + '{}' + '}'.repeat(MAX_DEPTH - 1)))).toBe(true);
    expect(E.isRight(parseJson('[{"a":'.repeat(MAX_DEPTH / 2) + 'null' + '}]'.repeat(MAX_DEPTH / 2)))).toBe(true);
  });

  it('rejects MAX_DEPTH + 1 levels', () => {
    const d = MAX_DEPTH + 1;
    expect(leftOf(parseJson('['.repeat(d) + ']'.repeat(d)))).toMatch(/nesting too deep/);
    expect(leftOf(parseJson('{"a":'.repeat(d - 1) + '{}' + '}'.repeat(d - 1)))).toMatch(/nesting too deep/);
    expect(leftOf(parseJson('[{"a":'.repeat(d) + '1' + '}]'.repeat(d)))).toMatch(/nesting too deep/);
  });

  it('rejects 100,000 open brackets without overflowing the stack', () => {
    expect(leftOf(parseJson('['.repeat(100_000)))).toMatch(/nesting too deep/);
    expect(leftOf(parseJson('['.repeat(100_000) + ']'.repeat(100_000)))).toMatch(/nesting too deep/);
    expect(leftOf(parseJson('{"a":'.repeat(100_000)))).toMatch(/nesting too deep/);
  });
});

describe('parseJson: bytes', () => {
  it('decodes UTF-8 input', () => {
    expect(rightOf(parseJson(utf8('{"name":["héllo €😀"],"n":9223372036854775807}')))).toEqual({
      name: ['héllo €😀'],
      n: 9223372036854775807n,
    });
  });

  it('honours the byte range of a Uint8Array view', () => {
    const buf = utf8('xx[1]yy');
    expect(rightOf(parseJson(buf.subarray(2, 5)))).toEqual([1n]);
  });

  it.each([
    ['overlong "/" (2 bytes)', [0xc0, 0xaf]],
    ['overlong "/" (3 bytes)', [0xe0, 0x80, 0xaf]],
    ['overlong NUL', [0xc0, 0x80]],
    ['lone continuation byte', [0x80]],
    ['truncated 2-byte sequence', [0xc3]],
    ['truncated 3-byte sequence', [0xe2, 0x82]],
    ['truncated 4-byte sequence', [0xf0, 0x9f, 0x98]],
    ['high surrogate encoded in UTF-8 (CESU)', [0xed, 0xa0, 0x80]],
    ['low surrogate encoded in UTF-8', [0xed, 0xbf, 0xbf]],
    ['surrogate pair encoded as two 3-byte sequences', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['byte 0xFF', [0xff]],
    ['byte 0xFE', [0xfe]],
    ['5-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ])('rejects invalid UTF-8 inside a string: %s', (_name, bad) => {
    expect(leftOf(parseJson(bytes('{"a":"x', bad, '"}')))).toBe('invalid UTF-8');
  });

  it('rejects invalid UTF-8 outside strings too', () => {
    expect(leftOf(parseJson(bytes([0xc0, 0xaf], '{}')))).toBe('invalid UTF-8');
  });

  const doc = '{"ta-cmd":"ping","ta-id":1,"msg-type":"request"}';
  it.each([
    ['UTF-16LE', Uint8Array.from(Buffer.from(doc, 'utf16le'))],
    ['UTF-16BE', Uint8Array.from(Buffer.from(doc, 'utf16le').swap16())],
    ['UTF-32LE', Uint8Array.from(Array.from(doc).flatMap((c) => [c.charCodeAt(0), 0, 0, 0]))],
    ['UTF-32BE', Uint8Array.from(Array.from(doc).flatMap((c) => [0, 0, 0, c.charCodeAt(0)]))],
    [
      'UTF-32LE with terminator (A20 junk)',
      Uint8Array.from([...Array.from('junk').flatMap((c) => [c.charCodeAt(0), 0, 0, 0]), 0, 0, 0, 0]),
    ],
  ])('rejects a %s buffer containing NULs (A20)', (_name, buf) => {
    expect(buf.includes(0)).toBe(true);
    expect(E.isLeft(parseJson(buf))).toBe(true);
  });

  it('decodeUtf8 is strict', () => {
    expect(decodeUtf8(utf8('€'))).toBe('€');
    expect(decodeUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBeUndefined();
    expect(decodeUtf8(Uint8Array.from([0xe2, 0x82]))).toBeUndefined();
  });
});

describe('stringifyJson', () => {
  it('writes bigints verbatim, whatever their size', () => {
    expect(stringifyJson(9223372036854775807n)).toBe('9223372036854775807');
    expect(stringifyJson(-(10n ** 40n))).toBe('-1' + '0'.repeat(40));
  });

  it('writes numbers as JSON numbers (integral doubles without a decimal point)', () => {
    expect(stringifyJson(1.5)).toBe('1.5');
    expect(stringifyJson(1700000000.123456)).toBe('1700000000.123456');
    expect(stringifyJson(1)).toBe('1');
    expect(stringifyJson(-0)).toBe('0');
  });

  it('refuses non-finite numbers', () => {
    expect(() => stringifyJson(NaN)).toThrow(RangeError);
    expect(() => stringifyJson(Infinity)).toThrow(RangeError);
    expect(() => stringifyJson([1, -Infinity])).toThrow(RangeError);
  });

  it('escapes strings like JSON.stringify, lone surrogates included', () => {
    expect(stringifyJson('a"b\\c\n\u0001é')).toBe('"a\\"b\\\\c\\n\\u0001é"');
    expect(stringifyJson('\ud800')).toBe('"\\ud800"');
  });

  it('writes literals, arrays and objects in insertion order', () => {
    expect(stringifyJson(null)).toBe('null');
    expect(stringifyJson(true)).toBe('true');
    expect(stringifyJson(false)).toBe('false');
    expect(stringifyJson([1n, 'x', [null], {}])).toBe('[1,"x",[null],{}]');
    expect(stringifyJson({ z: 1n, a: { 'k"': [2.5] } })).toBe('{"z":1,"a":{"k\\"":[2.5]}}');
  });

  it('writes a parsed __proto__ key as data', () => {
    const v = json('{"__proto__":[1]}');
    expect(stringifyJson(v)).toBe('{"__proto__":[1]}');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// properties

/** Strings over all UTF-16 code units, lone surrogates and control characters included. */
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const fractional = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d));
const bigInts = fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n });

const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    anyString,
    bigInts,
    fractional,
    fc.array(tie('tree'), { maxLength: 5 }),
    fc.dictionary(anyString, tie('tree'), { maxKeys: 5 }),
  ),
}));

describe('properties', () => {
  it('parseJson(stringifyJson(v)) gives back v (bigints exact, fractional doubles exact)', () => {
    fc.assert(
      fc.property(tree, (v) => {
        const text = stringifyJson(v);
        const back = rightOf(parseJson(text));
        expect(toPlain(back)).toEqual(toPlain(v));
        expect(stringifyJson(back)).toBe(text);
        // and the same through UTF-8 bytes
        expect(stringifyJson(rightOf(parseJson(utf8(text))))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('a double round-trips as itself, or as a bigint denoting it when it is integral', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const back = json(stringifyJson(d));
        if (Number.isInteger(d)) {
          // shortest round-trip text: an integer literal denoting the same double (a bigint), or, from 1e21 on,
          // exponent notation (a number)
          expect(typeof back).toBe(Math.abs(d) < 1e21 ? 'bigint' : 'number');
          expect(Number(back)).toBe(Object.is(d, -0) ? 0 : d);
        } else expect(back).toBe(d);
      }),
    );
  });

  it('agrees with JSON.parse on valid JSON (modulo number representation)', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const ours = rightOf(parseJson(text));
        const toNum = (v: Json): unknown =>
          typeof v === 'bigint'
            ? Number(v)
            : typeof v === 'number'
              ? Object.is(v, -0)
                ? 0
                : v
              : Array.isArray(v)
                ? (v as Json[]).map(toNum)
                : v !== null && typeof v === 'object'
                  ? Object.fromEntries(Object.keys(v).map((k) => [k, toNum((v as JsonObject)[k]!)]))
                  : v;
        const theirs = JSON.parse(text, (_k, x: unknown) => (Object.is(x, -0) ? 0 : x)) as unknown;
        expect(toNum(ours)).toEqual(theirs);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string({ unit: 'binary' })), (s) => {
        const r = parseJson(s);
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const r = parseJson(b);
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated valid JSON, and agrees with JSON.parse on validity', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.nat({ max: 2 }), fc.constantFrom(...'{}[]",:0-1.eE+\\u x\u0001 '.split('')))
      .map(([text, pos, op, ch]) => {
        const i = text.length === 0 ? 0 : pos % text.length;
        if (op === 0) return text.slice(0, i) + text.slice(i + 1);
        if (op === 1) return text.slice(0, i) + ch + text.slice(i);
        return text.slice(0, i) + ch + text.slice(i + 1);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const r = parseJson(text);
        // The only documented difference: numbers out of double range are refused here.
        if (!/\d[eE]/.test(text)) expect(E.isRight(r)).toBe(valid);
      }),
      { numRuns: 1000 },
    );
  });
});

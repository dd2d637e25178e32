/**
 * The fast decoding path (lib/codec/fast.ts) against the general one: for any input, `decodeClientMessage` (fast path
 * first) must give exactly what the general path gives, message or error; and the fast path must really take the
 * common messages (else the speed-up would be silently gone).
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { CompactProps } from '../../lib/filter/compact-props';
import { decodeClientMessage, decodeGeneral } from '../../lib/codec/decode';
import { decodeFast, decodeFastAt, PropsCache, ServicePropsCache } from '../../lib/codec/fast';
import { encodeMessage } from '../../lib/codec/encode';
import { INT63_MAX, makeProps } from '../../lib/codec/primitives';

/** A structural rendering that keeps what toEqual would blur: prototypes, key order, Map order, bigint vs number. */
const canon = (v: unknown): unknown => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return `${v}d`;
  // (the caches keep props in the directory's form, a CompactProps: the same keys, values and order as the Map)
  if (v instanceof Map || v instanceof CompactProps)
    return ['Map', [...(v as Map<unknown, unknown>)].map(([k, x]) => [k, canon(x)])];
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object' && v !== null)
    return [
      Object.getPrototypeOf(v) === null ? 'null-proto' : 'object',
      Object.keys(v).map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    ];
  return v;
};

const same = (text: string): void => {
  const a = decodeClientMessage(text);
  const b = decodeGeneral(text);
  expect(E.isRight(a) ? ['right', canon(a.right)] : ['left', a.left]).toEqual(
    E.isRight(b) ? ['right', canon(b.right)] : ['left', b.left],
  );
  const bytes = new TextEncoder().encode(text);
  expect(canon(decodeClientMessage(bytes))).toEqual(canon(a));
};

/** `"k0":["v0"],"k1":[1],…`: `n` props, strings and integers by turns. */
const manyKeys = (n: number): string =>
  Array.from({ length: n }, (_, i) => `"k${i}":[${i % 2 === 0 ? `"v${i}"` : i}]`).join(',');

const hot = [
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"request"}',
  '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":4711,"protocol-minimum-version":2,"protocol-maximum-version":3}',
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":30}',
  '{"ta-cmd": "publish", "ta-id": 3, "msg-type": "request", "service-id": 9, "generation": 0, "service-props": {"name": ["foo", "foo", "bar"], "empty": []}, "ttl": 30}',
  '{"ta-cmd":"unpublish","ta-id":10,"msg-type":"request","service-id":9}',
  '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":17,"filter":"(name=foo)"}',
  '{"msg-type":"request","ta-id":2,"subscription-id":17,"ta-cmd":"subscribe"}',
  '{"ta-cmd":"track","ta-id":1,"msg-type":"inform","track-type":"reply"}',
  `{"ta-cmd":"ping","ta-id":${INT63_MAX},"msg-type":"request"}`,
  '{"ta-cmd":"ping","ta-id":123456789012345,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":1234567890123456,"msg-type":"request"}',
  '{"ta-cmd":"services","ta-id":8,"msg-type":"request","filter":"(&(a=1)(b=*))"}',
  // more keys than the decoder checks for repeats in their list (a set then)
  `{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{${manyKeys(20)}},"ttl":30}`,
];

/** Inputs the fast path must leave to the general path (each is decided there: some valid, most not). */
const cold = [
  '{"ta-cmd":"ping","ta-id":6.0,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":-1,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":06,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":6e0,"msg-type":"request"}',
  `{"ta-cmd":"ping","ta-id":${INT63_MAX + 1n},"msg-type":"request"}`,
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"request","x":1}',
  '{"ta-cmd":"ping","ta-id":6,"ta-id":7,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"request","filter":"a"}',
  '{"ta-cmd":"p\\u0069ng","ta-id":6,"msg-type":"request"}',
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"complete"}',
  '{"ta-cmd":"ping","ta-id":6}',
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"request"} x',
  '{"ta-cmd":"ping","ta-id":6,"msg-type":"request"',
  '{"ta-cmd":"track","ta-id":1,"msg-type":"inform","track-type":"other"}',
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"b":["x"],"1":["y"]},"ttl":30}',
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"a":["x"],"a":["y"]},"ttl":30}',
  // a repeated key past the keys checked in their list, and one among them
  `{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{${manyKeys(20)},"k3":["y"]},"ttl":30}`,
  `{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{${manyKeys(10)},"k3":["y"]},"ttl":30}`,
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"a":[-1]},"ttl":30}',
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"a":[1.5]},"ttl":30}',
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"a":"x"},"ttl":30}',
  '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":17,"filter":null}',
  '{"__proto__":1,"ta-cmd":"ping","ta-id":6,"msg-type":"request"}',
  '{}',
  '[]',
];

describe('decodeClientMessage: the fast path', () => {
  it.each(hot)('takes %s and decodes it exactly as the general path', (text) => {
    expect(decodeFast(text)).toBeDefined();
    same(text);
  });

  it.each(cold)('leaves %s to the general path', (text) => {
    expect(decodeFast(text)).toBeUndefined();
    same(text);
  });

  it('returns plain objects, as the general path now does', () => {
    for (const text of hot) {
      const m = decodeGeneral(text);
      expect(E.isRight(m) && Object.getPrototypeOf(m.right) === Object.prototype).toBe(true);
    }
  });

  it('agrees with the general path on random variations of valid messages', () => {
    const ws = fc.constantFrom('', ' ', '\n', '\t ');
    const int = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
      fc.constantFrom('0', '1', '00', '-1', '1.0', '1e3', '999999999999999', '9999999999999999', 'true', 'null'),
    );
    const str = fc.oneof(
      fc.string().map((s) => JSON.stringify(s)),
      fc.constantFrom('"a\\"b"', '"\\u00e9"', '"é"', '"x\ty"', '"query"', '"reply"', '"(a=1)"'),
    );
    const propValue = fc.oneof(str, int);
    const props = fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('name', 'a', '1', '01', 'b'),
            str.map((s) => s.slice(1, -1)),
          ),
          fc.array(propValue, { maxLength: 3 }),
        ),
        {
          maxLength: 4,
        },
      )
      .map((es) => `{${es.map(([k, vs]) => `"${k}":[${vs.join(',')}]`).join(',')}}`);
    const field = fc.oneof(
      fc.tuple(
        fc.constant('ta-cmd'),
        fc
          .constantFrom('ping', 'hello', 'publish', 'unpublish', 'subscribe', 'track', 'services', 'clients', 'x')
          .map((s) => `"${s}"`),
      ),
      fc.tuple(fc.constant('ta-id'), int),
      fc.tuple(fc.constant('msg-type'), fc.constantFrom('"request"', '"inform"', '"complete"', '1')),
      fc.tuple(
        fc.constantFrom(
          'client-id',
          'protocol-minimum-version',
          'protocol-maximum-version',
          'service-id',
          'generation',
          'ttl',
          'subscription-id',
        ),
        int,
      ),
      fc.tuple(fc.constantFrom('filter', 'track-type'), str),
      fc.tuple(fc.constant('service-props'), props),
      fc.tuple(fc.constantFrom('other', '__proto__'), int),
    );
    let taken = 0;
    const templates = fc
      .constantFrom(...hot)
      .chain((base) => fc.tuple(fc.constant(base), fc.array(field, { maxLength: 2 }), ws, fc.nat({ max: 12 })));
    fc.assert(
      fc.property(templates, ([base, extra, w, drop]) => {
        // the base message with some fields replaced, added or dropped, and some white space
        const fields = [...base.matchAll(/"([a-z-]+)":\s*("(?:[^"\\]|\\.)*"|\{[^}]*\}|[^,}]+)/g)].map((m) => [
          m[1]!,
          m[2]!,
        ]);
        const all = [...fields.filter((_, i) => i !== drop), ...extra];
        const text = `${w}{${all.map(([k, v]) => `"${k}"${w}:${w}${v}`).join(`,${w}`)}}${w}`;
        if (decodeFast(text) !== undefined) taken++;
        same(text);
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(200); // the fast path was really exercised
  });

  it('agrees with the general path on byte-level corruptions of valid messages', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...hot),
        fc.nat(),
        fc.constantFrom('', '"', '\\', ',', '}', '{', '[', ']', '0', ' ', 'x', ':', '-', '.'),
        fc.boolean(),
        (text, at, insert, replace) => {
          const i = at % (text.length + 1);
          same(text.slice(0, i) + insert + text.slice(replace ? i + 1 : i));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/** Integers as clients write them, and the ones the common frame must leave alone (16 digits, leading zeros). */
const commonInt = fc.oneof(
  fc.nat({ max: 5000 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String),
  fc.constantFrom('0', '00', '07', '999999999999999', '1000000000000000', '4095', '4096', '-1', '1.0', '1e2', ''),
  // service ids as clients draw them (up to 2^63 - 1), one past, and 20 digits
  fc.bigInt({ min: 10n ** 15n, max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('9223372036854775807', '9223372036854775808', '6049458784722980130', '12345678901234567890'),
);
/** Props texts: the usual ones, and braces or escapes in strings, nesting, white space, bad values. */
const commonProps = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.constantFrom('name', 'area', 'port', 'a', '1'),
        fc.array(fc.oneof(commonInt, fc.constantFrom('"x"', '"service-1"', '"a1"', '"}"', '"{"', '"a\\"b"')), {
          maxLength: 3,
        }),
      ),
      { maxLength: 4 },
    )
    .map((es) => `{${es.map(([k, vs]) => `"${k}":[${vs.join(',')}]`).join(',')}}`),
  fc.constantFrom(
    '{}',
    '{ }',
    '{"a":{"b":1}}',
    '{"a":["x"]',
    '{"a":["x"] }',
    '"x"',
    '{"a":["\u0041"]}',
    '{"a":["x"],}',
  ),
);
/** Publish, unpublish and ping requests in the form clients write them (the common frame), or nearly. */
const commonMessage = fc.oneof(
  fc
    .tuple(commonInt, commonInt, commonInt, commonProps, commonInt)
    .map(
      ([ta, id, gen, props, ttl]) =>
        `{"ta-cmd":"publish","ta-id":${ta},"msg-type":"request","service-id":${id},"generation":${gen},"service-props":${props},"ttl":${ttl}}`,
    ),
  fc
    .tuple(commonInt, commonInt)
    .map(([ta, id]) => `{"ta-cmd":"unpublish","ta-id":${ta},"msg-type":"request","service-id":${id}}`),
  commonInt.map((ta) => `{"ta-cmd":"ping","ta-id":${ta},"msg-type":"request"}`),
);

describe('the common messages read as one frame (publish, unpublish, ping)', () => {
  it('decodes any of them as the general path does', () => {
    let taken = 0;
    fc.assert(
      fc.property(commonMessage, (text) => {
        if (decodeFast(text) !== undefined) taken++;
        same(text);
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(1000);
  });

  it('decodes them inside a longer text (a recorded line) with the caches as the general path does', () => {
    // tiny caches: every kind of eviction and collision; few service ids: many repeats, with the same or other props
    const entry = fc.tuple(fc.nat({ max: 5 }), commonMessage, fc.constantFrom('', 'x', '}}', ',"y":1}'));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.constantFrom(1, 2, 4), (msgs, sets) => {
        const services = new ServicePropsCache(sets);
        const cache = new PropsCache(sets);
        for (const [id, m, after] of msgs) {
          const text = m.replace(/"service-id":\d+/, `"service-id":${id}`);
          const line = `{"seq":1,"msg":${text}${after}`;
          const start = line.length - text.length - after.length;
          const got = decodeFastAt(line, start, start + text.length, cache, services);
          const want = decodeGeneral(text);
          if (got === undefined) {
            // left to the general path: which decides it (the fast path alone would have left it too)
            expect(decodeFast(text)).toBeUndefined();
            continue;
          }
          expect(E.isRight(want) && canon(got)).toEqual(E.isRight(want) && canon(want.right));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('gives a republish with the same props the props object its service had', () => {
    const services = new ServicePropsCache(1024);
    const cache = new PropsCache(1024);
    const pub = (ta: number, id: number | bigint, gen: number, props: string): unknown => {
      const text = `{"ta-cmd":"publish","ta-id":${ta},"msg-type":"request","service-id":${id},"generation":${gen},"service-props":${props},"ttl":5}`;
      return decodeFastAt(text, 0, text.length, cache, services);
    };
    // a 19-digit id (not exact as a double) and one that rounds to the same double: told apart by their digits
    const big = pub(4, 6049458784722980130n, 1, '{"name":["b"]}') as Record<string, unknown>;
    const near = pub(5, 6049458784722980131n, 1, '{"name":["b"]}') as Record<string, unknown>;
    expect(big['service-id']).toBe(6049458784722980130n);
    expect(near['service-id']).toBe(6049458784722980131n);
    expect(pub(6, 6049458784722980130n, 2, '{"name":["b"]}')).toMatchObject({
      'service-id': 6049458784722980130n,
      'service-props': big['service-props'],
    });
    const a = pub(1, 7000001, 1, '{"name":["s-1"],"port":[4001]}') as Record<string, unknown>;
    const b = pub(2, 7000001, 2, '{"name":["s-1"],"port":[4001]}') as Record<string, unknown>;
    const c = pub(3, 7000001, 3, '{"name":["s-1"],"port":[4002]}') as Record<string, unknown>;
    expect(b['service-props']).toBe(a['service-props']);
    expect(b['service-id']).toBe(a['service-id']);
    expect(c['service-props']).not.toBe(a['service-props']);
    expect(canon(c['service-props'])).toEqual(
      canon(
        new Map([
          ['name', ['s-1']],
          ['port', [4002n]],
        ]),
      ),
    );
  });
});

describe('encodeMessage: strings without escapes are quoted as they are', () => {
  it('writes every string, key and property exactly as JSON.stringify', () => {
    const s = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('', 'a"b', 'a\\b', '\u007f', '\ud800', 'é'),
    );
    fc.assert(
      fc.property(s, s, s, (k, v, p) => {
        const props = makeProps([[p, [v]]]);
        expect(encodeMessage({ [k]: v, 'service-props': props })).toBe(
          `{${JSON.stringify(k)}:${JSON.stringify(v)},"service-props":{${JSON.stringify(p)}:[${JSON.stringify(v)}]}}`,
        );
      }),
      { numRuns: 2000 },
    );
  });
});

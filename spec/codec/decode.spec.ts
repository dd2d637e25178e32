import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { decodeClientMessage } from '../../lib/codec/decode';
import { encodeMessage } from '../../lib/codec/encode';
import { stringifyJson, type Json } from '../../lib/codec/json';
import { COMMANDS, MSG_TYPES, type ClientMessage, type PublishRequest } from '../../lib/codec/messages';
import { INT63_MAX, makeProps, propsEqual } from '../../lib/codec/primitives';
import type { Props, PropValue } from '../../lib/filter/props';
import { decodeErr, decodeOk, showValue } from './helpers';

/** Build message text from a header and fields, in order (bigints verbatim). */
const msg = (cmd: Json, taId: Json, msgType: Json, fields: Record<string, Json> = {}): string =>
  stringifyJson({ 'ta-cmd': cmd, 'ta-id': taId, 'msg-type': msgType, ...fields });

const ID63 = 9223372036854775807n;

/** One valid example per client message of §5 (and §15.5), in wire key order. */
const validClientMessages: Array<[string, string]> = [
  [
    'hello request',
    '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":4711,"protocol-minimum-version":2,"protocol-maximum-version":3}',
  ],
  ['track request', '{"ta-cmd":"track","ta-id":1,"msg-type":"request"}'],
  ['track inform query', '{"ta-cmd":"track","ta-id":1,"msg-type":"inform","track-type":"query"}'],
  ['track inform reply', '{"ta-cmd":"track","ta-id":1,"msg-type":"inform","track-type":"reply"}'],
  [
    'subscribe request with filter',
    '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":17,"filter":"(name=foo)"}',
  ],
  ['subscribe request without filter', '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":17}'],
  ['unsubscribe request', '{"ta-cmd":"unsubscribe","ta-id":5,"msg-type":"request","subscription-id":17}'],
  ['subscriptions request', '{"ta-cmd":"subscriptions","ta-id":7,"msg-type":"request"}'],
  ['services request', '{"ta-cmd":"services","ta-id":8,"msg-type":"request"}'],
  ['services request with filter', '{"ta-cmd":"services","ta-id":8,"msg-type":"request","filter":"(&(a=1)(b=*))"}'],
  [
    'publish request',
    '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":30}',
  ],
  [
    'publish request with empty props',
    '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{},"ttl":0}',
  ],
  ['unpublish request', '{"ta-cmd":"unpublish","ta-id":10,"msg-type":"request","service-id":9}'],
  ['ping request', '{"ta-cmd":"ping","ta-id":6,"msg-type":"request"}'],
  ['clients request', '{"ta-cmd":"clients","ta-id":4,"msg-type":"request"}'],
  [
    'hello request, all ids 2^63−1',
    `{"ta-cmd":"hello","ta-id":${ID63},"msg-type":"request","client-id":${ID63},"protocol-minimum-version":${ID63},"protocol-maximum-version":${ID63}}`,
  ],
  [
    'publish request, all ids 2^63−1',
    `{"ta-cmd":"publish","ta-id":${ID63},"msg-type":"request","service-id":${ID63},"generation":${ID63},"service-props":{"id":[${ID63}]},"ttl":${ID63}}`,
  ],
];

describe('decodeClientMessage: valid messages', () => {
  it.each(validClientMessages)('%s decodes and re-encodes verbatim', (_name, text) => {
    const m = decodeOk(text);
    expect(encodeMessage(m)).toBe(text);
  });

  it('every client (command, msg-type) of §5 has an example', () => {
    const seen = new Set(
      validClientMessages.map(([, text]) => {
        const m = decodeOk(text);
        return `${m['ta-cmd']}/${m['msg-type']}`;
      }),
    );
    expect([...seen].sort()).toEqual([...COMMANDS.map((c) => `${c}/request`), 'track/inform'].sort());
  });

  it('decodes integers exactly as bigints', () => {
    const m = decodeOk(validClientMessages[16]![1]) as PublishRequest;
    expect(m['ta-id']).toBe(ID63);
    expect(m['service-id']).toBe(ID63);
    expect(m.generation).toBe(ID63);
    expect(m.ttl).toBe(ID63);
    expect(m['service-props'].get('id')).toEqual([ID63]);
  });

  it('gives the fields the expected values and types', () => {
    const m = decodeOk(validClientMessages[10]![1]) as PublishRequest;
    // (the fast path gives props in the directory's form, a CompactProps: compared by their entries)
    expect({ ...m, 'service-props': new Map(m['service-props']) }).toEqual({
      'ta-cmd': 'publish',
      'ta-id': 3n,
      'msg-type': 'request',
      'service-id': 9n,
      generation: 0n,
      'service-props': new Map([
        ['name', ['foo']],
        ['port', [4711n]],
      ]),
      ttl: 30n,
    });
    const s = decodeOk(validClientMessages[4]![1]);
    expect(s).toEqual({
      'ta-cmd': 'subscribe',
      'ta-id': 2n,
      'msg-type': 'request',
      'subscription-id': 17n,
      filter: '(name=foo)',
    });
  });

  it('decodes UTF-8 bytes', () => {
    const text = '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":1,"filter":"(name=é€😀)"}';
    const m = decodeOk(new TextEncoder().encode(text));
    expect(m).toMatchObject({ filter: '(name=é€😀)' });
  });

  it('accepts any key order and surrounding whitespace', () => {
    const m = decodeOk(' {"msg-type" : "request", "ta-id" : 6 ,\n"ta-cmd":"ping"}\n');
    expect(m).toEqual({ 'ta-cmd': 'ping', 'ta-id': 6n, 'msg-type': 'request' });
  });

  it('accepts ta-id -0 as 0 (an integer literal, as in Python)', () => {
    expect(decodeOk('{"ta-cmd":"ping","ta-id":-0,"msg-type":"request"}')['ta-id']).toBe(0n);
  });

  it('takes the last of duplicate keys', () => {
    const m = decodeOk('{"ta-cmd":"ping","ta-id":-1,"ta-id":5,"msg-type":"request"}');
    expect(m['ta-id']).toBe(5n);
    expect(decodeErr('{"ta-cmd":"ping","ta-id":5,"ta-id":-1,"msg-type":"request"}').reason).toMatch(/ta-id/);
  });

  it('accepts an empty filter string (its syntax is checked later)', () => {
    expect(decodeOk(msg('services', 1n, 'request', { filter: '' }))).toMatchObject({ filter: '' });
  });
});

describe('decodeClientMessage: props', () => {
  const publish = (propsJson: string): string =>
    `{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":${propsJson},"ttl":30}`;
  const propsOf = (propsJson: string): Props => (decodeOk(publish(propsJson)) as PublishRequest)['service-props'];

  it('a key with an empty array vanishes', () => {
    const p = propsOf('{"a":[],"b":["x"]}');
    expect([...p.keys()]).toEqual(['b']);
    expect(encodeMessage(decodeOk(publish('{"a":[],"b":["x"]}')))).toBe(publish('{"b":["x"]}'));
  });

  it('duplicate values collapse', () => {
    expect(propsOf('{"a":["x","x",1,1]}').get('a')).toEqual(['x', 1n]);
  });

  it('"1" and 1 differ', () => {
    expect(propsOf('{"a":["1",1]}').get('a')).toEqual(['1', 1n]);
  });

  it.each([
    ['a float', '{"k":[1.5]}'],
    ['a float with zero fraction', '{"k":[1.0]}'],
    ['a nested array', '{"k":[["x"]]}'],
    ['an object', '{"k":[{"x":["y"]}]}'],
    ['null', '{"k":[null]}'],
    ['a boolean', '{"k":[true]}'],
  ])('a props value that is %s is refused, naming service-props and the key', (_name, p) => {
    const e = decodeErr(publish(p));
    expect(e.reason).toMatch(/service-props/);
    expect(e.reason).toMatch(/'k'/);
    expect(e).toMatchObject({ taId: 3n, cmd: 'publish' });
  });

  it.each([
    ['a string', '"x"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['an integer', '1'],
  ])('service-props that is %s is refused', (_name, p) => {
    expect(decodeErr(publish(p)).reason).toMatch(/service-props/);
  });
});

describe('decodeClientMessage: protocol errors (§3.3, §3.4, §3.5)', () => {
  // [name, text, pattern the reason must match (normally the offending field name)]
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    // §3.5 test_misbehaving_clients
    ['unknown command', msg('foo', 1n, 'request'), /ta-cmd/],
    ['ping with msg-type fail', msg('ping', 1n, 'fail'), /msg-type/],
    ['ta-id −42', msg('ping', -42n, 'request'), /ta-id/],
    [
      'hello with ta-id 2^63',
      msg('hello', 2n ** 63n, 'request', {
        'client-id': 1n,
        'protocol-minimum-version': 2n,
        'protocol-maximum-version': 3n,
      }),
      /ta-id/,
    ],
    [
      'hello with client-id 2^99',
      msg('hello', 1n, 'request', {
        'client-id': 2n ** 99n,
        'protocol-minimum-version': 2n,
        'protocol-maximum-version': 3n,
      }),
      /client-id/,
    ],
    ['services request with an extra client-id', msg('services', 1n, 'request', { 'client-id': 1n }), /client-id/],
    [
      'hello without ta-id',
      stringifyJson({
        'ta-cmd': 'hello',
        'msg-type': 'request',
        'client-id': 1n,
        'protocol-minimum-version': 2n,
        'protocol-maximum-version': 3n,
      }),
      /ta-id/,
    ],
    ['subscribe without subscription-id', msg('subscribe', 1n, 'request'), /subscription-id/],
    [
      'publish whose props value is a string',
      msg('publish', 1n, 'request', { 'service-id': 1n, generation: 0n, 'service-props': { a: 'x' }, ttl: 1n }),
      /service-props/,
    ],
    ['non-JSON blob', 'this is not JSON', /JSON/],
    ['non-JSON bytes', Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), /JSON/],
    ['A20 UTF-32 junk', Uint8Array.from([0x78, 0, 0, 0, 0x79, 0, 0, 0, 0, 0, 0, 0]), /JSON/],
    // §3.4: non-object JSON
    ['an array', '[]', /object/],
    ['a number', '42', /object/],
    ['a string', '"x"', /object/],
    ['null', 'null', /object/],
    ['true', 'true', /object/],
    ['an empty object', '{}', /ta-cmd/],
    // header fields
    ['ta-cmd missing', stringifyJson({ 'ta-id': 1n, 'msg-type': 'request' }), /ta-cmd/],
    ['ta-cmd null', msg(null, 1n, 'request'), /ta-cmd/],
    ['ta-cmd an array', msg(['ping'], 1n, 'request'), /ta-cmd/],
    ['ta-cmd an object', msg({ ping: 1n }, 1n, 'request'), /ta-cmd/],
    ['ta-cmd a number', msg(1n, 1n, 'request'), /ta-cmd/],
    ['ta-cmd wrong case', msg('PING', 1n, 'request'), /ta-cmd/],
    ['ta-cmd __proto__', msg('__proto__', 1n, 'request'), /ta-cmd/],
    ['ta-cmd toString', msg('toString', 1n, 'request'), /ta-cmd/],
    ['ta-id null', msg('ping', null, 'request'), /ta-id/],
    ['ta-id a float 1.0', '{"ta-cmd":"ping","ta-id":1.0,"msg-type":"request"}', /ta-id/],
    ['ta-id 1e3', '{"ta-cmd":"ping","ta-id":1e3,"msg-type":"request"}', /ta-id/],
    ['ta-id a string', msg('ping', '1', 'request'), /ta-id/],
    ['ta-id true (A5)', msg('ping', true, 'request'), /ta-id/],
    ['ta-id false (A5)', msg('ping', false, 'request'), /ta-id/],
    ['msg-type missing', stringifyJson({ 'ta-cmd': 'ping', 'ta-id': 1n }), /msg-type/],
    ['msg-type null', msg('ping', 1n, null), /msg-type/],
    ['msg-type invalid', msg('ping', 1n, 'query'), /msg-type/],
    ['msg-type an array', msg('ping', 1n, ['request']), /msg-type/],
    ['msg-type an object', msg('ping', 1n, {}), /msg-type/],
    ['msg-type a number', msg('ping', 1n, 1n), /msg-type/],
    ['msg-type constructor', msg('ping', 1n, 'constructor'), /msg-type/],
    // §3.3 step 8: server-generated msg-types from a client
    ['accept from a client', msg('subscribe', 1n, 'accept'), /msg-type/],
    ['notify from a client', msg('track', 1n, 'notify', { 'track-type': 'query' }), /msg-type/],
    ['complete from a client', msg('ping', 1n, 'complete'), /msg-type/],
    ['fail from a client', msg('hello', 1n, 'fail', { 'fail-reason': 'no-hello' }), /msg-type/],
    // §3.4: inform on a non-track command
    ['inform for subscribe', msg('subscribe', 1n, 'inform', { 'track-type': 'reply' }), /inform/],
    ['inform for ping', msg('ping', 1n, 'inform'), /inform/],
    // required/optional fields
    ['subscription-id null', msg('subscribe', 1n, 'request', { 'subscription-id': null }), /subscription-id/],
    ['filter null (optional field present as null)', msg('services', 1n, 'request', { filter: null }), /filter/],
    ['subscribe filter null', msg('subscribe', 1n, 'request', { 'subscription-id': 1n, filter: null }), /filter/],
    ['filter a number', msg('services', 1n, 'request', { filter: 1n }), /filter/],
    ['filter an array', msg('services', 1n, 'request', { filter: ['(a=b)'] }), /filter/],
    ['filter an object', msg('subscribe', 1n, 'request', { 'subscription-id': 1n, filter: {} }), /filter/],
    [
      'subscription-id a float',
      '{"ta-cmd":"unsubscribe","ta-id":1,"msg-type":"request","subscription-id":17.0}',
      /subscription-id/,
    ],
    ['subscription-id negative', msg('unsubscribe', 1n, 'request', { 'subscription-id': -1n }), /subscription-id/],
    ['subscription-id a string', msg('unsubscribe', 1n, 'request', { 'subscription-id': '17' }), /subscription-id/],
    ['service-id true (A5)', msg('unpublish', 1n, 'request', { 'service-id': true }), /service-id/],
    ['service-id 2^63', msg('unpublish', 1n, 'request', { 'service-id': 2n ** 63n }), /service-id/],
    [
      'hello client-id false (A5)',
      msg('hello', 1n, 'request', {
        'client-id': false,
        'protocol-minimum-version': 2n,
        'protocol-maximum-version': 3n,
      }),
      /client-id/,
    ],
    [
      'hello protocol-maximum-version a float',
      '{"ta-cmd":"hello","ta-id":1,"msg-type":"request","client-id":1,"protocol-minimum-version":2,"protocol-maximum-version":3.0}',
      /protocol-maximum-version/,
    ],
    [
      'hello without protocol-minimum-version',
      msg('hello', 1n, 'request', { 'client-id': 1n, 'protocol-maximum-version': 3n }),
      /protocol-minimum-version/,
    ],
    [
      'publish ttl 1e3',
      '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":1,"generation":0,"service-props":{},"ttl":1e3}',
      /ttl/,
    ],
    [
      'publish generation negative',
      msg('publish', 1n, 'request', { 'service-id': 1n, generation: -1n, 'service-props': {}, ttl: 1n }),
      /generation/,
    ],
    [
      'publish without service-props',
      msg('publish', 1n, 'request', { 'service-id': 1n, generation: 0n, ttl: 1n }),
      /service-props/,
    ],
    ['track-type other than query/reply', msg('track', 1n, 'inform', { 'track-type': 'track-query' }), /track-type/],
    ['track-type missing', msg('track', 1n, 'inform'), /track-type/],
    ['track-type a number', msg('track', 1n, 'inform', { 'track-type': 1n }), /track-type/],
    // §3.3 step 7: unknown fields
    ['ping with an extra field', msg('ping', 1n, 'request', { x: 1n }), /'x'/],
    ['ping with an extra null field', msg('ping', 1n, 'request', { extra: null }), /extra/],
    ['track request with track-type', msg('track', 1n, 'request', { 'track-type': 'query' }), /track-type/],
    ['ping with a __proto__ field', `${msg('ping', 1n, 'request').slice(0, -1)},"__proto__":{}}`, /__proto__/],
    [
      'unsubscribe with a filter',
      msg('unsubscribe', 1n, 'request', { 'subscription-id': 1n, filter: '(a=b)' }),
      /filter/,
    ],
    [
      'publish with orphan-since',
      msg('publish', 1n, 'request', {
        'service-id': 1n,
        generation: 0n,
        'service-props': {},
        ttl: 1n,
        'orphan-since': 1.5,
      }),
      /orphan-since/,
    ],
  ];

  it.each(cases)('%s is refused', (_name, text, want) => {
    const e = decodeErr(text);
    expect(typeof e.reason).toBe('string');
    expect(e.reason).toMatch(want);
  });

  it('reports the header it could read', () => {
    expect(decodeErr(msg('ping', 77n, 'request', { x: 1n }))).toMatchObject({ taId: 77n, cmd: 'ping' });
    expect(decodeErr(msg('nope', 78n, 'request'))).toMatchObject({ taId: 78n });
    expect(decodeErr(msg('nope', 78n, 'request')).reason).toMatch(/nope/);
    expect(decodeErr(msg('ping', 79n, 'zzz'))).toMatchObject({ taId: 79n, cmd: 'ping' });
    expect(decodeErr(msg('ping', -1n, 'request')).taId).toBeUndefined();
    expect(decodeErr('[]').taId).toBeUndefined();
  });

  it('keeps reasons short for huge header values', () => {
    expect(decodeErr(msg('x'.repeat(10_000), 1n, 'request')).reason.length).toBeLessThan(200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// properties

const u63 = fc.bigInt({ min: 0n, max: INT63_MAX });
const propValue: fc.Arbitrary<PropValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  u63,
);
const propsArb: fc.Arbitrary<Props> = fc
  .array(fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), fc.array(propValue, { maxLength: 5 })), {
    maxLength: 6,
  })
  .map((es) => makeProps(es));
const publishArb: fc.Arbitrary<PublishRequest> = fc
  .tuple(u63, u63, u63, propsArb, u63)
  .map(([taId, serviceId, generation, props, ttl]) => ({
    'ta-cmd': 'publish',
    'ta-id': taId,
    'msg-type': 'request',
    'service-id': serviceId,
    generation,
    'service-props': props,
    ttl,
  }));

describe('properties', () => {
  it('decodeClientMessage(encodeMessage(publish)) gives back the same publish', () => {
    fc.assert(
      fc.property(publishArb, (m) => {
        const back = decodeOk(encodeMessage(m)) as PublishRequest;
        const { 'service-props': p, ...rest } = back;
        const { 'service-props': q, ...want } = m;
        expect(rest).toEqual(want);
        expect(propsEqual(p, q)).toBe(true);
        // as Maps: same keys, same values in the same order for every key
        expect(new Map(p)).toEqual(new Map(q));
        for (const [k, vs] of q) expect(p.get(k)).toEqual(vs);
      }),
      { numRuns: 300 },
    );
  });

  it('63-bit ids of every client message round-trip verbatim', () => {
    const withIds = fc.tuple(u63, u63, u63, u63).chain(([a, b, c, d]) =>
      fc.constantFrom<ClientMessage>(
        {
          'ta-cmd': 'hello',
          'ta-id': a,
          'msg-type': 'request',
          'client-id': b,
          'protocol-minimum-version': c,
          'protocol-maximum-version': d,
        },
        { 'ta-cmd': 'subscribe', 'ta-id': a, 'msg-type': 'request', 'subscription-id': b },
        { 'ta-cmd': 'unsubscribe', 'ta-id': a, 'msg-type': 'request', 'subscription-id': b },
        { 'ta-cmd': 'unpublish', 'ta-id': a, 'msg-type': 'request', 'service-id': b },
        { 'ta-cmd': 'track', 'ta-id': a, 'msg-type': 'inform', 'track-type': 'reply' },
        { 'ta-cmd': 'clients', 'ta-id': a, 'msg-type': 'request' },
      ),
    );
    fc.assert(
      fc.property(withIds, (m) => {
        const text = encodeMessage(m);
        expect(encodeMessage(decodeOk(text))).toBe(text);
        expect(decodeOk(text)).toEqual(m);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const r = decodeClientMessage(s);
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = decodeClientMessage(b);
        expect(E.isLeft(r) || E.isRight(r)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on JSON objects with random header values and fields, and accepts only exact messages', () => {
    const scalar: fc.Arbitrary<Json> = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.string({ maxLength: 5 }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      u63,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    const value: fc.Arbitrary<Json> = fc.oneof(
      { weight: 4, arbitrary: scalar },
      { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), fc.array(scalar, { maxLength: 3 })) },
    );
    const header = (names: readonly string[]): fc.Arbitrary<Json> =>
      fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: value });
    const fieldNames = fc.constantFrom(
      'client-id',
      'protocol-minimum-version',
      'protocol-maximum-version',
      'track-type',
      'subscription-id',
      'filter',
      'service-id',
      'generation',
      'service-props',
      'ttl',
      'x',
      '__proto__',
    );
    const fieldValue = fc.oneof(value, fc.constantFrom<Json>('query', 'reply', '(a=b)', { a: ['x', 1n] }));
    const obj = fc
      .tuple(
        fc.option(header(COMMANDS), { nil: undefined }),
        fc.option(fc.oneof(u63, value), { nil: undefined }),
        fc.option(header(MSG_TYPES), { nil: undefined }),
        fc.oneof(fc.constant([]), fc.array(fc.tuple(fieldNames, fieldValue), { maxLength: 6 })),
      )
      .map(([cmd, taId, msgType, fields]) => {
        const parts: string[] = [];
        if (cmd !== undefined) parts.push(`"ta-cmd":${stringifyJson(cmd)}`);
        if (taId !== undefined) parts.push(`"ta-id":${stringifyJson(taId)}`);
        if (msgType !== undefined) parts.push(`"msg-type":${stringifyJson(msgType)}`);
        for (const [k, v] of fields) parts.push(`${JSON.stringify(k)}:${stringifyJson(v)}`);
        return `{${parts.join(',')}}`;
      });
    let accepted = 0;
    fc.assert(
      fc.property(obj, (text) => {
        const r = decodeClientMessage(text);
        if (E.isLeft(r)) {
          expect(typeof r.left.reason).toBe('string');
          expect(r.left.reason.length).toBeGreaterThan(0);
          return;
        }
        accepted++;
        // anything accepted is a well-formed client message that survives a round trip
        const m = r.right;
        expect(['request', 'inform']).toContain(m['msg-type']);
        const again = decodeOk(encodeMessage(m));
        expect(showValue(again)).toBe(showValue(m));
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(0); // the generator does reach valid messages
  });
});

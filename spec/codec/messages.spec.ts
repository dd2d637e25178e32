import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { encodeMessage } from '../../lib/codec/encode';
import { stringifyJson, type Json, type JsonObject } from '../../lib/codec/json';
import {
  allowedKeys,
  COMMANDS,
  FailReason,
  inboundCodecs,
  MatchType,
  MSG_TYPES,
  outboundCodecs,
  SubscribeNotify,
  SubscribeNotifyDisappeared,
  SubscribeNotifyMatch,
  TrackType,
  type ServerMessage,
} from '../../lib/codec/messages';
import { INT63_MAX, makeProps } from '../../lib/codec/primitives';
import { decodeExact, decodeServerMessage, entries, json, leftOf, rightOf } from './helpers';

const ok = (version: 2 | 3, text: string): unknown => rightOf(decodeServerMessage(version, text));
const bad = (version: 2 | 3, text: string): string => leftOf(decodeServerMessage(version, text));
const obj = (text: string): JsonObject => json(text) as JsonObject;

const h = (cmd: string, taId: number, msgType: string): string =>
  `"ta-cmd":"${cmd}","ta-id":${taId},"msg-type":"${msgType}"`;
const service =
  '"service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":30,"client-id":4711';
const clientsV2 = `{${h('clients', 4, 'notify')},"client-id":4711,"client-address":"ux:0001f","time":1700000000}`;
const clientsV3 = `{${h('clients', 4, 'notify')},"client-id":4711,"client-address":"ux:0001f","time":1700000000,"idle":0.0002,"protocol-version":3,"latency":0.0004}`;

/** One valid example for every server (command, msg-type) of §5; clients notify is version-specific. */
const serverExamples = (version: 2 | 3): Record<string, string[]> => ({
  'hello/complete': [`{${h('hello', 0, 'complete')},"protocol-version":3}`],
  'hello/fail': [
    `{${h('hello', 42, 'fail')},"fail-reason":"unsupported-protocol-version"}`,
    `{${h('hello', 42, 'fail')}}`,
  ],
  'track/accept': [`{${h('track', 1, 'accept')}}`],
  'track/notify': [
    `{${h('track', 1, 'notify')},"track-type":"query"}`,
    `{${h('track', 1, 'notify')},"track-type":"reply"}`,
  ],
  'track/fail': [`{${h('track', 1, 'fail')},"fail-reason":"track-exists"}`],
  'subscribe/accept': [`{${h('subscribe', 2, 'accept')}}`],
  'subscribe/notify': [
    `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service}}`,
    `{${h('subscribe', 2, 'notify')},"match-type":"modified",${service},"orphan-since":1700000000.123456}`,
    `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service},"orphan-since":1700000000}`,
    `{${h('subscribe', 2, 'notify')},"match-type":"disappeared","service-id":9}`,
  ],
  'subscribe/complete': [`{${h('subscribe', 2, 'complete')}}`],
  'subscribe/fail': [`{${h('subscribe', 2, 'fail')},"fail-reason":"invalid-filter-syntax"}`],
  'unsubscribe/complete': [`{${h('unsubscribe', 5, 'complete')}}`],
  'unsubscribe/fail': [`{${h('unsubscribe', 5, 'fail')},"fail-reason":"non-existent-subscription-id"}`],
  'subscriptions/accept': [`{${h('subscriptions', 7, 'accept')}}`],
  'subscriptions/notify': [
    `{${h('subscriptions', 7, 'notify')},"subscription-id":17,"client-id":4711,"filter":"(name=foo)"}`,
    `{${h('subscriptions', 7, 'notify')},"subscription-id":17,"client-id":4711}`,
  ],
  'subscriptions/complete': [`{${h('subscriptions', 7, 'complete')}}`],
  'subscriptions/fail': [`{${h('subscriptions', 7, 'fail')},"fail-reason":"no-hello"}`],
  'services/accept': [`{${h('services', 8, 'accept')}}`],
  'services/notify': [
    `{${h('services', 8, 'notify')},${service}}`,
    `{${h('services', 8, 'notify')},${service},"orphan-since":1700000000.123456}`,
  ],
  'services/complete': [`{${h('services', 8, 'complete')}}`],
  'services/fail': [`{${h('services', 8, 'fail')},"fail-reason":"invalid-filter-syntax"}`],
  'publish/complete': [`{${h('publish', 3, 'complete')}}`],
  'publish/fail': [`{${h('publish', 3, 'fail')},"fail-reason":"same-generation-but-different"}`],
  'unpublish/complete': [`{${h('unpublish', 10, 'complete')}}`],
  'unpublish/fail': [`{${h('unpublish', 10, 'fail')},"fail-reason":"non-existent-service-id"}`],
  'ping/complete': [`{${h('ping', 6, 'complete')}}`],
  'ping/fail': [`{${h('ping', 6, 'fail')},"fail-reason":"no-hello"}`],
  'clients/accept': [`{${h('clients', 4, 'accept')}}`],
  'clients/notify':
    version === 2
      ? [clientsV2]
      : [clientsV3, clientsV3.replace(',"latency":0.0004', ''), clientsV3.replace('"idle":0.0002', '"idle":0')],
  'clients/complete': [`{${h('clients', 4, 'complete')}}`],
  'clients/fail': [`{${h('clients', 4, 'fail')},"fail-reason":"no-hello"}`],
});

describe('constants', () => {
  it('lists the commands and message types of §4.2/§5.1', () => {
    expect([...COMMANDS].sort()).toEqual([
      'clients',
      'hello',
      'ping',
      'publish',
      'services',
      'subscribe',
      'subscriptions',
      'track',
      'unpublish',
      'unsubscribe',
    ]);
    expect([...MSG_TYPES]).toEqual(['request', 'accept', 'notify', 'inform', 'complete', 'fail']);
  });

  it('has the twelve fail reasons of §5.12', () => {
    const reasons = Object.keys(FailReason.keys);
    expect(reasons).toHaveLength(12);
    for (const r of ['no-hello', 'track-exists', 'same-generation-but-different', 'non-existent-service-id'])
      expect(FailReason.is(r)).toBe(true);
    expect(FailReason.is('unknown-reason')).toBe(false);
  });

  it('uses the implementation names for track and match types (§16.1 D2, D4)', () => {
    expect(TrackType.is('query')).toBe(true);
    expect(TrackType.is('reply')).toBe(true);
    expect(TrackType.is('track-query')).toBe(false);
    expect(Object.keys(MatchType.keys)).toEqual(['appeared', 'modified', 'disappeared']);
    expect(MatchType.is('removed')).toBe(false);
  });
});

describe('codec tables', () => {
  it('inbound holds only client-generated msg-types: request for every command, inform for track', () => {
    const pairs = entries(inboundCodecs).map(([c, m]) => `${c}/${m}`);
    expect(pairs.sort()).toEqual([...COMMANDS.map((c) => `${c}/request`), 'track/inform'].sort());
  });

  it.each([2, 3] as const)('outbound (v%s) holds only server-generated msg-types', (v) => {
    for (const [, m] of entries(outboundCodecs(v))) expect(['accept', 'notify', 'complete', 'fail']).toContain(m);
  });

  it.each([2, 3] as const)('every outbound (v%s) pair has an example, and every example decodes', (v) => {
    const examples = serverExamples(v);
    const pairs = entries(outboundCodecs(v)).map(([c, m]) => `${c}/${m}`);
    expect(pairs.sort()).toEqual(Object.keys(examples).sort());
    for (const [pair, texts] of Object.entries(examples))
      for (const text of texts) {
        expect([pair, E.isRight(decodeServerMessage(v, text))]).toEqual([pair, true]);
      }
  });

  it.each([2, 3] as const)('outbound (v%s) examples re-encode to the same text', (v) => {
    for (const texts of Object.values(serverExamples(v)))
      for (const text of texts) expect(encodeMessage(ok(v, text) as object)).toBe(text);
  });

  it('the v2 and v3 tables differ only in the clients notify', () => {
    const v2 = outboundCodecs(2);
    const v3 = outboundCodecs(3);
    for (const [c, m, codec] of entries(v2)) {
      if (c === 'clients' && m === 'notify') expect(v3[c][m]).not.toBe(codec);
      else expect(v3[c][m]).toBe(codec);
    }
  });

  it('decodes server integers and props to bigints and Maps', () => {
    const m = ok(3, `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service}}`) as Record<string, unknown>;
    expect(m['client-id']).toBe(4711n);
    expect(m['service-props']).toEqual(
      makeProps([
        ['name', ['foo']],
        ['port', [4711n]],
      ]),
    );
  });
});

describe('clients notify per version (§5.11)', () => {
  it('a v3 client refuses the v2 shape (idle and protocol-version missing)', () => {
    expect(bad(3, clientsV2)).toMatch(/invalid/);
  });

  it('a v2 client refuses the v3 shape (unknown idle, protocol-version, latency)', () => {
    expect(bad(2, clientsV3)).toMatch(/unknown fields.*idle/);
  });

  it('v3 idle and latency are non-negative numbers; time is an integer', () => {
    expect(bad(3, clientsV3.replace('"idle":0.0002', '"idle":-1'))).toMatch(/invalid/);
    expect(bad(3, clientsV3.replace('"latency":0.0004', '"latency":-0.5'))).toMatch(/invalid/);
    expect(bad(3, clientsV3.replace('"time":1700000000', '"time":1700000000.5'))).toMatch(/invalid/);
    expect(bad(2, clientsV2.replace('"time":1700000000', '"time":1700000000.0'))).toMatch(/invalid/);
  });
});

describe('subscribe notify (§5.4)', () => {
  const disappeared = `{${h('subscribe', 2, 'notify')},"match-type":"disappeared","service-id":9}`;

  it('appeared without orphan-since is fine, with it too', () => {
    expect(ok(3, `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service}}`)).toMatchObject({
      'match-type': 'appeared',
    });
    expect(
      ok(3, `{${h('subscribe', 2, 'notify')},"match-type":"modified",${service},"orphan-since":1700000000.123456}`),
    ).toMatchObject({ 'orphan-since': 1700000000.123456 });
  });

  it('disappeared carries only the service id', () => {
    expect(ok(2, disappeared)).toEqual({
      'ta-cmd': 'subscribe',
      'ta-id': 2n,
      'msg-type': 'notify',
      'match-type': 'disappeared',
      'service-id': 9n,
    });
  });

  it.each([
    ['generation', '"generation":0'],
    ['client-id', '"client-id":4711'],
    ['orphan-since', '"orphan-since":1.5'],
    ['service-props', '"service-props":{}'],
    ['an unknown field', '"x":1'],
  ])('disappeared with %s is refused by its branch', (_name, extra) => {
    const text = `${disappeared.slice(0, -1)},${extra}}`;
    const o = obj(text);
    expect(E.isLeft(decodeExact(SubscribeNotifyDisappeared, o))).toBe(true);
    expect(E.isLeft(decodeExact(SubscribeNotify, o))).toBe(true);
    expect(bad(3, text)).toMatch(/unknown fields/);
  });

  it('a union-wide key check would not be enough (why branches are checked one by one)', () => {
    const keys = allowedKeys(SubscribeNotify);
    expect(keys.has('generation')).toBe(true);
    expect(allowedKeys(SubscribeNotifyDisappeared).has('generation')).toBe(false);
    // io-ts itself ignores extra members: only the branch key check refuses this
    const o = obj(`${disappeared.slice(0, -1)},"generation":0}`);
    expect(E.isRight(SubscribeNotify.decode(o))).toBe(true);
  });

  it.each([
    ['match-type removed (D4)', `{${h('subscribe', 2, 'notify')},"match-type":"removed","service-id":9}`],
    ['match-type missing', `{${h('subscribe', 2, 'notify')},"service-id":9}`],
    ['disappeared without service-id', `{${h('subscribe', 2, 'notify')},"match-type":"disappeared"}`],
    ['appeared with only a service id', `{${h('subscribe', 2, 'notify')},"match-type":"appeared","service-id":9}`],
    [
      'appeared without client-id',
      `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service.replace(',"client-id":4711', '')}}`,
    ],
    [
      'appeared with negative orphan-since',
      `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service},"orphan-since":-1.5}`,
    ],
    [
      'appeared with null orphan-since',
      `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service},"orphan-since":null}`,
    ],
    [
      'appeared with a float ttl',
      `{${h('subscribe', 2, 'notify')},"match-type":"appeared",${service.replace('"ttl":30', '"ttl":30.0')}}`,
    ],
    [
      'modified with a boolean in props',
      `{${h('subscribe', 2, 'notify')},"match-type":"modified",${service.replace('[4711]', '[true]')}}`,
    ],
  ])('%s is refused', (_name, text) => {
    expect(E.isLeft(decodeServerMessage(3, text))).toBe(true);
  });

  it('the match branch does not accept disappeared', () => {
    expect(
      E.isLeft(
        SubscribeNotifyMatch.decode(obj(`{${h('subscribe', 2, 'notify')},"match-type":"disappeared",${service}}`)),
      ),
    ).toBe(true);
  });
});

describe('other server messages refused', () => {
  it.each([
    ['hello complete without protocol-version', `{${h('hello', 0, 'complete')}}`],
    ['hello complete with a float version', `{${h('hello', 0, 'complete')},"protocol-version":3.0}`],
    ['accept with a field', `{${h('track', 1, 'accept')},"track-type":"query"}`],
    ['complete with a field', `{${h('ping', 6, 'complete')},"fail-reason":"no-hello"}`],
    ['fail with an extra field', `{${h('ping', 6, 'fail')},"fail-reason":"no-hello","x":1}`],
    ['fail with a non-string reason', `{${h('ping', 6, 'fail')},"fail-reason":1}`],
    ['track notify with a bad track-type', `{${h('track', 1, 'notify')},"track-type":"track-query"}`],
    [
      'subscriptions notify with a null filter',
      `{${h('subscriptions', 7, 'notify')},"subscription-id":1,"client-id":2,"filter":null}`,
    ],
    [
      'services notify with ta-id 2^63',
      `{"ta-cmd":"services","ta-id":9223372036854775808,"msg-type":"notify",${service}}`,
    ],
    ['ping notify (no such message)', `{${h('ping', 6, 'notify')}}`],
    ['track complete (never sent by pafd)', `{${h('track', 1, 'complete')}}`],
    ['a request', `{${h('ping', 6, 'request')}}`],
    ['clients notify with client-addr (D1)', clientsV2.replace('client-address', 'client-addr')],
  ])('%s', (_name, text) => {
    expect(E.isLeft(decodeServerMessage(3, text))).toBe(true);
  });
});

describe('allowedKeys', () => {
  it('is header + required + optional members', () => {
    expect([...allowedKeys(outboundCodecs(3).clients.notify!)].sort()).toEqual(
      [
        'client-address',
        'client-id',
        'idle',
        'latency',
        'msg-type',
        'protocol-version',
        'ta-cmd',
        'ta-id',
        'time',
      ].sort(),
    );
    expect([...allowedKeys(inboundCodecs.ping.request!)].sort()).toEqual(['msg-type', 'ta-cmd', 'ta-id']);
    expect([...allowedKeys(inboundCodecs.subscribe.request!)].sort()).toEqual([
      'filter',
      'msg-type',
      'subscription-id',
      'ta-cmd',
      'ta-id',
    ]);
  });

  it('is cached per codec', () => {
    expect(allowedKeys(inboundCodecs.hello.request!)).toBe(allowedKeys(inboundCodecs.hello.request!));
  });
});

describe('properties', () => {
  const u63 = fc.bigInt({ min: 0n, max: INT63_MAX });
  const nonNeg = fc.double({ min: 0, noNaN: true, noDefaultInfinity: true });
  const str = fc.string({ unit: 'binary', maxLength: 10 });
  const propsArb = fc
    .array(fc.tuple(str, fc.array(fc.oneof(str, fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })), { maxLength: 3 })), {
      maxLength: 4,
    })
    .map((es) => makeProps(es));

  const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
    fc.record({
      'ta-cmd': fc.constant('subscribe' as const),
      'ta-id': u63,
      'msg-type': fc.constant('notify' as const),
      'match-type': fc.constantFrom('appeared' as const, 'modified' as const),
      'service-id': u63,
      generation: u63,
      'service-props': propsArb,
      ttl: u63,
      'client-id': u63,
      'orphan-since': fc.option(nonNeg, { nil: undefined }),
    }),
    fc.record({
      'ta-cmd': fc.constant('subscribe' as const),
      'ta-id': u63,
      'msg-type': fc.constant('notify' as const),
      'match-type': fc.constant('disappeared' as const),
      'service-id': u63,
    }),
    fc.record({
      'ta-cmd': fc.constant('clients' as const),
      'ta-id': u63,
      'msg-type': fc.constant('notify' as const),
      'client-id': u63,
      'client-address': str,
      time: u63,
      idle: nonNeg,
      'protocol-version': u63,
      latency: fc.option(nonNeg, { nil: undefined }),
    }),
    fc.record({
      'ta-cmd': fc.constantFrom(...COMMANDS),
      'ta-id': u63,
      'msg-type': fc.constant('fail' as const),
      'fail-reason': fc.option(fc.constantFrom(...(Object.keys(FailReason.keys) as FailReason[])), { nil: undefined }),
    }),
  );

  it('every encoded server message decodes with the v3 table to the same values', () => {
    fc.assert(
      fc.property(serverMessage, (m) => {
        const text = encodeMessage(m);
        const back = ok(3, text);
        expect(encodeMessage(back as object)).toBe(text);
        // numbers: -0 is written as 0, integral doubles as integer literals (decoded back to numbers)
        const clean = Object.fromEntries(
          Object.entries(m)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, Object.is(v, -0) ? 0 : v]),
        );
        expect(back).toEqual(clean);
      }),
      { numRuns: 300 },
    );
  });

  it('the exact decoder never throws on random objects', () => {
    const value: fc.Arbitrary<Json> = fc.oneof(fc.constant(null), fc.boolean(), str, u63, nonNeg);
    const key = fc.constantFrom('ta-cmd', 'ta-id', 'msg-type', 'match-type', 'service-id', 'fail-reason', 'x');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), (kvs) => {
        const text = stringifyJson(Object.fromEntries(kvs));
        for (const v of [2, 3] as const) {
          const r = decodeServerMessage(v, text);
          expect(E.isLeft(r) || E.isRight(r)).toBe(true);
        }
      }),
    );
  });
});

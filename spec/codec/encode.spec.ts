import fc from 'fast-check';
import * as E from 'fp-ts/Either';

import { type EncodedParts, encodeMessage, encodeMessageParts, encodeProps } from '../../lib/codec/encode';
import { parseJson } from '../../lib/codec/json';
import { makeProps } from '../../lib/codec/primitives';
import type { Props } from '../../lib/filter/props';
import { json, rightOf } from './helpers';

describe('encodeMessage', () => {
  it('writes keys in the order the object was constructed', () => {
    expect(encodeMessage({ 'ta-cmd': 'ping', 'ta-id': 7n, 'msg-type': 'complete' })).toBe(
      '{"ta-cmd":"ping","ta-id":7,"msg-type":"complete"}',
    );
    expect(encodeMessage({ 'msg-type': 'complete', 'ta-cmd': 'ping', 'ta-id': 7n })).toBe(
      '{"msg-type":"complete","ta-cmd":"ping","ta-id":7}',
    );
  });

  it('omits absent (undefined) optional fields, never writing null for them', () => {
    const m = {
      'ta-cmd': 'services',
      'ta-id': 1n,
      'msg-type': 'notify',
      'service-id': 9n,
      'orphan-since': undefined,
      generation: 0n,
    };
    expect(encodeMessage(m)).toBe('{"ta-cmd":"services","ta-id":1,"msg-type":"notify","service-id":9,"generation":0}');
    expect(encodeMessage({ 'ta-cmd': 'ping', 'ta-id': 1n, 'msg-type': 'fail', 'fail-reason': undefined })).toBe(
      '{"ta-cmd":"ping","ta-id":1,"msg-type":"fail"}',
    );
    expect(encodeMessage({ a: undefined })).toBe('{}');
  });

  it('writes the exact §4.5 hello failure', () => {
    expect(
      encodeMessage({
        'ta-cmd': 'hello',
        'ta-id': 42n,
        'msg-type': 'fail',
        'fail-reason': 'unsupported-protocol-version',
      }),
    ).toBe('{"ta-cmd":"hello","ta-id":42,"msg-type":"fail","fail-reason":"unsupported-protocol-version"}');
  });

  it('writes bigints verbatim over the full 63-bit range', () => {
    expect(encodeMessage({ 'ta-id': 9223372036854775807n, 'client-id': 0n, x: 9007199254740993n })).toBe(
      '{"ta-id":9223372036854775807,"client-id":0,"x":9007199254740993}',
    );
  });

  it('writes floats exactly (shortest round-trip form)', () => {
    const text = encodeMessage({ 'orphan-since': 1700000000.123456, idle: 0.0002, latency: 0.0004 });
    expect(text).toBe('{"orphan-since":1700000000.123456,"idle":0.0002,"latency":0.0004}');
    const o = rightOf(parseJson(text)) as Record<string, unknown>;
    expect(o['orphan-since']).toBe(1700000000.123456);
  });

  it('writes an integral double as an integer literal', () => {
    expect(encodeMessage({ idle: 0, t: 1700000000 })).toBe('{"idle":0,"t":1700000000}');
  });

  it('writes non-ASCII and special strings as valid JSON', () => {
    const s = 'é€😀 "q" \\ \n\t\u0001 \u2028 \ud800';
    const text = encodeMessage({ 'client-address': s });
    expect(rightOf(parseJson(text))).toEqual({ 'client-address': s });
    expect(JSON.parse(text)).toEqual({ 'client-address': s });
    expect(E.isRight(parseJson(new TextEncoder().encode(text)))).toBe(true);
  });

  it('writes booleans, null and arrays', () => {
    expect(encodeMessage({ a: true, b: false, c: null, d: [1n, 'x', [2.5]] })).toBe(
      '{"a":true,"b":false,"c":null,"d":[1,"x",[2.5]]}',
    );
  });

  it('writes service-props as an object of arrays', () => {
    const props = makeProps([
      ['name', ['foo']],
      ['port', [4711n, '4711']],
    ]);
    expect(encodeMessage({ 'ta-cmd': 'publish', 'service-props': props, ttl: 30n })).toBe(
      '{"ta-cmd":"publish","service-props":{"name":["foo"],"port":[4711,"4711"]},"ttl":30}',
    );
  });

  it('writes the §15.5 notifications byte for byte', () => {
    const props = makeProps([
      ['name', ['foo']],
      ['port', [4711n]],
    ]);
    expect(
      encodeMessage({
        'ta-cmd': 'subscribe',
        'ta-id': 2n,
        'msg-type': 'notify',
        'match-type': 'appeared',
        'service-id': 9n,
        generation: 0n,
        'service-props': props,
        ttl: 30n,
        'client-id': 4711n,
      }),
    ).toBe(
      '{"ta-cmd":"subscribe","ta-id":2,"msg-type":"notify","match-type":"appeared","service-id":9,"generation":0,"service-props":{"name":["foo"],"port":[4711]},"ttl":30,"client-id":4711}',
    );
    expect(
      encodeMessage({
        'ta-cmd': 'clients',
        'ta-id': 4n,
        'msg-type': 'notify',
        'client-id': 4711n,
        'client-address': 'ux:0001f',
        time: 1700000000n,
        idle: 0.0002,
        'protocol-version': 3n,
        latency: 0.0004,
      }),
    ).toBe(
      '{"ta-cmd":"clients","ta-id":4,"msg-type":"notify","client-id":4711,"client-address":"ux:0001f","time":1700000000,"idle":0.0002,"protocol-version":3,"latency":0.0004}',
    );
  });

  describe('a notification fanned out to many subscribers', () => {
    /** An independent reference: JSON.stringify with bigints and props written as the protocol does. */
    const reference = (m: Record<string, unknown>): string =>
      JSON.stringify(m, (_k, v: unknown) =>
        typeof v === 'bigint' ? `@@${v}@@` : v instanceof Map ? Object.fromEntries(v as Map<string, unknown>) : v,
      ).replace(/"@@(-?\d+)@@"/g, '$1');
    const props = makeProps([
      ['name', ['svc']],
      ['port', [4711n]],
    ]);
    const notify = (taId: bigint, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      'ta-cmd': 'subscribe',
      'ta-id': taId,
      'msg-type': 'notify',
      'match-type': 'appeared',
      'service-id': 9n,
      generation: 0n,
      'service-props': props,
      ttl: 30n,
      'client-id': 4711n,
      ...extra,
    });

    it('writes every subscriber its own ta-id around the same record, byte for byte', () => {
      for (let i = 0n; i < 5n; i++) expect(encodeMessage(notify(i * 1000n))).toBe(reference(notify(i * 1000n)));
    });

    it("writes a spliced notify's ta-id exactly on both sides of the heads kept, again when kept", () => {
      const ids = [0n, 1n, 9n, 10n, 4095n, 4096n, 4097n, 9223372036854775807n, -5n];
      const parts: EncodedParts = { head: '', tail: '' };
      for (const round of [1, 2])
        for (const id of [...ids, ...ids.slice().reverse()]) {
          const m = notify(id);
          expect([round, encodeMessage(m)]).toEqual([round, reference(m)]);
          encodeMessageParts(m, parts);
          expect(parts.head + parts.tail).toBe(reference(m));
          const bytes = parts.headBytes && Buffer.from(parts.headBytes).toString('latin1');
          expect([id, bytes]).toEqual([id, parts.tail === '' || id < 0n || id >= 4096n ? undefined : parts.head]);
        }
    });

    it('encodes afresh whatever differs from the previous one: a value, a field, the order, an absent field', () => {
      const variants: Array<Record<string, unknown>> = [
        notify(1n),
        notify(2n, { generation: 1n }),
        notify(3n, { 'orphan-since': 1700000000.25 }),
        notify(4n, { 'orphan-since': 1700000000.5 }),
        notify(5n),
        { ...notify(6n), 'match-type': 'modified' },
        { 'ta-cmd': 'subscribe', 'ta-id': 7n, 'msg-type': 'notify', 'match-type': 'disappeared', 'service-id': 9n },
        { 'ta-cmd': 'subscribe', 'ta-id': 8n, 'msg-type': 'notify', 'match-type': 'disappeared', 'service-id': 9n },
        { 'ta-cmd': 'subscribe', 'ta-id': 9n, 'msg-type': 'notify', 'service-id': 9n, 'match-type': 'disappeared' },
        { 'ta-id': 10n, 'ta-cmd': 'subscribe', 'msg-type': 'notify', 'match-type': 'disappeared', 'service-id': 9n },
        notify(11n, { 'service-props': makeProps([['name', ['svc']]]) }),
        notify(12n, { ttl: undefined }),
        notify(13n),
        { ...notify(14n), 'ta-id': 14 },
      ];
      for (const m of variants) expect(encodeMessage(m)).toBe(reference(m));
    });

    it('really shares the record text: only the ta-id is written per subscriber', () => {
      // values are immutable by contract; an array mutated between two sends shows the second reused the text
      // (props would not show it: their text is cached by identity anyway)
      const a = ['before'];
      const first = encodeMessage(notify(1n, { extra: a }));
      a[0] = 'after';
      expect(first).toContain('"extra":["before"]');
      expect(encodeMessage(notify(2n, { extra: a }))).toBe(first.replace('"ta-id":1,', '"ta-id":2,'));
      expect(encodeMessage(notify(3n, { extra: ['after'] }))).toContain('"extra":["after"]');
    });

    it('any run of notifies, alike or not, each in pieces, is its own text (fast-check)', () => {
      const other = makeProps([['name', ['other']]]);
      const fieldArb = fc.record({
        taId: fc.oneof(fc.bigInt({ min: -3n, max: 5000n }), fc.constant(9223372036854775807n)),
        generation: fc.constantFrom(0n, 1n),
        props: fc.constantFrom(props, other),
        ttl: fc.constantFrom(30n, undefined),
        orphan: fc.constantFrom(undefined, 1700000000.5),
        swap: fc.boolean(),
      });
      const parts: EncodedParts = { head: '', tail: '' };
      fc.assert(
        fc.property(fc.array(fieldArb, { minLength: 1, maxLength: 30 }), (fs) => {
          for (const f of fs) {
            const m = notify(f.taId, {
              generation: f.generation,
              'service-props': f.props,
              ttl: f.ttl,
              ...(f.orphan !== undefined ? { 'orphan-since': f.orphan } : {}),
            });
            // (swap: the same fields with service-id before match-type, another order)
            const { 'match-type': mt, ...rest } = m;
            const mm = f.swap ? { ...rest, 'service-id': 9n, 'match-type': mt } : m;
            encodeMessageParts(mm, parts);
            expect(parts.head + parts.tail).toBe(reference(mm));
          }
        }),
        { numRuns: 300 },
      );
    });

    it('in pieces: head + tail is the text; a spliced notify is its ta-id head and the shared tail', () => {
      const parts: EncodedParts = { head: '', tail: '' };
      // (a notify unlike the ones below first: the encoder remembers the last notify of any earlier test)
      encodeMessageParts(notify(0n, { 'service-id': 10n }), parts);
      const seen: EncodedParts[] = [];
      const messages: Array<Record<string, unknown>> = [
        notify(1n),
        notify(22n),
        notify(333n),
        notify(4n, { generation: 1n }),
        notify(5n, { generation: 1n }),
        { 'ta-cmd': 'ping', 'ta-id': 6n, 'msg-type': 'complete' },
        notify(7n, { generation: 1n }),
      ];
      for (const m of messages) {
        encodeMessageParts(m, parts);
        expect(parts.head + parts.tail).toBe(reference(m));
        seen.push({ ...parts });
      }
      // the first of a run is whole; the others share the first one's tail
      expect(seen.map((p) => p.tail === '')).toEqual([true, false, false, true, false, true, false]);
      expect(seen[1]!.head).toBe('{"ta-cmd":"subscribe","ta-id":22,');
      // a small ta-id's head comes as bytes too (the same text); a whole message's does not
      expect(Buffer.from(seen[1]!.headBytes!).toString('latin1')).toBe(seen[1]!.head);
      expect(Buffer.from(seen[2]!.headBytes!).toString('latin1')).toBe(seen[2]!.head);
      expect(seen.filter((p) => p.tail === '').map((p) => p.headBytes)).toEqual([undefined, undefined, undefined]);
      expect(seen[2]!.tail).toBe(seen[1]!.tail);
      expect(seen[1]!.tail).toBe(reference(notify(1n)).slice('{"ta-cmd":"subscribe","ta-id":1,'.length));
    });
  });

  it('writes accept and complete replies byte for byte, and whatever else has those types in full', () => {
    const reference = (m: Record<string, unknown>): string =>
      JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
    const messages: Array<Record<string, unknown>> = [];
    for (const cmd of ['ping', 'publish', 'unpublish', 'subscribe', 'unsubscribe', 'hello', 'track', 'odd "cmd" é'])
      for (const type of ['complete', 'accept'])
        for (const id of [0n, 7n, 4096n, 9223372036854775807n, -3n])
          messages.push({ 'ta-cmd': cmd, 'ta-id': id, 'msg-type': type });
    messages.push(
      { 'ta-cmd': 'ping', 'msg-type': 'complete', 'ta-id': 1n },
      { 'ta-id': 1n, 'ta-cmd': 'ping', 'msg-type': 'complete' },
      { 'ta-cmd': 'ping', 'ta-id': 1, 'msg-type': 'complete' },
      { 'ta-cmd': 'ping', 'ta-id': 1n, 'msg-type': 'complete', extra: 'x' },
      { 'ta-cmd': 'ping', 'ta-id': 1n, 'msg-type': 'complete', 'fail-reason': undefined },
      { 'ta-cmd': 7, 'ta-id': 1n, 'msg-type': 'accept' },
      { 'ta-cmd': 'ping', 'ta-id': 1n },
    );
    for (const m of messages) expect(encodeMessage(m)).toBe(reference(m));
  });

  it('output always parses back to the same values', () => {
    const m = {
      'ta-cmd': 'services',
      'ta-id': 18446744073709551615n,
      'msg-type': 'notify',
      'service-props': makeProps([['k', ['v', -1n]]]),
      'orphan-since': 0.5,
    };
    expect(rightOf(parseJson(encodeMessage(m)))).toEqual({
      'ta-cmd': 'services',
      'ta-id': 18446744073709551615n,
      'msg-type': 'notify',
      'service-props': { k: ['v', -1n] },
      'orphan-since': 0.5,
    });
  });
});

describe('encodeProps', () => {
  it('writes an empty map as {}', () => {
    expect(encodeProps(new Map())).toBe('{}');
  });

  it('escapes keys and string values and writes integers verbatim', () => {
    const p: Props = new Map([['k"\\é', ['v"\n', 2n ** 70n, -3n]]]);
    const text = encodeProps(p);
    expect(text).toBe(`{"k\\"\\\\é":["v\\"\\n",${2n ** 70n},-3]}`);
    expect(json(text)).toEqual({ 'k"\\é': ['v"\n', 2n ** 70n, -3n] });
  });

  it('writes keys and values in map order', () => {
    const p: Props = new Map([
      ['z', ['b', 'a']],
      ['a', [2n, 1n]],
    ]);
    expect(encodeProps(p)).toBe('{"z":["b","a"],"a":[2,1]}');
  });

  it('caches by identity: the same Map gives identical text, an equal new Map is encoded afresh', () => {
    const p = makeProps([['name', ['foo']]]);
    const first = encodeProps(p);
    expect(encodeProps(p)).toBe(first);
    expect(encodeMessage({ 'service-props': p })).toBe(`{"service-props":${first}}`);
    const q = makeProps([['name', ['foo']]]);
    expect(encodeProps(q)).toBe(first);
  });

  it('really serves the cached text for a known Map', () => {
    // Props are immutable by contract; mutating one after encoding shows that the cached text is reused.
    const p = new Map([['name', ['foo']]]);
    const first = encodeProps(p);
    p.set('late', ['x']);
    expect(encodeProps(p)).toBe(first);
    expect(encodeProps(new Map(p))).toBe('{"name":["foo"],"late":["x"]}');
  });
});

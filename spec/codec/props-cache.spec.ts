/**
 * The props cache of the fast decoding path (lib/codec/fast.ts `PropsCache`, used by the replay's line decoder):
 * decoding with it gives exactly what decoding without it gives, message or error, whatever came before (tiny caches
 * force evictions and set collisions), and a props text seen before is given back as the same object.
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { CompactProps, compactProps } from '../../lib/filter/compact-props';
import type { Props } from '../../lib/filter/props';
import { decodeClientMessage } from '../../lib/codec/decode';
import { PropsCache } from '../../lib/codec/fast';

/** A structural rendering that keeps what toEqual would blur: key order, Map order, bigint vs number. */
const canon = (v: unknown): unknown => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return `${v}d`;
  // (the caches keep props in the directory's form, a CompactProps: the same keys, values and order as the Map)
  if (v instanceof Map || v instanceof CompactProps)
    return ['Map', [...(v as Map<unknown, unknown>)].map(([k, x]) => [k, canon(x)])];
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object' && v !== null)
    return Object.keys(v).map((k) => [k, canon((v as Record<string, unknown>)[k])]);
  return v;
};
const show = (r: ReturnType<typeof decodeClientMessage>): unknown =>
  E.isRight(r) ? ['right', canon(r.right)] : ['left', r.left];

const publish = (props: string, ta = 1, gen = 0): string =>
  `{"ta-cmd":"publish","ta-id":${ta},"msg-type":"request","service-id":9,"generation":${gen},"service-props":${props},"ttl":30}`;

/** Props texts, valid and not, some equal but for one character, some with braces and escapes in strings. */
const PROPS = [
  '{"name":["foo"],"port":[4711]}',
  '{"name":["fop"],"port":[4711]}',
  '{"name":["foo"],"port":[4712]}',
  '{"name":["foo"], "port":[4711]}',
  '{"port":[4711],"name":["foo"]}',
  '{}',
  '{ }',
  '{"a":[]}',
  '{"a":["}"],"b":["{"]}',
  '{"a":["x\\"}"]}',
  '{"a":["\\u0041"]}',
  '{"a":["x","x","y"]}',
  '{"a":[1,"1",1]}',
  '{"a":{"b":1}}',
  '{"a":[1],"a":[2]}',
  '{"0":["x"]}',
  '{"a":[-1]}',
  '{"a":[1.5]}',
  '{"a":[true]}',
  '{"a":[99999999999999999999]}',
  '{"a":["é"]}',
  '{"a":["x"]',
  '{"a":["x"]}}',
  '{"a":[],"a":["x"]}',
  '{"a":["x"],"b":[],"b":[1]}',
  '{"a":["x","y","x","z"]}',
  '{"a":["y","x","x"],"b":[2,2],"c":[3,"3",3]}',
  '{"a":[1],"b":["2"],"c":[3,4],"d":["x"],"e":[]}',
  '{"k0":["v0"],"k1":["v1"],"k2":["v2"],"k3":["v3"],"k4":["v4"],"k5":["v5"],"k6":["v6"],"k7":["v7"],"k8":["v8"],"k9":["v9"],"k10":["v10"],"k11":["v11"],"k12":["v12"],"k13":["v13"],"k14":["v14"]}',
  '{"k0":["v0"],"k1":["v1"],"k2":["v2"],"k3":["v3"],"k4":["v4"],"k5":["v5"],"k6":["v6"],"k7":["v7"],"k8":["v8"],"k9":["v9"],"k10":["v10"],"k11":["v11"],"k12":["v12"],"k13":["v13"],"k14":["v14"],"k15":["v15"]}',
  '{"k0":["v0"],"k1":["v1"],"k2":["v2"],"k3":["v3"],"k4":["v4"],"k5":["v5"],"k6":["v6"],"k7":["v7"],"k8":["v8"],"k9":["v9"],"k10":["v10"],"k11":["v11"],"k12":["v12"],"k13":["v13"],"k14":["v14"],"k15":["v15"],"k16":["v16"]}',
  '{"k0":["v0"],"k1":["v1"],"k2":["v2"],"k3":["v3"],"k4":["v4"],"k5":["v5"],"k6":["v6"],"k7":["v7"],"k8":["v8"],"k9":["v9"],"k10":["v10"],"k11":["v11"],"k12":["v12"],"k13":["v13"],"k14":["v14"],"k15":["v15"],"k16":["v16"],"k17":["v17"],"k18":["v18"],"k19":["v19"],"k3":["again"]}',
];

describe('PropsCache', () => {
  it('decodes every sequence of messages exactly as without a cache (evictions, collisions, invalid props)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 4, 16384),
        fc.array(fc.tuple(fc.constantFrom(...PROPS), fc.nat({ max: 3 }), fc.boolean()), {
          minLength: 1,
          maxLength: 40,
        }),
        (sets, msgs) => {
          const cache = new PropsCache(sets);
          for (const [props, gen, spaced] of msgs) {
            const text = spaced ? publish(props, 7, gen).replace(/,"ttl"/, ', "ttl"') : publish(props, 7, gen);
            expect(show(decodeClientMessage(text, cache))).toEqual(show(decodeClientMessage(text)));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives back the same props object for the same text, and a new one for another text', () => {
    const cache = new PropsCache(4);
    const props = (text: string): unknown => {
      const r = decodeClientMessage(text, cache);
      if (E.isLeft(r) || r.right['ta-cmd'] !== 'publish') throw new Error(text);
      return r.right['service-props'];
    };
    const a = props(publish(PROPS[0]!, 1, 0));
    expect(props(publish(PROPS[0]!, 2, 1))).toBe(a); // a republish: other ta-id and generation, the same props
    const b = props(publish(PROPS[1]!, 3, 0)); // same length, one character differs
    expect(b).not.toBe(a);
    expect(canon(b)).not.toEqual(canon(a));
    expect(props(publish(PROPS[0]!, 4, 2))).toBe(a);
    // in the directory's form: a publish stores this very object, a republish finds it identical by reference
    expect(compactProps(a as Props)).toBe(a);
    // without a cache every message has its own props
    const plain = decodeClientMessage(publish(PROPS[0]!, 5, 3));
    expect(E.isRight(plain) && plain.right['ta-cmd'] === 'publish' && plain.right['service-props']).not.toBe(a);
  });

  it('keeps at most two entries per set: a third text evicts the older one', () => {
    const cache = new PropsCache(1);
    const get = (p: string): unknown => {
      const r = decodeClientMessage(publish(p), cache);
      return E.isRight(r) && r.right['ta-cmd'] === 'publish' ? r.right['service-props'] : undefined;
    };
    const x = get(PROPS[0]!);
    const y = get(PROPS[1]!);
    expect(get(PROPS[0]!)).toBe(x);
    expect(get(PROPS[1]!)).toBe(y);
    get(PROPS[2]!); // replaces the entry used least recently (x)
    expect(get(PROPS[1]!)).toBe(y);
    expect(get(PROPS[0]!)).not.toBe(x);
    expect(cache.texts.filter((t) => t !== undefined)).toHaveLength(2);
  });
});

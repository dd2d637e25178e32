import { describe, expect, it } from '@jest/globals';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decodeClientMessage } from '../../lib/codec/decode';
import { flatSlice, intern, internAt, smallInt } from '../../lib/codec/intern';

const publish = (name: string, extra = ''): string =>
  `{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":7,"generation":0,` +
  `"service-props":{"name":["${name}"],"addr":["tls:10.10.10.10:4711"]${extra}},"ttl":3600}`;

const propsOf = (text: string): ReadonlyMap<string, readonly unknown[]> => {
  const m = decodeClientMessage(text);
  if (m._tag === 'Left') throw new Error(m.left.reason);
  return (m.right as unknown as { 'service-props': ReadonlyMap<string, readonly unknown[]> })['service-props'];
};

describe('intern', () => {
  it('gives back an equal string, the same one for equal characters from different texts', () => {
    const a = `x${'tls:10.10.10.10:4711'}y`.slice(1, -1);
    const b = `zz${'tls:10.10.10.10:4711'}`.slice(2);
    expect(intern(a)).toBe('tls:10.10.10.10:4711');
    // identity is not observable for strings in JS; a Set of one shows equality, the decoder tests below sharing
    expect(new Set([intern(a), intern(b)]).size).toBe(1);
    expect(intern('')).toBe('');
    expect(intern('__proto__')).toBe('__proto__');
    expect(intern('0')).toBe('0');
  });

  it('leaves keys that are array indices or special names intact', () => {
    for (const k of ['1', '4294967295', 'constructor', 'toString', 'hasOwnProperty', 'ünïcödé', '\u0000'])
      expect(intern(k)).toBe(k);
  });
});

describe('internAt', () => {
  it('is intern of the slice, from the cache or not, whatever else went through it', () => {
    const words = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? 'green' : `w${i * 7919}`));
    // many more strings than the cache's slots, repeated: hits, misses and evictions, equal lengths that differ
    for (let round = 0; round < 3; round++)
      for (const [i, w] of words.entries()) {
        const text = `${'x'.repeat(i % 5)}"${w}"${'y'.repeat(i % 3)}`;
        const start = (i % 5) + 1;
        const got = internAt(text, start, start + w.length);
        expect(got).toBe(w);
        expect(new Set([got, intern(w)]).size).toBe(1);
      }
    expect(internAt('ab', 1, 1)).toBe('');
    expect(internAt('"abc"', 1, 4)).toBe('abc');
    expect(internAt('"abd"', 1, 4)).toBe('abd');
  });
});

describe('flatSlice', () => {
  it('is the slice, for every length (copied by the engine, by its characters, through intern) and any characters', () => {
    const alphabet = ['a', 'Z', '0', '"', 'é', 'ü', '€', '\u0000', '\uffff', '😀'];
    for (const n of [0, 1, 12, 13, 14, 100, 255, 256, 257, 1000])
      for (let shift = 0; shift < 3; shift++) {
        const body = Array.from({ length: n }, (_, i) => alphabet[(i * 7 + shift) % alphabet.length]!).join('');
        const text = `${'x'.repeat(shift)}${body}${'y'.repeat(2 - shift)}`;
        // (an emoji is two UTF-16 units: cut anywhere, as slice cuts)
        for (const [start, end] of [
          [shift, shift + body.length],
          [shift + 1, shift + body.length - 1],
        ] as const) {
          if (end < start) continue;
          expect(flatSlice(text, start, end)).toBe(text.slice(start, end));
        }
      }
  });

  it('copies ASCII and non-ASCII text alike, a non-ASCII character anywhere', () => {
    const ascii = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join('');
    for (const n of [13, 14, 64, 127, 128, 255, 256]) {
      const body = ascii.repeat(3).slice(5, 5 + n);
      expect(flatSlice(`ab${body}cd`, 2, 2 + n)).toBe(body);
      for (const at of [0, 1, n >> 1, n - 1]) {
        const mixed = `${body.slice(0, at)}\u00e9${body.slice(at + 1)}`;
        expect(flatSlice(`ab${mixed}cd`, 2, 2 + n)).toBe(mixed);
        const wide = `${body.slice(0, at)}\u20ac${body.slice(at + 1)}`;
        expect(flatSlice(`ab${wide}cd`, 2, 2 + n)).toBe(wide);
      }
    }
  });

  it('keeps nothing of the text alive (a slice of it would keep it all)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = (): number => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    // 200 slices of 100 characters, each out of its own 1 MB text: kept as slices they hold 200 MB
    const cut = (i: number): string => {
      const text = `${String(i).padStart(8, '0')}${'q'.repeat(1 << 20)}`;
      return flatSlice(text, 1 << 19, (1 << 19) + 100);
    };
    const before = used();
    const kept = Array.from({ length: 200 }, (_, i) => cut(i));
    expect(used() - before).toBeLessThan(8 << 20);
    expect(kept[7]).toBe('q'.repeat(100));
  });
});

describe('smallInt', () => {
  it('shares the bigint of a small integer and is exact for large ones', () => {
    expect(smallInt(0)).toBe(0n);
    expect(smallInt(3600)).toBe(3600n);
    expect(Object.is(smallInt(3600), smallInt(3600))).toBe(true);
    expect(smallInt(4096)).toBe(4096n);
    expect(smallInt(Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n);
  });
});

describe('decoded props', () => {
  it('decode to the same values on the fast and the general path', () => {
    const fast = propsOf(publish('service-123456789'));
    // a space before the colon is still fast; an escape sends the message to the general path
    const general = propsOf(publish('service-\\u0031'));
    expect(fast.get('name')).toEqual(['service-123456789']);
    expect(general.get('name')).toEqual(['service-1']);
    expect(fast.get('addr')).toEqual(general.get('addr'));
    expect([...fast.keys()]).toEqual([...general.keys()]);
  });
});

import fc from 'fast-check';

import { jitter, nextReconnectDelay } from '../../lib/client/core/backoff';
import { parseDomainFile, serverKey } from '../../lib/client/core/domain-file';
import { effectiveMaxIdle, probeDelay, replyTimeout } from '../../lib/client/core/liveness';
import { resolveOptions } from '../../lib/client/core/options';
import { nextRandom } from '../../lib/client/core/prng';
import { fromWireProps, toWireProps } from '../../lib/client/core/props';
import { domainFilePath, domainsDir } from '../../lib/client/domain-watcher';
import { validateSubscribeNotify } from '../../lib/client/core/wire';
import type { JsonObject } from '../../lib/codec/json';
import { SubscribeNotify } from '../../lib/codec/messages';
import { PafArgumentError } from '../../lib/errors';

describe('reconnect back-off (§13.3)', () => {
  it('starts at min × (1 + rand), doubles, is capped at max and floored at min', () => {
    expect(nextReconnectDelay(0, 0.01, 5, 0)).toBeCloseTo(0.01);
    expect(nextReconnectDelay(0, 0.01, 5, 0.999)).toBeCloseTo(0.01999);
    let d = 0;
    const seq: number[] = [];
    for (let i = 0; i < 12; i++) seq.push((d = nextReconnectDelay(d, 0.01, 5, 0.5)));
    expect(seq.slice(0, 3)).toEqual([0.015, 0.03, 0.06]);
    expect(seq[seq.length - 1]).toBe(5);
    expect(nextReconnectDelay(0.001, 0.01, 5, 0.5)).toBe(0.01);
  });

  it('jitter stays within ±fraction', () => {
    expect(jitter(10, 0.1, 0)).toBeCloseTo(9);
    expect(jitter(10, 0.1, 0.5)).toBeCloseTo(10);
    expect(jitter(10, 0.1, 1)).toBeCloseTo(11);
  });
});

describe('liveness arithmetic (§13.4)', () => {
  it('uses idleMax without services, else the lowest TTL clamped to [idleMin, idleMax]', () => {
    expect(effectiveMaxIdle(undefined, 4, 30)).toBe(30);
    expect(effectiveMaxIdle(10, 4, 30)).toBe(10);
    expect(effectiveMaxIdle(1, 4, 30)).toBe(4);
    expect(effectiveMaxIdle(0, 0, 30)).toBe(1);
    expect(effectiveMaxIdle(100, 4, 30)).toBe(30);
  });

  it('probes after jitter(0.5·max_idle, 10 %) + 0.1 s and waits 0.5·max_idle for the reply', () => {
    expect(probeDelay(10, 0.5)).toBeCloseTo(5.1);
    expect(probeDelay(10, 0)).toBeCloseTo(4.6);
    expect(replyTimeout(10)).toBe(5);
  });
});

describe('domain files (§13.1)', () => {
  it('parses the line format: comments and empty lines ignored, whitespace trimmed', () => {
    expect(parseDomainFile('# a comment\n\ntcp:127.0.0.1:4711\n  ux:foo  \n')).toEqual({
      servers: [{ address: 'tcp:127.0.0.1:4711' }, { address: 'ux:foo' }],
    });
    expect(parseDomainFile('')).toEqual({ servers: [] });
  });

  it('parses the JSON format with TLS, local address, protocol versions and idle times', () => {
    const text = JSON.stringify({
      servers: [
        {
          address: 'tls:10.0.0.1:4711',
          localAddress: 'tls:10.0.0.2:0',
          tlsCertificateFile: '/c.pem',
          tlsKeyFile: '/k.pem',
          tlsTrustedCaFile: '/tc.pem',
          tlsCrlFile: '/crl.pem',
          minProtocolVersion: 2,
          maxProtocolVersion: 3,
          minIdleTime: 1,
          maxIdleTime: 2.5,
        },
        { address: 'ux:bar' },
      ],
    });
    expect(parseDomainFile('  \n' + text)).toEqual({
      servers: [
        {
          address: 'tls:10.0.0.1:4711',
          localAddress: 'tls:10.0.0.2:0',
          tls: { cert: '/c.pem', key: '/k.pem', tc: '/tc.pem', crl: '/crl.pem' },
          minProtocolVersion: 2,
          maxProtocolVersion: 3,
          minIdleTime: 1,
          maxIdleTime: 2.5,
        },
        { address: 'ux:bar' },
      ],
    });
  });

  it('rejects malformed JSON files with a reason', () => {
    expect(parseDomainFile('{"servers": [').error).toMatch(/invalid JSON/);
    expect(parseDomainFile('{"server": []}').error).toMatch(/servers/);
    expect(parseDomainFile('{"servers": [{"addr": "x"}]}').error).toMatch(/address/);
    expect(parseDomainFile('{"servers": [{"address": "x", "minProtocolVersion": 2.5}]}').error).toMatch(/integer/);
    expect(parseDomainFile('{"servers": [{"address": "x", "tlsKeyFile": 1}]}').error).toMatch(/string/);
  });

  it('resolves the directory from the option, $PAF_DOMAINS or the default', () => {
    expect(domainsDir('/x', { PAF_DOMAINS: '/y' })).toBe('/x');
    expect(domainsDir(undefined, { PAF_DOMAINS: '/y' })).toBe('/y');
    expect(domainsDir(undefined, {})).toBe('/run/paf/domains.d');
    expect(domainFilePath('default', '/y')).toBe('/y/default');
  });

  it('server keys differ when options differ', () => {
    expect(serverKey({ address: 'ux:a' })).toBe(serverKey({ address: 'ux:a' }));
    expect(serverKey({ address: 'ux:a' })).not.toBe(serverKey({ address: 'ux:a', maxProtocolVersion: 2 }));
  });
});

describe('options and props', () => {
  it('takes explicit values, then the PAF_* environment, then defaults', () => {
    expect(resolveOptions({}, {})).toEqual(
      expect.objectContaining({ reconnectMin: 0.01, reconnectMax: 5, idleMin: 4, idleMax: 30, ttl: 30 }),
    );
    expect(resolveOptions({ idleMax: 9 }, { PAF_IDLE_MAX: '10', PAF_TTL: '7' })).toEqual(
      expect.objectContaining({ idleMax: 9, ttl: 7 }),
    );
    expect(resolveOptions({ idleMin: 0.1 }, {}).idleMin).toBe(1);
  });

  it('converts plain property objects to wire props and back', () => {
    const p = toWireProps({ name: 'foo', port: 4711, big: 2n ** 62n, tags: ['a', 'a', 'b'], none: [] });
    expect([...p]).toEqual([
      ['name', ['foo']],
      ['port', [4711n]],
      ['big', [2n ** 62n]],
      ['tags', ['a', 'b']],
    ]);
    expect(fromWireProps(p)).toEqual({ name: ['foo'], port: [4711n], big: [2n ** 62n], tags: ['a', 'b'] });
    expect(() => toWireProps({ x: 1.5 })).toThrow(PafArgumentError);
    expect(() => toWireProps(null as never)).toThrow(PafArgumentError);
  });
});

describe('random generator', () => {
  it('is deterministic per seed and uniform enough in [0, 1)', () => {
    let s = 12345;
    const xs: number[] = [];
    for (let i = 0; i < 10000; i++) {
      const [r, next] = nextRandom(s);
      xs.push(r);
      s = next;
    }
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(nextRandom(12345)).toEqual(nextRandom(12345));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(xs.filter((x) => x < 0.1).length).toBeGreaterThan(900);
  });
});

describe('the hand-written subscribe notify validator', () => {
  /** Mostly valid values, sometimes each kind of invalid one. */
  const mostly = (valid: fc.Arbitrary<unknown>, ...invalid: Array<fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> =>
    fc.oneof({ weight: 12, arbitrary: valid }, ...invalid.map((arbitrary) => ({ weight: 1, arbitrary })));
  const uint = mostly(
    fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
    fc.constant(-1n),
    fc.constant(2n ** 63n),
    fc.constant(1.5),
    fc.constant('1'),
  );
  const propValue = mostly(
    fc.oneof(fc.string({ maxLength: 3 }), fc.bigInt({ min: -5n, max: 5n })),
    fc.constant(1.5),
    fc.constant(true),
  );
  const props = mostly(
    fc.dictionary(fc.string({ maxLength: 3 }), fc.array(propValue, { maxLength: 3 }), { maxKeys: 3 }),
    fc.constant([]),
    fc.constant('x'),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.constant('notarray'), { minKeys: 1, maxKeys: 1 }),
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 8 });
  const message = fc.record(
    {
      'ta-cmd': mostly(fc.constant('subscribe'), fc.constant('services')),
      'ta-id': uint,
      'msg-type': mostly(fc.constant('notify'), fc.constant('accept')),
      'match-type': mostly(fc.constantFrom('appeared', 'modified', 'disappeared'), fc.constant('other')),
      'service-id': uint,
      generation: opt(uint),
      'service-props': opt(props),
      ttl: opt(uint),
      'client-id': opt(uint),
      'orphan-since': fc.option(
        mostly(
          fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.bigInt({ min: 0n, max: 5n })),
          fc.constant(-1),
          fc.constant(-1n),
          fc.constant('1'),
        ),
        { nil: undefined, freq: 2 },
      ),
      extra: fc.option(fc.string(), { nil: undefined, freq: 2 }),
    },
    { requiredKeys: ['ta-cmd', 'ta-id', 'msg-type', 'match-type'] },
  );
  it('accepts exactly what the io-ts codec accepts, with the same values', () => {
    let valid = 0;
    fc.assert(
      fc.property(message, (raw) => {
        const o = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as JsonObject;
        const r = SubscribeNotify.decode(o);
        const mine = validateSubscribeNotify(o);
        if (r._tag === 'Left') expect(typeof mine).toBe('string');
        else {
          valid++;
          // the same values for every field the message type defines (unknown fields are not carried over)
          const right = r.right as Record<string, unknown>;
          const fields = ['ta-cmd', 'ta-id', 'msg-type', 'match-type', 'service-id'];
          if (right['match-type'] !== 'disappeared')
            fields.push('generation', 'service-props', 'ttl', 'client-id', 'orphan-since');
          const known = Object.fromEntries(fields.filter((f) => right[f] !== undefined).map((f) => [f, right[f]]));
          expect(mine).toEqual(known);
        }
      }),
      { numRuns: 3000 },
    );
    expect(valid).toBeGreaterThan(300); // both outcomes are exercised
  });
});

/**
 * The snapshot decoder's fast path for the services (lib/replay/state-codec.ts `fastArray`): on any array of
 * service-like values it decodes exactly what io-ts decodes, and fails where io-ts fails, with the same errors.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import type * as t from 'io-ts';

import { servicesCodecs } from '../../lib/replay/state-codec';

/** A decoding's result with the codecs taken out of its errors (the paths, values and messages are compared). */
const plain = (r: t.Validation<unknown>): unknown =>
  E.isRight(r)
    ? { right: r.right }
    : {
        left: r.left.map((e) => ({ path: e.context.map((c) => c.key).join('.'), value: e.value, message: e.message })),
      };

const anyOf = <T>(...xs: Array<fc.Arbitrary<T>>): fc.Arbitrary<T> => fc.oneof(...xs);
const big = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n });
const props = anyOf<unknown>(
  fc.array(
    fc.tuple(fc.string({ maxLength: 3 }), fc.array(anyOf<unknown>(fc.string({ maxLength: 3 }), big), { maxLength: 3 })),
  ),
  fc.constantFrom<unknown>([['a']], [['a', 'b']], [[1n, []]], [['a', [1]]], [['a', [null]]], {}, 'x', null),
);
const field = <T>(valid: fc.Arbitrary<T>, ...invalid: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: valid }, fc.constantFrom(...invalid));
const service = fc
  .record(
    {
      id: field(big, 1, '1', null),
      generation: field(big, 1.5, 'x'),
      props,
      ttl: field(big, 30, undefined),
      orphanSince: field(anyOf<unknown>(fc.constant(null), fc.double(), big), 'NaN', 'Infinity', '-0', 'x', undefined),
      clientId: field(big, 7),
      user: field(fc.string({ maxLength: 4 }), 5n, null),
      record: field(
        anyOf<unknown>(fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), fc.nat()),
        -1n,
        2n ** 60n,
        1.5,
        -3,
        '1',
      ),
      extra: fc.constantFrom<unknown>(1, 'x'),
    },
    { requiredKeys: ['id', 'generation', 'props', 'ttl', 'clientId', 'user', 'record'] },
  )
  .map((o) => o as unknown);
const element = fc.oneof({ weight: 8, arbitrary: service }, fc.constantFrom<unknown>(null, 1, [], 'x'));

describe("the snapshot's services, decoded on the fast path", () => {
  it('are what io-ts decodes, and fail where it fails, with its errors (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 9, arbitrary: fc.array(element, { maxLength: 6 }) },
          fc.constantFrom<unknown>(null, {}, 'x'),
        ),
        (u) => {
          expect(plain(servicesCodecs.fast.decode(u))).toEqual(plain(servicesCodecs.plain.decode(u)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('converts as io-ts does: an integral time and a position from bigints to numbers', () => {
    const u = [
      {
        id: 1n,
        generation: 0n,
        props: [['a', ['x', 2n]]],
        ttl: 30n,
        orphanSince: 5n,
        clientId: 2n,
        user: 'u',
        record: 3n,
      },
    ];
    expect(servicesCodecs.fast.decode(u)).toEqual(
      E.right([
        {
          id: 1n,
          generation: 0n,
          props: [['a', ['x', 2n]]],
          ttl: 30n,
          orphanSince: 5,
          clientId: 2n,
          user: 'u',
          record: 3,
        },
      ]),
    );
  });
});

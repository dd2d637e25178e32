/** The number and settings codecs of the event log: what `parseJson` delivers (bigints for integers) decodes exactly. */
import * as E from 'fp-ts/Either';

import { Nat, Num, Settings } from '../../lib/replay/log-codecs';

const ok = <A>(r: E.Either<unknown, A>): A | 'invalid' => (E.isRight(r) ? r.right : 'invalid');

describe('log codecs', () => {
  it('Num: finite numbers, and integer bigints within the safe range', () => {
    expect(ok(Num.decode(1.5))).toBe(1.5);
    expect(ok(Num.decode(-3n))).toBe(-3);
    expect(ok(Num.decode(2n ** 60n))).toBe('invalid'); // would lose digits as a number
    expect(ok(Num.decode(Infinity))).toBe('invalid');
    expect(ok(Num.decode('1'))).toBe('invalid');
    expect([Num.is(2), Num.is(NaN), Num.is(2n)]).toEqual([true, false, false]);
    expect(Num.encode(2.5)).toBe(2.5);
  });

  it('Nat: non-negative safe integers, as bigints or numbers', () => {
    expect(ok(Nat.decode(7n))).toBe(7);
    expect(ok(Nat.decode(7))).toBe(7);
    expect(ok(Nat.decode(0n))).toBe(0);
    expect(ok(Nat.decode(-1n))).toBe('invalid');
    expect(ok(Nat.decode(-1))).toBe('invalid');
    expect(ok(Nat.decode(1.5))).toBe('invalid');
    expect(ok(Nat.decode(BigInt(Number.MAX_SAFE_INTEGER) + 1n))).toBe('invalid');
    expect([Nat.is(3), Nat.is(-3), Nat.is(3.5), Nat.is(3n)]).toEqual([true, false, false, false]);
    expect(Nat.encode(9)).toBe(9);
  });

  it('Settings: only settings a server can run with', () => {
    const good = {
      protocolMin: 2n,
      protocolMax: 3n,
      idleMin: 4n,
      idleMax: 30n,
      handshakeTimeout: 1.5,
      limits: { total: { clients: 10n }, user: {} },
    };
    expect(ok(Settings.decode(good))).toEqual({
      ...good,
      protocolMin: 2,
      protocolMax: 3,
      idleMin: 4,
      idleMax: 30,
      limits: { total: { clients: 10 }, user: {} },
    });
    for (const bad of [
      { ...good, protocolMin: 3n, protocolMax: 2n },
      { ...good, idleMin: 0n },
      { ...good, idleMax: 3n },
      { ...good, handshakeTimeout: 0 },
      { ...good, limits: { total: { clients: -1n }, user: {} } },
    ])
      expect(ok(Settings.decode(bad))).toBe('invalid');
  });
});

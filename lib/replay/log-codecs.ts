/**
 * io-ts codecs shared by the event-log line format (./event-codec.ts) and the state snapshot (./state-codec.ts):
 * numbers as `parseJson` delivers them (integer literals arrive as bigints) and the domain settings.
 *
 * @example
 * Nat.decode(7n); // right(7)
 * Settings.decode(parsedHeader.settings); // right({ protocolMin: 2, … })
 */
import * as t from 'io-ts';

/** A finite JSON number; integer literals arrive from `parseJson` as bigints. */
export const Num = new t.Type<number, number, unknown>(
  'number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u),
  (u, c) =>
    typeof u === 'number' && Number.isFinite(u)
      ? t.success(u)
      : typeof u === 'bigint' && Number.isSafeInteger(Number(u))
        ? t.success(Number(u))
        : t.failure(u, c),
  (a) => a,
);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** `u` as {@link Nat} decodes it, or `undefined` (for decoders that check many values without an `Either` each). */
export const natOf = (u: unknown): number | undefined =>
  typeof u === 'bigint'
    ? u >= 0n && u <= MAX_SAFE
      ? Number(u)
      : undefined
    : Number.isSafeInteger(u) && (u as number) >= 0
      ? (u as number)
      : undefined;
/** A non-negative safe integer (a bigint from `parseJson`, or already a number). */
export const Nat = new t.Type<number, number, unknown>(
  'natural',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= 0,
  (u, c) => {
    const n = natOf(u);
    return n === undefined ? t.failure(u, c) : t.success(n);
  },
  (a) => a,
);
export const Limits = t.partial({ clients: Nat, services: Nat, subscriptions: Nat });
/**
 * Settings a server can run with: positive idle limits and handshake timeout (with an idle limit of 0 the idle
 * timers would be due again at once, forever), a non-empty protocol range.
 */
export const Settings = t.refinement(
  t.type({
    protocolMin: Nat,
    protocolMax: Nat,
    idleMin: Num,
    idleMax: Num,
    handshakeTimeout: Num,
    limits: t.type({ total: Limits, user: Limits }),
  }),
  (s) => s.protocolMin <= s.protocolMax && s.idleMin > 0 && s.idleMax >= s.idleMin && s.handshakeTimeout > 0,
  'DomainSettings',
);

/**
 * Conversions between user-facing property objects and the wire {@link Props} maps.
 *
 * @example
 * toWireProps({ name: 'foo', port: 4711 }); // Map { name => ['foo'], port => [4711n] }
 * fromWireProps(new Map([['port', [4711n]]])); // { port: [4711n] }
 */
import { makeProps } from '../../codec/primitives';
import { PafArgumentError } from '../../errors';
import type { PropValue, Props } from '../../filter/props';
import type { ServiceProps } from '../../model';
import type { PropInput, PropsInput } from './types';

/**
 * Integer property values are kept to int64 (−2^63 … 2^63−1): pafd carries any size, but tpafd and libpaf read
 * integers as int64, and tpafd closes the connection of a client that sends a larger one (measured against
 * /work/shared/peers/sbin/tpafd: 2^63 and −2^63−1 close it, 2^63−1 and −2^63 are kept), so a client that published
 * one would reconnect and republish it forever on such a server.
 */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const toValue = (key: string, v: PropInput): PropValue => {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX)
      throw new PafArgumentError(
        `property '${key}': ${v} is out of the int64 range (−2^63 … 2^63−1) that Pathfinder servers and clients carry`,
      );
    return v;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new PafArgumentError(`property '${key}': ${String(v)} is neither a string nor a (safe) integer`);
};

/** Plain object → wire props (numbers must be safe integers, bigints int64, else PafArgumentError; duplicates collapse; empty arrays vanish). */
export const toWireProps = (input: PropsInput): Props => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new PafArgumentError('service properties must be an object of values or value arrays');
  return makeProps(
    Object.keys(input).map((k) => {
      const v = input[k]!;
      const list: readonly PropInput[] = Array.isArray(v) ? v : [v as PropInput];
      return [k, list.map((x) => toValue(k, x))] as const;
    }),
  );
};

/** Wire props → plain object of value arrays. */
export const fromWireProps = (p: Props): ServiceProps => Object.fromEntries([...p].map(([k, vs]) => [k, [...vs]]));

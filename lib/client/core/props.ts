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

const toValue = (key: string, v: PropInput): PropValue => {
  if (typeof v === 'string' || typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new PafArgumentError(`property '${key}': ${String(v)} is neither a string nor a (safe) integer`);
};

/** Plain object → wire props (numbers must be safe integers, else PafArgumentError; duplicates collapse; empty arrays vanish). */
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

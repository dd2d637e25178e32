/**
 * A fast path for reading big log lines (state snapshots, megabytes each): the built-in `JSON.parse`, with safe-integer
 * numbers turned into bigints afterwards, gives the same values as `parseJson` (integer literals as bigints) when
 * no integer literal in the text is too long to be exact as a double. Otherwise (or for invalid text) it returns
 * `undefined` and the caller parses the line the exact way.
 *
 * @example
 * parseJsonFast('{"id":5,"at":1.5}'); // { id: 5n, at: 1.5 }
 * parseJsonFast('{"id":9007199254740993}'); // undefined: not exact as a double
 */
import type { Json } from '../codec/json';

/** An integer literal of 16 digits or more (not the digits of a fraction or of a number with an exponent). */
const LONG_INTEGER = /(?<![\d.])\d{16,}(?![\d.eE])/;

const bigints = (v: unknown): Json => {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof v !== 'object' || v === null) return v as Json;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = bigints(v[i]);
    return v as Json;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) o[k] = bigints(o[k]);
  return o as Json;
};

/** The value of `text` as `parseJson` would read it, or `undefined` (use `parseJson`). */
export const parseJsonFast = (text: string): Json | undefined => {
  if (LONG_INTEGER.test(text)) return undefined;
  try {
    return bigints(JSON.parse(text));
  } catch {
    return undefined;
  }
};

/**
 * Field value codecs of §3.2: `Int>=0` (exact 63-bit, as bigint), `Number>=0`, `String` and `Props`.
 *
 * These decode {@link Json} values produced by `parseJson` (integers are bigints there), so a float literal such
 * as `1.0` can never pass where an integer is required, and JSON booleans are rejected as integers (decision A5).
 */
import * as t from 'io-ts';

import { intern, oneValue } from './intern';
import type { Json, JsonObject } from './json';
import { isProps } from '../filter/compact-props';
import type { PropValue, Props } from '../filter/props';
import { isUInt63 } from './values';

export { INT63_MAX, makeProps, propsEqual } from './values';

/** `Int>=0`: an integer literal in 0 … 2^63−1, as a bigint. */
export const UInt63 = new t.Type<bigint, bigint, unknown>(
  'Int>=0',
  isUInt63,
  (u, c) => (isUInt63(u) ? t.success(u) : t.failure(u, c)),
  (a) => a,
);
export type UInt63 = t.TypeOf<typeof UInt63>;

/** `Number>=0`: any JSON number ≥ 0 (integer literals arrive as bigints), decoded to a JS number. */
export const NonNegNumber = new t.Type<number, number, unknown>(
  'Number>=0',
  (u): u is number => typeof u === 'number' && u >= 0 && Number.isFinite(u),
  (u, c) =>
    typeof u === 'number' && u >= 0 && Number.isFinite(u)
      ? t.success(u)
      : typeof u === 'bigint' && u >= 0n
        ? t.success(Number(u))
        : t.failure(u, c),
  (a) => a,
);

/** `String`: pafd does not type-check strings; we require JSON strings (§3.4 recommends closing on anything else). */
export const Str = t.string;

const isPropValue = (v: unknown): v is PropValue => typeof v === 'string' || typeof v === 'bigint';

const isJsonObject = (u: unknown): u is JsonObject =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && !(u instanceof Map);

/** `Props` (§3.2): a JSON object whose values are arrays of strings and integers; decodes to a {@link Props} map. */
export const PropsCodec = new t.Type<Props, JsonObject, unknown>(
  'Props',
  isProps,
  (u, c) => {
    if (!isJsonObject(u)) return t.failure(u, c, 'props must be a JSON object');
    const m = new Map<string, PropValue[]>();
    for (const k of Object.keys(u)) {
      const vs = u[k];
      if (!Array.isArray(vs)) return t.failure(u, c, `value of prop '${k}' is not an array`);
      let list: PropValue[] | undefined;
      if (vs.length === 1 && isPropValue(vs[0])) {
        // kept by the service record: shared with other decodes of the same single value (./intern.ts)
        m.set(intern(k), oneValue(typeof vs[0] === 'string' ? intern(vs[0]) : vs[0]) as PropValue[]);
        continue;
      }
      for (const v of vs as readonly Json[]) {
        if (!isPropValue(v)) return t.failure(u, c, `value of prop '${k}' is not a string or an integer`);
        if (list === undefined) {
          list = [];
          m.set(intern(k), list); // kept by the service record: flat and shared (./intern.ts)
        }
        const own = typeof v === 'string' ? intern(v) : v;
        if (!list.includes(own)) list.push(own);
      }
    }
    return t.success(m);
  },
  (p) => {
    const o: Record<string, Json> = Object.create(null) as Record<string, Json>;
    for (const [k, vs] of p) o[k] = vs;
    return o;
  },
);

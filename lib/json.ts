import { PafArgumentError } from './errors';

/**
 * `toJson(value)`: JSON text of anything the library emits, losslessly. `bigint`s (ids, generations, integer
 * property values) are written as JSON integer literals, digit for digit, so 63-bit ids survive (read them back
 * with a lossless parser, e.g. `lossless-json`, or `JSON.parse` with a reviver that uses `context.source`). `Map`s
 * become objects (keys as strings) and `Set`s arrays; objects with `toJSON` (e.g. `Date`) use it; `undefined` and
 * functions are left out of objects and become `null` in arrays, as with `JSON.stringify`. A value that contains
 * itself (a cycle) has no JSON text: `toJson` throws {@link PafArgumentError} (code `PAF_INVALID_ARGUMENT`) naming
 * where the cycle closes, where `JSON.stringify` throws a plain `TypeError`. A value shared by two branches (no
 * cycle) is written twice.
 *
 * @example
 * toJson({ id: 9223372036854775807n, props: { port: [631n] } }); // '{"id":9223372036854775807,"props":{"port":[631]}}'
 * toJson([1n, 'a'], 2); // '[\n  1,\n  "a"\n]'
 */
export const toJson = (value: unknown, indent = 0): string => {
  const unit = indent > 0 ? ' '.repeat(indent) : '';
  try {
    return write(value, unit, '', undefined, 0) ?? 'null';
  } catch (e) {
    if (e !== TOO_DEEP) throw e;
    // deeper than anything the library emits: again, keeping the path, to tell a cycle from a deep value
    return write(value, unit, '', [], 0) ?? 'null';
  }
};

/** Nesting the fast pass (no cycle check) writes before it hands over to the pass that checks for cycles. */
const FAST_DEPTH = 64;

/** Thrown by the fast pass past {@link FAST_DEPTH} (never leaves `toJson`). */
const TOO_DEEP = new Error('toJson: nested deeper than the fast pass goes');

/** The objects being written, outermost first, with the key each was reached by (for the cycle error). */
type Path = Array<{ readonly value: object; readonly key: string }>;

const where = (path: Path): string =>
  path.length <= 1
    ? '(root)'
    : path
        .slice(1)
        .map((p) => p.key)
        .join('');

/** One value; `path` is undefined in the fast pass (only `depth` counted), kept in the checking pass. */
const write = (
  v: unknown,
  unit: string,
  pad: string,
  path: Path | undefined,
  depth: number,
  key = '',
  converted = false,
): string | undefined => {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (v === null || v === undefined) return v === null ? 'null' : undefined;
  if (path === undefined) {
    if (depth > FAST_DEPTH) throw TOO_DEEP;
  } else if (path.some((p) => p.value === v))
    throw new PafArgumentError(
      `toJson: the value is cyclic: ${where([...path, { value: v, key }])} refers back to an enclosing object`,
    );
  const o = v as { toJSON?: unknown };
  // as JSON.stringify: toJSON once, its result written as it is (a toJSON returning `this` gives the own fields)
  const r = !converted && typeof o.toJSON === 'function' ? (o.toJSON as () => unknown).call(v) : v;
  if (path === undefined)
    return r === v
      ? writeObject(v, unit, pad, undefined, depth + 1)
      : write(r, unit, pad, undefined, depth + 1, '', true);
  path.push({ value: v, key });
  try {
    return r === v ? writeObject(v, unit, pad, path, depth + 1) : write(r, unit, pad, path, depth + 1, '', true);
  } finally {
    path.pop();
  }
};

const writeObject = (v: object, unit: string, pad: string, path: Path | undefined, depth: number): string => {
  const inner = pad + unit;
  const nl = unit === '' ? '' : '\n';
  const join = (parts: string[], open: string, close: string): string =>
    parts.length === 0 ? open + close : open + nl + parts.map((p) => inner + p).join(',' + nl) + nl + pad + close;
  if (Array.isArray(v) || v instanceof Set)
    return join(
      [...(v as Iterable<unknown>)].map(
        (x, i) => write(x, unit, inner, path, depth, path === undefined ? '' : `[${i}]`) ?? 'null',
      ),
      '[',
      ']',
    );
  const entries: Iterable<readonly [unknown, unknown]> =
    v instanceof Map ? (v as Map<unknown, unknown>) : Object.entries(v);
  const parts: string[] = [];
  for (const [k, x] of entries) {
    const s = write(x, unit, inner, path, depth, path === undefined ? '' : `.${String(k)}`);
    if (s !== undefined) parts.push(JSON.stringify(String(k)) + (unit === '' ? ':' : ': ') + s);
  }
  return join(parts, '{', '}');
};

/**
 * `toJson(value)`: JSON text of anything the library emits, losslessly. `bigint`s (ids, generations, integer
 * property values) are written as JSON integer literals, digit for digit, so 63-bit ids survive (read them back
 * with a lossless parser, e.g. `lossless-json`, or `JSON.parse` with a reviver that uses `context.source`). `Map`s
 * become objects (keys as strings) and `Set`s arrays; objects with `toJSON` (e.g. `Date`) use it; `undefined` and
 * functions are left out of objects and become `null` in arrays, as with `JSON.stringify`.
 *
 * @example
 * toJson({ id: 9223372036854775807n, props: { port: [631n] } }); // '{"id":9223372036854775807,"props":{"port":[631]}}'
 * toJson([1n, 'a'], 2); // '[\n  1,\n  "a"\n]'
 */
export const toJson = (value: unknown, indent = 0): string =>
  write(value, indent > 0 ? ' '.repeat(indent) : '', '') ?? 'null';

const write = (v: unknown, unit: string, pad: string): string | undefined => {
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
  if (v === null) return 'null';
  const o = v as { toJSON?: unknown };
  if (typeof o.toJSON === 'function') return write((o.toJSON as () => unknown).call(v), unit, pad);
  const inner = pad + unit;
  const nl = unit === '' ? '' : '\n';
  const join = (parts: string[], open: string, close: string): string =>
    parts.length === 0 ? open + close : open + nl + parts.map((p) => inner + p).join(',' + nl) + nl + pad + close;
  if (Array.isArray(v) || v instanceof Set)
    return join(
      [...(v as Iterable<unknown>)].map((x) => write(x, unit, inner) ?? 'null'),
      '[',
      ']',
    );
  const entries: Iterable<readonly [unknown, unknown]> =
    v instanceof Map ? (v as Map<unknown, unknown>) : Object.entries(v as object);
  const parts: string[] = [];
  for (const [k, x] of entries) {
    const s = write(x, unit, inner);
    if (s !== undefined) parts.push(JSON.stringify(String(k)) + (unit === '' ? ':' : ': ') + s);
  }
  return join(parts, '{', '}');
};

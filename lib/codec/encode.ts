/**
 * Outbound encoding: a message object (wire field names, bigints for integers, a {@link Props} map for
 * `service-props`) → JSON text, keys in the object's insertion order (§3.1: `ta-cmd`, `ta-id`, `msg-type`, then the
 * fields in table order; handlers build messages in that order).
 *
 * Serialise once: the JSON of a `Props` map is cached by identity, so a notification fanned out to many subscribers
 * serialises the service's properties a single time.
 *
 * @example
 * encodeMessage({ 'ta-cmd': 'ping', 'ta-id': 7n, 'msg-type': 'complete' }) // '{"ta-cmd":"ping","ta-id":7,"msg-type":"complete"}'
 */
import type { Props } from '../filter/props';

const propsCache = new WeakMap<Props, string>();

/** JSON of a props map: every key maps to an array of its values (§3.2). */
export const encodeProps = (p: Props): string => {
  const hit = propsCache.get(p);
  if (hit !== undefined) return hit;
  let s = '{';
  let first = true;
  for (const [k, vs] of p) {
    if (!first) s += ',';
    first = false;
    s += JSON.stringify(k) + ':[';
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      if (i > 0) s += ',';
      s += typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
    }
    s += ']';
  }
  s += '}';
  propsCache.set(p, s);
  return s;
};

const encodeValue = (v: unknown): string => {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v instanceof Map) return encodeProps(v as Props);
      if (Array.isArray(v)) return '[' + v.map(encodeValue).join(',') + ']';
      if (v === null) return 'null';
      return encodeObject(v as Record<string, unknown>);
  }
};

const encodeObject = (o: Record<string, unknown>): string => {
  let s = '{';
  let first = true;
  for (const k in o) {
    const v = o[k];
    if (v === undefined) continue; // §3.1: absent optional fields are omitted, never sent as null
    if (!first) s += ',';
    first = false;
    s += JSON.stringify(k) + ':' + encodeValue(v);
  }
  return s + '}';
};

/** Encode one protocol message (either direction) as JSON text. */
export const encodeMessage = (m: object): string => encodeObject(m as Record<string, unknown>);

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
import { isProps } from '../filter/compact-props';
import type { Props } from '../filter/props';

const propsCache = new WeakMap<Props, string>();

/** `"key":` per field name (the names are the protocol's, a bounded set; the cap guards against anything else). */
const keyPrefix = new Map<string, string>();
const prefixOf = (k: string): string => {
  let p = keyPrefix.get(k);
  if (p === undefined) {
    p = JSON.stringify(k) + ':';
    if (keyPrefix.size < 1024) keyPrefix.set(k, p);
  }
  return p;
};

/**
 * A JSON string literal, exactly as `JSON.stringify` writes it: printable ASCII without a quote or a backslash needs
 * no escape (the common case: names, addresses, message types) and is quoted as it is; the rest goes to
 * `JSON.stringify`.
 */
const quote = (v: string): string => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(v);
  }
  return '"' + v + '"';
};

/**
 * JSON of a props map: every key maps to an array of its values (§3.2). Built as one flat string (`join`), not by
 * `+=`: the cache keeps it as long as the map lives (a service's lifetime), and a concatenated string would keep a
 * tree of a dozen pieces, several times the size of its characters (10,000 services: ~5 MB more heap).
 */
export const encodeProps = (p: Props): string => {
  const hit = propsCache.get(p);
  if (hit !== undefined) return hit;
  const parts: string[] = ['{'];
  for (const [k, vs] of p) {
    if (parts.length > 1) parts.push(',');
    parts.push(quote(k), ':[');
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i]!;
      if (i > 0) parts.push(',');
      parts.push(typeof v === 'bigint' ? v.toString() : quote(v));
    }
    parts.push(']');
  }
  parts.push('}');
  const s = parts.join('');
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
      return quote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (isProps(v)) return encodeProps(v);
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
    s += prefixOf(k) + encodeValue(v);
  }
  return s + '}';
};

/**
 * The last subscribe `notify` encoded: its fields after `ta-id` (names and values, the first `n` entries) and its
 * JSON. A change of one service is told to every concerned subscription in a row, in messages that differ only in
 * `ta-id`: each of them after the first is its own `ta-id` spliced before the text after the first one's `ta-id`
 * (`tail`, cut from `json` when first needed: a notify told to one subscription only costs no cut). One serialisation
 * per notification, not one per subscriber. Any difference in a name, a value (by identity) or the order encodes the
 * message afresh.
 */
const lastNotify: { names: string[]; values: unknown[]; n: number; json: string; tail: string | undefined } = {
  names: [],
  values: [],
  n: 0,
  json: '',
  tail: undefined,
};

const NOTIFY_HEAD = '{"ta-cmd":"subscribe","ta-id":';

/** The heads of the ta-ids below this are kept (a subscriber's ta-id is usually small: one of its first requests). */
const HEADS_KEPT = 4096;
/**
 * `{"ta-cmd":"subscribe","ta-id":<id>,` by ta-id, for the small ones: a fanned-out notify's head is then one array
 * read, not a bigint's conversion to text (a runtime call) and a concatenation per subscriber; the writer flattens
 * the string once, not at every notify. At most {@link HEADS_KEPT} short strings.
 */
const heads = new Array<string | undefined>(HEADS_KEPT);
/** The same heads as bytes (ASCII), for a writer that copies bytes faster than it converts a string. */
const headBytes = new Array<Uint8Array | undefined>(HEADS_KEPT);
const asciiBytes = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};
/** A spliced notify's head into `out` (`head`, and `headBytes` when kept). */
const headOf = (taId: bigint, out: EncodedParts): void => {
  // compared as a number (a bigint compared with a number is a call into the runtime): exact below 2^53, and a
  // larger ta-id converts to a number at least that big
  const i = Number(taId);
  if (i >= HEADS_KEPT || i < 0) {
    out.head = NOTIFY_HEAD + taId.toString() + ',';
    out.headBytes = undefined;
    return;
  }
  let head = heads[i];
  if (head === undefined) {
    head = heads[i] = NOTIFY_HEAD + String(i) + ',';
    headBytes[i] = asciiBytes(head);
  }
  out.head = head;
  out.headBytes = headBytes[i];
};

/**
 * A message's JSON text in two pieces, `head + tail` (see {@link encodeMessageParts}). `tail` is empty unless the
 * message is a subscribe notify spliced onto the previous one's text: then `head` is its start up to its `ta-id` and
 * the comma after it (ASCII: `{"ta-cmd":"subscribe","ta-id":<digits>,`), and `tail` the text the notifies of one change share (the same string while they follow each
 * other).
 */
export interface EncodedParts {
  head: string;
  tail: string;
  /** `head` as bytes, when the encoder has them at hand (a spliced notify's head for a small ta-id). */
  headBytes?: Uint8Array | undefined;
}

const whole = (out: EncodedParts, json: string): void => {
  out.head = json;
  out.tail = '';
  out.headBytes = undefined;
};

const notifyParts = (o: Record<string, unknown>, out: EncodedParts): void => {
  const taId = o['ta-id'];
  if (typeof taId !== 'bigint') return whole(out, encodeObject(o));
  const last = lastNotify;
  const { names, values } = last;
  let i = -2; // the first two fields must be ta-cmd and ta-id
  let same = true;
  // one pass: compared with the last notify's fields and recorded over them (it is encoded afresh if any differs)
  for (const k in o) {
    if (i < 0) {
      if (k !== (i === -2 ? 'ta-cmd' : 'ta-id')) return whole(out, encodeObject(o)); // (nothing recorded yet)
    } else {
      const v = o[k];
      if (same && (names[i] !== k || values[i] !== v)) same = false;
      names[i] = k;
      values[i] = v;
    }
    i++;
  }
  // (entries from `n` on are an older notify's: the same count decides they were not compared)
  if (same && i === last.n) {
    headOf(taId, out);
    // a notify has a msg-type after its ta-id, so the shared text is never empty
    last.tail ??= last.json.slice(last.json.indexOf(',', NOTIFY_HEAD.length) + 1);
    out.tail = last.tail;
    return;
  }
  last.n = -1; // (until the text is made: fields recorded for a message that failed to encode are never shared)
  const json = encodeObject(o);
  last.n = i;
  last.json = json;
  last.tail = undefined;
  whole(out, json);
};

/**
 * Encode one protocol message (either direction) as JSON text in two pieces, into `out`: for a writer that can
 * take the pieces as they are (a notification fanned out to 100 subscribers then joins no text per subscriber, and
 * its shared part can be converted to bytes once). `out.head + out.tail` is `encodeMessage(m)`.
 */
export const encodeMessageParts = (m: object, out: EncodedParts): void => {
  const o = m as Record<string, unknown>;
  const msgType = o['msg-type'];
  if (msgType === 'notify' && o['ta-cmd'] === 'subscribe') notifyParts(o, out);
  else whole(out, msgType === 'complete' || msgType === 'accept' ? replyText(o) : encodeObject(o));
};

/**
 * A reply of exactly `ta-cmd`, `ta-id`, `msg-type` in that order (every accept and complete: ping, publish,
 * unpublish, subscribe): its text is a kept start and end around the ta-id, `{"ta-cmd":"<cmd>","ta-id":` and
 * `,"msg-type":"<type>"}` (one piece each per command and type), not the general walk over its fields. Anything else
 * is encoded by the general walk.
 */
const replyText = (o: Record<string, unknown>): string => {
  let n = 0;
  for (const k in o) {
    if (k !== (n === 0 ? 'ta-cmd' : n === 1 ? 'ta-id' : n === 2 ? 'msg-type' : undefined)) return encodeObject(o);
    n++;
  }
  const cmd = o['ta-cmd'];
  const taId = o['ta-id'];
  const msgType = o['msg-type'] as string;
  if (n !== 3 || typeof cmd !== 'string' || typeof taId !== 'bigint') return encodeObject(o);
  let ends = replyEnds.get(cmd);
  if (ends === undefined) {
    if (replyEnds.size >= 64) return encodeObject(o); // (the protocol's commands are a dozen)
    ends = '{"ta-cmd":' + quote(cmd) + ',"ta-id":';
    replyEnds.set(cmd, ends);
  }
  return ends + taId.toString() + (msgType === 'complete' ? COMPLETE_END : ACCEPT_END);
};
/** `{"ta-cmd":"<cmd>","ta-id":` by command. */
const replyEnds = new Map<string, string>();
const COMPLETE_END = ',"msg-type":"complete"}';
const ACCEPT_END = ',"msg-type":"accept"}';

const scratch: EncodedParts = { head: '', tail: '', headBytes: undefined };

/** Encode one protocol message (either direction) as JSON text. */
export const encodeMessage = (m: object): string => {
  encodeMessageParts(m, scratch);
  const json = scratch.tail === '' ? scratch.head : scratch.head + scratch.tail;
  scratch.head = ''; // keeps no message alive
  return json;
};

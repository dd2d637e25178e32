/**
 * The fast path of inbound decoding (§3.3): one pass over the text of a well-formed client message, building the
 * decoded message directly (no intermediate JSON tree, no io-ts, integers of up to 15 digits without `BigInt(string)`).
 *
 * It accepts only what it can decide alone and returns `undefined` for everything else: then `decodeClientMessage`
 * runs the general path, which decides (and words every error) as before. So the fast path must never accept what
 * the general path refuses, nor decode anything differently; `spec/codec/fast.spec.ts` checks both paths against
 * each other. It gives up on: escapes or control characters in strings, numbers other than non-negative integer
 * literals, `true`/`false`/`null`, nesting other than `service-props`, a repeated key, an unknown key, a props key
 * that looks like an array index (the general path orders those first), and any missing or ill-typed field.
 */
import type { PropValue, Props } from '../filter/props';
import type { ClientMessage } from './messages';
import { INT63_MAX } from './primitives';

/** Value kinds of the fields a client message may carry. */
const STR = 1;
const INT = 2;
const PROPS = 3;
type Kind = typeof STR | typeof INT | typeof PROPS;

const FIELD_KIND: ReadonlyMap<string, Kind> = new Map<string, Kind>([
  ['ta-cmd', STR],
  ['ta-id', INT],
  ['msg-type', STR],
  ['client-id', INT],
  ['protocol-minimum-version', INT],
  ['protocol-maximum-version', INT],
  ['track-type', STR],
  ['subscription-id', INT],
  ['filter', STR],
  ['service-id', INT],
  ['generation', INT],
  ['service-props', PROPS],
  ['ttl', INT],
]);

/** Per `ta-cmd`/`msg-type`: the required fields (besides the header) and the optional ones (§5, messages.ts). */
interface Shape {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}
const shape = (required: readonly string[], optional: readonly string[] = []): Shape => ({ required, optional });
const SHAPES: ReadonlyMap<string, Shape> = new Map([
  ['hello/request', shape(['client-id', 'protocol-minimum-version', 'protocol-maximum-version'])],
  ['track/request', shape([])],
  ['track/inform', shape(['track-type'])],
  ['subscribe/request', shape(['subscription-id'], ['filter'])],
  ['unsubscribe/request', shape(['subscription-id'])],
  ['subscriptions/request', shape([])],
  ['services/request', shape([], ['filter'])],
  ['publish/request', shape(['service-id', 'generation', 'service-props', 'ttl'])],
  ['unpublish/request', shape(['service-id'])],
  ['ping/request', shape([])],
  ['clients/request', shape([])],
]);

/** Integers with at most this many digits are exact as doubles. */
const SAFE_DIGITS = 15;

/** Gives up: the general path decides. */
class GiveUp {}
const GIVE_UP = new GiveUp();

class FastParser {
  i = 0;
  constructor(private readonly s: string) {}

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  expect(c: number): void {
    if (this.s.charCodeAt(this.i) !== c) throw GIVE_UP;
    this.i++;
  }

  /** A string without escapes or control characters. */
  string(): string {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20 || c !== c) throw GIVE_UP; // escape, control character, end of text (NaN)
      i++;
    }
    this.i = i + 1;
    return s.slice(start, i);
  }

  /** A non-negative integer literal in 0 … 2^63−1 (not followed by a fraction or exponent). */
  int(): bigint {
    const s = this.s;
    const start = this.i;
    let i = start;
    let n = 0;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39 || c !== c) break;
      n = n * 10 + (c - 0x30);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || (digits > 1 && s.charCodeAt(start) === 0x30)) throw GIVE_UP;
    const next = s.charCodeAt(i);
    if (next === 0x2e || next === 0x65 || next === 0x45) throw GIVE_UP;
    this.i = i;
    if (digits <= SAFE_DIGITS) return BigInt(n);
    const b = BigInt(s.slice(start, i));
    if (b > INT63_MAX) throw GIVE_UP;
    return b;
  }

  /** `service-props`: an object of arrays of strings and integers, as `PropsCodec` decodes it. */
  props(): Props {
    const m = new Map<string, PropValue[]>();
    const seen = new Set<string>();
    this.expect(0x7b);
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return m;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) throw GIVE_UP;
      const k = this.string();
      if (seen.has(k) || isArrayIndex(k)) throw GIVE_UP;
      seen.add(k);
      this.ws();
      this.expect(0x3a);
      this.ws();
      this.expect(0x5b);
      this.ws();
      let list: PropValue[] | undefined;
      if (this.s.charCodeAt(this.i) === 0x5d) this.i++;
      else
        for (;;) {
          this.ws();
          const c = this.s.charCodeAt(this.i);
          const v: PropValue = c === 0x22 ? this.string() : this.int();
          if (list === undefined) {
            list = [v];
            m.set(k, list);
          } else if (!list.includes(v)) list.push(v);
          this.ws();
          const d = this.s.charCodeAt(this.i++);
          if (d === 0x5d) break;
          if (d !== 0x2c) throw GIVE_UP;
        }
      this.ws();
      const d = this.s.charCodeAt(this.i++);
      if (d === 0x7d) return m;
      if (d !== 0x2c) throw GIVE_UP;
    }
  }
}

/** Keys JavaScript orders first in an object (canonical array indices below 2^32 − 1). */
const isArrayIndex = (k: string): boolean => {
  const c = k.charCodeAt(0);
  if (c < 0x30 || c > 0x39 || k.length > 10) return false;
  if (c === 0x30) return k.length === 1;
  for (let i = 1; i < k.length; i++) {
    const d = k.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return Number(k) < 4294967295;
};

/** Decode a well-formed client message, or `undefined` if the general path must decide. */
export const decodeFast = (text: string): ClientMessage | undefined => {
  try {
    return parseMessage(text);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
};

const parseMessage = (text: string): ClientMessage | undefined => {
  const p = new FastParser(text);
  const o: Record<string, string | bigint | Props> = {};
  let fields = 0;
  p.ws();
  p.expect(0x7b);
  p.ws();
  if (text.charCodeAt(p.i) === 0x7d) return undefined;
  for (;;) {
    p.ws();
    if (text.charCodeAt(p.i) !== 0x22) return undefined;
    const k = p.string();
    const kind = FIELD_KIND.get(k);
    if (kind === undefined || o[k] !== undefined) return undefined;
    p.ws();
    p.expect(0x3a);
    p.ws();
    const c = text.charCodeAt(p.i);
    if (kind === STR) {
      if (c !== 0x22) return undefined;
      o[k] = p.string();
    } else if (kind === INT) o[k] = p.int();
    else o[k] = p.props();
    fields++;
    p.ws();
    const d = text.charCodeAt(p.i++);
    if (d === 0x7d) break;
    if (d !== 0x2c) return undefined;
  }
  p.ws();
  if (p.i !== text.length) return undefined;
  const cmd = o['ta-cmd'];
  const msgType = o['msg-type'];
  if (typeof cmd !== 'string' || typeof msgType !== 'string' || o['ta-id'] === undefined) return undefined;
  const sh = SHAPES.get(cmd + '/' + msgType);
  if (sh === undefined) return undefined;
  let known = 3;
  for (const f of sh.required) {
    if (o[f] === undefined) return undefined;
    known++;
  }
  for (const f of sh.optional) if (o[f] !== undefined) known++;
  if (known !== fields) return undefined; // a field this message does not have
  const tt = o['track-type'];
  if (tt !== undefined && tt !== 'query' && tt !== 'reply') return undefined;
  return o as unknown as ClientMessage;
};

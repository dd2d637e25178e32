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
import { CompactProps, type Slot } from '../filter/compact-props';
import type { PropValue, Props } from '../filter/props';
import type { ClientMessage } from './messages';
import { flatSlice, internAt, smallInt } from './intern';
import { INT63_MAX } from './values';

/** Value kinds of the fields a client message may carry. */
const STR = 1;
const INT = 2;
const PROPS = 3;
/** A string from a fixed list (given back as the list's own constant: no new string, and compared in place). */
const ENUM = 4;

/** The fields a client message may carry, by index; the first three are the header. */
const FIELDS = [
  'ta-cmd',
  'ta-id',
  'msg-type',
  'client-id',
  'protocol-minimum-version',
  'protocol-maximum-version',
  'track-type',
  'subscription-id',
  'filter',
  'service-id',
  'generation',
  'service-props',
  'ttl',
] as const;
const KIND = [ENUM, INT, ENUM, INT, INT, INT, ENUM, INT, STR, INT, INT, PROPS, INT] as const;
const [CMD, TA_ID, MSG_TYPE, CLIENT_ID, MIN_V, MAX_V, TRACK_TYPE, SUB_ID, FILTER, SERVICE_ID, GEN, PROPS_, TTL] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
] as const;
/**
 * The values an ENUM field may have on the fast path: commands, the message types a client sends, track types
 * (anything else is the general path's to refuse).
 */
const ENUMS: ReadonlyArray<readonly string[] | undefined> = [
  [
    'ping',
    'publish',
    'unpublish',
    'subscribe',
    'unsubscribe',
    'hello',
    'services',
    'subscriptions',
    'clients',
    'track',
  ],
  undefined,
  ['request', 'inform'],
  undefined,
  undefined,
  undefined,
  ['query', 'reply'],
];
/** Field indices by the length of their name. */
const BY_LENGTH: number[][] = [];
FIELDS.forEach((f, i) => (BY_LENGTH[f.length] ??= []).push(i));

type Value = string | bigint | Props | undefined;
type Build = (v: readonly Value[]) => ClientMessage;

/**
 * Per `ta-cmd`/`msg-type`: the fields besides the header (§5, messages.ts), and object literals for the field orders
 * clients send (header, then the fields in table order), so the usual message is built with one fixed shape; any
 * other order is built field by field in the order received, as the general path keeps it.
 */
interface Shape {
  readonly required: readonly number[];
  readonly optional: readonly number[];
  readonly literals: ReadonlyArray<readonly [order: readonly number[], build: Build]>;
}
const header = (v: readonly Value[]) => ({ 'ta-cmd': v[CMD], 'ta-id': v[TA_ID], 'msg-type': v[MSG_TYPE] });
const headerOnly: Shape = {
  required: [],
  optional: [],
  literals: [[[CMD, TA_ID, MSG_TYPE], (v) => header(v) as unknown as ClientMessage]],
};
const build = (f: (v: readonly Value[]) => object): Build => f as unknown as Build;
const SHAPES: ReadonlyMap<string, ReadonlyMap<string, Shape>> = new Map([
  [
    'hello',
    new Map([
      [
        'request',
        {
          required: [CLIENT_ID, MIN_V, MAX_V],
          optional: [],
          literals: [
            [
              [CMD, TA_ID, MSG_TYPE, CLIENT_ID, MIN_V, MAX_V],
              build((v) => ({
                'ta-cmd': v[CMD],
                'ta-id': v[TA_ID],
                'msg-type': v[MSG_TYPE],
                'client-id': v[CLIENT_ID],
                'protocol-minimum-version': v[MIN_V],
                'protocol-maximum-version': v[MAX_V],
              })),
            ],
          ],
        },
      ],
    ]),
  ],
  [
    'track',
    new Map([
      ['request', headerOnly],
      ['inform', { required: [TRACK_TYPE], optional: [], literals: [] }],
    ]),
  ],
  [
    'subscribe',
    new Map([
      [
        'request',
        {
          required: [SUB_ID],
          optional: [FILTER],
          literals: [
            [
              [CMD, TA_ID, MSG_TYPE, SUB_ID, FILTER],
              build((v) => ({
                'ta-cmd': v[CMD],
                'ta-id': v[TA_ID],
                'msg-type': v[MSG_TYPE],
                'subscription-id': v[SUB_ID],
                filter: v[FILTER],
              })),
            ],
            [
              [CMD, TA_ID, MSG_TYPE, SUB_ID],
              build((v) => ({
                'ta-cmd': v[CMD],
                'ta-id': v[TA_ID],
                'msg-type': v[MSG_TYPE],
                'subscription-id': v[SUB_ID],
              })),
            ],
          ],
        },
      ],
    ]),
  ],
  ['unsubscribe', new Map([['request', { required: [SUB_ID], optional: [], literals: [] }]])],
  ['subscriptions', new Map([['request', headerOnly]])],
  ['services', new Map([['request', { ...headerOnly, optional: [FILTER] }]])],
  [
    'publish',
    new Map([
      [
        'request',
        {
          required: [SERVICE_ID, GEN, PROPS_, TTL],
          optional: [],
          literals: [
            [
              [CMD, TA_ID, MSG_TYPE, SERVICE_ID, GEN, PROPS_, TTL],
              build((v) => ({
                'ta-cmd': v[CMD],
                'ta-id': v[TA_ID],
                'msg-type': v[MSG_TYPE],
                'service-id': v[SERVICE_ID],
                generation: v[GEN],
                'service-props': v[PROPS_],
                ttl: v[TTL],
              })),
            ],
          ],
        },
      ],
    ]),
  ],
  [
    'unpublish',
    new Map([
      [
        'request',
        {
          required: [SERVICE_ID],
          optional: [],
          literals: [
            [
              [CMD, TA_ID, MSG_TYPE, SERVICE_ID],
              build((v) => ({
                'ta-cmd': v[CMD],
                'ta-id': v[TA_ID],
                'msg-type': v[MSG_TYPE],
                'service-id': v[SERVICE_ID],
              })),
            ],
          ],
        },
      ],
    ]),
  ],
  ['ping', new Map([['request', headerOnly]])],
  ['clients', new Map([['request', headerOnly]])],
]);

/** Integers with at most this many digits are exact as doubles. */
const SAFE_DIGITS = 15;

/** Gives up: the general path decides. */
class GiveUp {}
const GIVE_UP = new GiveUp();

/**
 * Decoded `service-props` by their text, for a decoder that sees the same props again and again (a replay: every
 * republish of a service repeats its props): a two-way set-associative cache of `2 * sets` entries (`sets` a power
 * of two) by a hash of the characters, checked character by character. A hit gives back the same (read-only) props
 * object, without parsing or allocating; memory is at most `2 * sets` texts and their props.
 */
export class PropsCache {
  /** Per entry (`2 * set + way`): the text (flat), its props; per set, the way to replace next. */
  readonly texts: Array<string | undefined>;
  readonly props: Array<Props | undefined>;
  readonly next: Uint8Array;
  /** The flat text of the props last given by {@link get} or stored by {@link set} (for a second cache to share). */
  text: string | undefined;
  constructor(readonly sets = 16384) {
    this.texts = new Array<string | undefined>(2 * sets).fill(undefined);
    this.props = new Array<Props | undefined>(2 * sets).fill(undefined);
    this.next = new Uint8Array(sets);
  }

  /** The props of `s[start, end)` if cached (`hash`: of those characters). */
  get(s: string, start: number, end: number, hash: number): Props | undefined {
    const set = hash & (this.sets - 1);
    for (let e = 2 * set; e < 2 * set + 2; e++) {
      const known = this.texts[e];
      if (known === undefined || known.length !== end - start) continue;
      let j = 0;
      while (j < known.length && known.charCodeAt(j) === s.charCodeAt(start + j)) j++;
      if (j === known.length) {
        this.next[set] = (e & 1) ^ 1; // the other way goes first
        this.text = known;
        return this.props[e];
      }
    }
    return undefined;
  }

  set(s: string, start: number, end: number, hash: number, p: Props): void {
    const set = hash & (this.sets - 1);
    const e = 2 * set + this.next[set]!;
    this.next[set] = (e & 1) ^ 1;
    // flat, no reference to the message's text; a copy, not the engine's shared string: each service's props text
    // is usually its own (issue 15's log: the engine's string table took 4.5 % of a replay's CPU)
    this.texts[e] = this.text = flatSlice(s, start, end);
    this.props[e] = p;
  }
}

/**
 * The end (past the closing brace) of the props object starting at `start`, with a hash of its text; -1 if it
 * holds a nested object, an escape or a control character (the parser then decides, uncached).
 */
let propsHash = 0;
const propsEnd = (s: string, start: number): number => {
  let h = 0;
  let inString = false;
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h = (Math.imul(h, 31) + c) | 0;
    if (inString) {
      if (c === 0x22) inString = false;
      else if (c === 0x5c || c < 0x20) return -1;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7d) {
      propsHash = h ^ (h >>> 15);
      return i + 1;
    } else if (c === 0x7b) return -1;
  }
  return -1;
};

class FastParser {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly cache?: PropsCache,
  ) {}

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

  /** {@link string}, flat and shared (./intern.ts): for what a service record keeps. */
  interned(): string {
    const start = this.plain();
    return internAt(this.s, start, this.i - 1);
  }

  /** A string without escapes at the cursor (past its opening quote): its start; the cursor moves past it. */
  private plain(): number {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20 || c !== c) throw GIVE_UP;
      i++;
    }
    this.i = i + 1;
    return start;
  }

  /** A field name: its index in {@link FIELDS}, or -1. */
  key(): number {
    const start = this.plain();
    const candidates = BY_LENGTH[this.i - 1 - start];
    if (candidates !== undefined) for (const f of candidates) if (sameAt(this.s, start, FIELDS[f]!)) return f;
    return -1;
  }

  /** A string that is one of `words`: that word (the constant itself). */
  oneOf(words: readonly string[]): string {
    const start = this.plain();
    const n = this.i - 1 - start;
    for (const w of words) if (w.length === n && sameAt(this.s, start, w)) return w;
    throw GIVE_UP;
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
    if (digits <= SAFE_DIGITS) return smallInt(n);
    const b = BigInt(s.slice(start, i));
    if (b > INT63_MAX) throw GIVE_UP;
    return b;
  }

  /** `service-props`: an object of arrays of strings and integers, as `PropsCodec` decodes it. */
  props(): Props {
    const c = this.cache;
    if (c !== undefined) c.text = undefined;
    const start = this.i;
    const end = c === undefined || this.s.charCodeAt(start) !== 0x7b ? -1 : propsEnd(this.s, start);
    if (end < 0) return this.parseProps();
    const hit = c!.get(this.s, start, end, propsHash);
    if (hit !== undefined) {
      this.i = end;
      return hit;
    }
    // kept in the form the directory keeps (the same object): a publish of a new service stores this very object,
    // and a republish with the same props finds them identical by reference (no walk of the two maps, no new copy)
    const p = this.parseProps();
    c!.set(this.s, start, end, propsHash, p);
    return p;
  }

  /** Past this many keys, {@link parseProps} checks for a repeated key in a set rather than the list of keys. */
  private static readonly FEW_KEYS = 16;

  /**
   * `service-props` in the form the directory keeps ({@link CompactProps}; issue 15: a publish's props were allocated
   * three times over, as a `Map`, its lists and the arrays of a conversion), as `PropsCodec` decodes them: the same
   * keys, values, order and refusals. A single value is kept without a list; keys and string values are flat and
   * shared (./intern.ts).
   */
  private parseProps(): Props {
    const keys: string[] = [];
    const slots: Slot[] = [];
    /** The keys as a set, once there are too many for `keys.includes`; rarely made. */
    let many: Set<string> | undefined;
    /** Keys with an empty list (not kept), to refuse them repeated; rarely any. */
    let empty: string[] | undefined;
    this.expect(0x7b);
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return CompactProps.ofSlots(keys, slots);
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) throw GIVE_UP;
      const k = this.interned();
      if (many === undefined && keys.length >= FastParser.FEW_KEYS) many = new Set(keys);
      if ((many === undefined ? keys.includes(k) : many.has(k)) || empty?.includes(k) === true || isArrayIndex(k))
        throw GIVE_UP;
      this.ws();
      this.expect(0x3a);
      this.ws();
      this.expect(0x5b);
      this.ws();
      let first: PropValue | undefined;
      let list: PropValue[] | undefined;
      if (this.s.charCodeAt(this.i) === 0x5d) this.i++;
      else
        for (;;) {
          this.ws();
          const c = this.s.charCodeAt(this.i);
          const v: PropValue = c === 0x22 ? this.interned() : this.int();
          if (first === undefined) first = v;
          else if (list === undefined) {
            if (v !== first) list = [first, v];
          } else if (!list.includes(v)) list.push(v);
          this.ws();
          const d = this.s.charCodeAt(this.i++);
          if (d === 0x5d) break;
          if (d !== 0x2c) throw GIVE_UP;
        }
      if (first === undefined) (empty ??= []).push(k);
      else {
        keys.push(k);
        many?.add(k);
        slots.push(list ?? first);
      }
      this.ws();
      const d = this.s.charCodeAt(this.i++);
      if (d === 0x7d) return CompactProps.ofSlots(keys, slots);
      if (d !== 0x2c) throw GIVE_UP;
    }
  }
}

/** Whether `word` stands in `s` at `start` (the caller knows the lengths fit). */
const sameAt = (s: string, start: number, word: string): boolean => {
  for (let j = 0; j < word.length; j++) if (s.charCodeAt(start + j) !== word.charCodeAt(j)) return false;
  return true;
};

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
export const decodeFast = (text: string, cache?: PropsCache): ClientMessage | undefined => {
  try {
    return common(text, 0, text.length, cache, undefined) ?? parseMessage(text, cache);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
};

/**
 * The props last decoded per service id, for a decoder that sees each service published again and again (a replay):
 * a two-way set-associative table of `2 * sets` entries by the id. A publish whose props text is the one its service
 * had last time is given the same props object after one compare of the characters (no hash of the text, no
 * parse), and the same bigint for its service id. Memory: at most `2 * sets` texts and their props.
 */
export class ServicePropsCache {
  /**
   * Per entry (`2 * set + way`): the service id (-1: empty; past 15 digits the nearest double, and its digits in
   * `idTexts`), its bigint, its last props text (flat) and props.
   */
  readonly ids: Float64Array;
  readonly idTexts: Array<string | undefined>;
  readonly bigs: Array<bigint | undefined>;
  readonly texts: Array<string | undefined>;
  readonly props: Array<Props | undefined>;
  /** Per set, the way to replace next. */
  readonly next: Uint8Array;
  /** `sets`: a power of two, at most 2^20. */
  constructor(readonly sets = 16384) {
    this.ids = new Float64Array(2 * sets).fill(-1);
    this.idTexts = new Array<string | undefined>(2 * sets).fill(undefined);
    this.bigs = new Array<bigint | undefined>(2 * sets).fill(undefined);
    this.texts = new Array<string | undefined>(2 * sets).fill(undefined);
    this.props = new Array<Props | undefined>(2 * sets).fill(undefined);
    this.next = new Uint8Array(sets);
  }

  /** The first entry of the set of service `id`. */
  private setOf(id: number): number {
    const h = Math.imul((id >>> 0) ^ ((id / 4294967296) >>> 0), 0x9e3779b1);
    return ((h >>> 12) & (this.sets - 1)) << 1;
  }

  /** The entry of service `id`, or -1. */
  entry(id: number): number {
    const e = this.setOf(id);
    if (this.ids[e] === id) return e;
    if (this.ids[e + 1] === id) return e + 1;
    return -1;
  }

  /** Take an entry for service `id` (`idText`: its digits, past 15), replacing the set's older one. */
  claim(id: number, idText: string | undefined, big: bigint): number {
    const set = this.setOf(id) >>> 1;
    const e = 2 * set + this.next[set]!;
    this.next[set] = (e & 1) ^ 1;
    this.ids[e] = id;
    this.idTexts[e] = idText;
    this.bigs[e] = big;
    this.texts[e] = undefined;
    this.props[e] = undefined;
    return e;
  }
}

/** An integer {@link FastParser.int} reads as a double (at most {@link SAFE_DIGITS} digits, no leading zero). */
const INT15 = '(?:0|[1-9]\\d{0,14})';
/** A service id: up to 19 digits (clients draw them at random below 2^63), no leading zero. */
const INT19 = '(?:0|[1-9]\\d{0,18})';
/**
 * The common messages in the exact form clients (and the recorder) write them: fields in table order, no white
 * space, integers of at most 15 digits, props without nested braces or escapes. Sticky: matched at `lastIndex`
 * (a message inside a recorded line). A regular expression checks the fixed text several times faster than a loop
 * of `charCodeAt` compares; the values are then read at their known places.
 */
const PUBLISH_RE = new RegExp(
  `\\{"ta-cmd":"publish","ta-id":${INT15},"msg-type":"request","service-id":${INT19},"generation":${INT15},` +
    `"service-props":\\{[^{}\\\\]*\\},"ttl":${INT15}\\}`,
  'y',
);
const PING_RE = new RegExp(`\\{"ta-cmd":"ping","ta-id":${INT15},"msg-type":"request"\\}`, 'y');
const UNPUBLISH_RE = new RegExp(
  `\\{"ta-cmd":"unpublish","ta-id":${INT15},"msg-type":"request","service-id":${INT19}\\}`,
  'y',
);
/** The lengths of the fixed text before each value. */
const PUBLISH_TA = '{"ta-cmd":"publish","ta-id":'.length;
const PUBLISH_SERVICE = ',"msg-type":"request","service-id":'.length;
const PUBLISH_GENERATION = ',"generation":'.length;
const PUBLISH_PROPS = ',"service-props":'.length;
const PUBLISH_TTL = ',"ttl":'.length;
const PING_TA = '{"ta-cmd":"ping","ta-id":'.length;
const UNPUBLISH_TA = '{"ta-cmd":"unpublish","ta-id":'.length;

/** Whether `re` matches `s` at `start` exactly up to `end`. */
const matchesAt = (re: RegExp, s: string, start: number, end: number): boolean => {
  re.lastIndex = start;
  return re.test(s) && re.lastIndex === end;
};

/** The digits from `i` (checked by the caller's expression): their value; the cursor past them in {@link at}. */
let at = 0;
const digitsAt = (s: string, i: number): number => {
  let n = 0;
  let c = s.charCodeAt(i);
  while (c >= 0x30 && c <= 0x39) {
    n = n * 10 + (c - 0x30);
    c = s.charCodeAt(++i);
  }
  at = i;
  return n;
};

/** The entry of the service id {@link serviceIdAt} read last, or -1; its digits if past 15 (the double is not exact). */
let idEntry = -1;
let idText: string | undefined;
let idNumber = 0;

/**
 * The service id whose digits start at `i` (the expression checked them; the cursor past them in {@link at}): the
 * bigint its cache entry holds, or a new one (throws {@link GIVE_UP} past 2^63 − 1, as {@link FastParser.int}).
 */
const serviceIdAt = (s: string, i: number, services: ServicePropsCache | undefined): bigint => {
  const id = (idNumber = digitsAt(s, i));
  idText = at - i > SAFE_DIGITS ? s.slice(i, at) : undefined;
  const e = services?.entry(id) ?? -1;
  if (e >= 0 && services!.idTexts[e] === idText) {
    idEntry = e;
    return services!.bigs[e]!;
  }
  idEntry = -1;
  if (idText === undefined) return smallInt(id);
  const b = BigInt(idText);
  if (b > INT63_MAX) throw GIVE_UP;
  return b;
};

/**
 * The common messages (publish, unpublish and ping requests) in the exact form clients and the recorder write them,
 * read as one frame; the message text is `s[start, end)`. `undefined` for anything else, for {@link parseMessage} to
 * decide: it builds the same message for such a text (`spec/codec/fast.spec.ts`). May throw {@link GIVE_UP} (from
 * the props' parser: then the general path decides).
 */
const parseCommon = (
  s: string,
  start: number,
  end: number,
  cache: PropsCache | undefined,
  services: ServicePropsCache | undefined,
): ClientMessage | undefined => {
  const c = s.charCodeAt(start + 11); // the command's first letter: {"ta-cmd":"…
  if (c === 0x70 /* p */) {
    if (matchesAt(PUBLISH_RE, s, start, end)) return parsePublish(s, start, cache, services);
    if (!matchesAt(PING_RE, s, start, end)) return undefined;
    return {
      'ta-cmd': 'ping',
      'ta-id': smallInt(digitsAt(s, start + PING_TA)),
      'msg-type': 'request',
    };
  }
  if (c !== 0x75 /* u */ || !matchesAt(UNPUBLISH_RE, s, start, end)) return undefined;
  const ta = smallInt(digitsAt(s, start + UNPUBLISH_TA));
  const sid = serviceIdAt(s, at + PUBLISH_SERVICE, services);
  return { 'ta-cmd': 'unpublish', 'ta-id': ta, 'msg-type': 'request', 'service-id': sid };
};

/** {@link parseCommon}, `undefined` where it gives up. */
const common = (
  s: string,
  start: number,
  end: number,
  cache: PropsCache | undefined,
  services: ServicePropsCache | undefined,
): ClientMessage | undefined => {
  try {
    return parseCommon(s, start, end, cache, services);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
};

/** A publish {@link PUBLISH_RE} matched at `start`. */
const parsePublish = (
  s: string,
  start: number,
  cache: PropsCache | undefined,
  services: ServicePropsCache | undefined,
): ClientMessage => {
  const ta = smallInt(digitsAt(s, start + PUBLISH_TA));
  const sid = serviceIdAt(s, at + PUBLISH_SERVICE, services);
  let e = idEntry;
  const generation = smallInt(digitsAt(s, at + PUBLISH_GENERATION));
  const from = at + PUBLISH_PROPS;
  // (the props hold no brace but their own: the expression said so)
  const to = s.indexOf('}', from) + 1;
  let props: Props | undefined;
  if (e >= 0) {
    // the props this service had last time, if the text is the same
    const known = services!.texts[e];
    if (known !== undefined && known.length === to - from && s.slice(from, to) === known) props = services!.props[e];
  }
  if (props === undefined) {
    const p = new FastParser(s, cache);
    p.i = from;
    props = p.props();
    if (p.i !== to) throw GIVE_UP;
    if (services !== undefined) {
      if (e < 0) e = services.claim(idNumber, idText, sid);
      // flat, no reference to the line: the props cache's copy if it has one
      services.texts[e] = cache?.text ?? flatSlice(s, from, to);
      services.props[e] = props;
    }
  }
  const ttl = smallInt(digitsAt(s, to + PUBLISH_TTL));
  return {
    'ta-cmd': 'publish',
    'ta-id': ta,
    'msg-type': 'request',
    'service-id': sid,
    generation,
    'service-props': props,
    ttl,
  } as unknown as ClientMessage;
};

/**
 * {@link decodeFast} on the message text `s[start, end)` (a recorded line's), with a cache of props by service id
 * as well: the common messages are read without slicing their text.
 */
export const decodeFastAt = (
  s: string,
  start: number,
  end: number,
  cache: PropsCache,
  services: ServicePropsCache,
): ClientMessage | undefined => {
  try {
    return common(s, start, end, cache, services) ?? parseMessage(s.slice(start, end), cache);
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
};

const parseMessage = (text: string, cache?: PropsCache): ClientMessage | undefined => {
  const p = new FastParser(text, cache);
  const v: Value[] = [];
  const order: number[] = [];
  p.ws();
  p.expect(0x7b);
  p.ws();
  if (text.charCodeAt(p.i) === 0x7d) return undefined;
  for (;;) {
    p.ws();
    if (text.charCodeAt(p.i) !== 0x22) return undefined;
    const f = p.key();
    if (f < 0 || v[f] !== undefined) return undefined; // unknown or repeated
    p.ws();
    p.expect(0x3a);
    p.ws();
    const kind = KIND[f];
    if (kind === ENUM) {
      if (text.charCodeAt(p.i) !== 0x22) return undefined;
      v[f] = p.oneOf(ENUMS[f]!);
    } else if (kind === STR) {
      if (text.charCodeAt(p.i) !== 0x22) return undefined;
      v[f] = p.string();
    } else if (kind === INT) v[f] = p.int();
    else v[f] = p.props();
    order.push(f);
    p.ws();
    const d = text.charCodeAt(p.i++);
    if (d === 0x7d) break;
    if (d !== 0x2c) return undefined;
  }
  p.ws();
  if (p.i !== text.length) return undefined;
  const cmd = v[CMD];
  const msgType = v[MSG_TYPE];
  if (typeof cmd !== 'string' || typeof msgType !== 'string' || v[TA_ID] === undefined) return undefined;
  const sh = SHAPES.get(cmd)?.get(msgType);
  if (sh === undefined) return undefined;
  let known = 3;
  for (const f of sh.required) {
    if (v[f] === undefined) return undefined;
    known++;
  }
  for (const f of sh.optional) if (v[f] !== undefined) known++;
  if (known !== order.length) return undefined; // a field this message does not have
  const tt = v[TRACK_TYPE];
  if (tt !== undefined && tt !== 'query' && tt !== 'reply') return undefined;
  for (const [o, b] of sh.literals) if (sameOrder(o, order)) return b(v);
  const m: Record<string, Value> = {};
  for (const f of order) m[FIELDS[f]!] = v[f];
  return m as unknown as ClientMessage;
};

const sameOrder = (a: readonly number[], b: readonly number[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

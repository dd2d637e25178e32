/**
 * The event-log line format, one JSON document per line (NDJSON), readable with `jq`.
 *
 * Version 7 (written) adds the `closing` event (connections whose `closed` events the server folds later, a wave of
 * closes: lib/server/domain-loop.ts); it is replayed with the rules of version 6. Version 6 has the lines of
 * versions 2 to 5; it marks a log recorded with the close rule of lib/state/work.ts `CloseRule` 'close-first' (a
 * `closed` event expires no orphan). Version 5 marks the close rule
 * 'after-queued'. Version 4 marks a log recorded with work slices of 128 units. Version 3
 * marks a log recorded with sliced work (`work` events) of 512 units; logs of versions 1 and 2 replay with an
 * unlimited work budget ({@link LOG_VERSION}).
 *
 * Version 2: the version is carried by the `domain` header (and `snapshot`) lines; event and outbound
 * lines carry no constant fields (`d` is left out for domain 0, `(.d // 0)` in jq):
 *
 *   {"v":2,"kind":"domain","d":0,"name":"x","seed":42,"now":1700000000.5,"settings":{…},"outbound":true}
 *   {"seq":7,"at":1700000001.25,"type":"message","conn":1,"msg":{"ta-cmd":"ping",…}}
 *   {"seq":8,"d":1,"at":1700000001.5,"type":"tick"}
 *   {"out":1,"msg":{"ta-cmd":"ping","ta-id":3,"msg-type":"complete"}}
 *   {"v":2,"kind":"snapshot","d":0,"seq":6,"state":{"settings":{…},"now":1700000001.25,…}}
 *
 * Version 1 (still read; every line starts with `"v":1` and events nest their body in `e`):
 *
 *   {"v":1,"seq":7,"d":0,"at":1700000001.25,"e":{"type":"message","conn":1,"msg":{…}}}
 *   {"v":1,"kind":"out","d":0,"conn":1,"json":{…}}
 *
 * A `domain` header carries what a replay needs to rebuild the domain's initial state (settings, seed, start time);
 * `rotated: true` marks the repeated header at the top of a rotated file (the domain continues, it does not restart).
 * A `snapshot` holds a domain's whole state (./state-codec.ts) after every event up to `seq` (-1: none). Snapshots
 * follow the headers at the top of a rotated file and are written periodically (./record.ts); a periodic snapshot
 * may land a few lines after the event `seq` it follows (it is encoded across event-loop turns), and a replay that
 * already is past `seq` ignores it.
 *
 * Event kinds are a table ({@link EVENT_FIELDS}): adding a reducer input is one entry (its fields, in line order,
 * with their codecs). A `message` holds the decoded message in wire form (integers exact, re-decoded with
 * `decodeClientMessage` exactly as the server decoded it). Outbound lines hold the message text as sent.
 *
 * Decoding has a fast path for the lines the recorder writes (the message text is sliced out of the line and decoded
 * once; outbound text is kept as is) and falls back to the strict parser + io-ts codecs for anything else, which
 * also names what is wrong with a bad line.
 *
 * @example
 * const line = encodeEventLine(3, 0, { type: 'tick', now: 1000.5 }); // '{"seq":3,"at":1000.5,"type":"tick"}'
 * decodeLine(line); // right({ kind: 'event', seq: 3, d: 0, event: { type: 'tick', now: 1000.5 } })
 */
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';

import { decodeClientMessage, decodeGeneral } from '../codec/decode';
import { decodeFastAt, PropsCache, ServicePropsCache } from '../codec/fast';
import { encodeMessage } from '../codec/encode';
import { parseJson, stringifyJson, type Json } from '../codec/json';
import type { ClientMessage } from '../codec/messages';
import type { Event } from '../state/events';
import type { DomainSettings, DomainState, ResourceLimits } from '../state/model';
import { parseJsonFast } from './fast-json';
import { Nat, Num, Settings } from './log-codecs';
import { encodeDomainState, decodeDomainState } from './state-codec';

/**
 * The schema version written. Versions 1 to 9 are read. Version 9 has version 8's lines and marks the close rule
 * 'gradual-compaction' (the directory's services and a record's services compacted gradually once half their
 * positions are holes, lib/state/compaction.ts; before it, at once). Version 8 has version 7's lines and marks the close rule
 * 'sliced-unsubscribe' (a closed connection's subscriptions, when it held at least 512, removed in slices by `work`
 * events; the snapshot's `work` may hold an `unsubscribe` job). Version 7 adds the `closing` event to version 6's
 * lines and is replayed by version 6's rules. Versions 3 to 6 have the same lines as version 2; they mark
 * logs recorded with sliced work (`work` events, lib/state/work.ts): version 3 with slices of 512 units per event,
 * versions 4 to 8 with the current `SLICE` of lib/state/work.ts (128); version 5 with the close rule 'after-queued'
 * (a small close is orphaned at once only when no work is queued; before it, 'at-once': see `CloseRule`), version 6
 * with 'close-first' (a `closed` event is folded before the deadlines due and expires no orphan). A log of version 1
 * or 2 holds no `work` events, so it is replayed with an unlimited work budget per event (every event finishes its
 * work, as the server then did). The budget decides what each event does, so a log replays exactly only with the
 * budget it was recorded with.
 */
export const LOG_VERSION = 9;

/** What a replay needs to rebuild a domain's initial state. */
export interface DomainInfo {
  readonly name?: string;
  readonly settings: DomainSettings;
  readonly seed: number;
  readonly now: number;
}
export interface HeaderRecord extends DomainInfo {
  readonly kind: 'domain';
  /** The schema version of the log (see {@link LOG_VERSION}). */
  readonly version: number;
  readonly d: number;
  readonly outbound: boolean;
  readonly rotated: boolean;
}
export interface EventRecord {
  readonly kind: 'event';
  readonly seq: number;
  readonly d: number;
  readonly event: Event;
  /** A `message` event's text as recorded (what `encodeMessage` gives), when the fast path decoded the line. */
  readonly text?: string;
}
export interface OutRecord {
  readonly kind: 'out';
  readonly d: number;
  readonly conn: number;
  /** The message's JSON text as recorded (compare with {@link sameJson}). */
  readonly json: string;
  /**
   * Set by {@link decodeOutFrame}: the whole line, whose message text was not parsed. A text equal to the one
   * replayed is valid; any other is checked with `decodeLine(unchecked)`, which says what is wrong with the line.
   */
  readonly unchecked?: string;
}
/** A domain's whole state after every event up to `seq`. */
export interface SnapshotRecord {
  readonly kind: 'snapshot';
  readonly d: number;
  /** The last event seq written before the state was taken (-1 if none). */
  readonly seq: number;
  readonly state: DomainState;
}
export type LogRecord = HeaderRecord | EventRecord | OutRecord | SnapshotRecord;

// ---------------------------------------------------------------------------------------------------------------
// the event table

/** A client message in wire form, decoded exactly as the server decoded it. */
const WireMessage = new t.Type<ClientMessage, Json, unknown>(
  'ClientMessage',
  (u): u is ClientMessage => typeof u === 'object' && u !== null && 'ta-cmd' in u,
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'message is not a JSON object');
    const r = decodeClientMessage(stringifyJson(u as Json));
    return E.isRight(r) ? t.success(r.right) : t.failure(u, c, r.left.reason);
  },
  (m) => E.getOrElse<string, Json>(() => null)(parseJson(encodeMessage(m))),
);

/** How one field of an event is written (JSON text) and read (io-ts codec). */
interface Field {
  readonly codec: t.Mixed;
  readonly write: (v: never) => string;
}
const str: Field = { codec: t.string, write: (v: string) => JSON.stringify(v) };
const nat: Field = { codec: Nat, write: (v: number) => String(v) };
const oneOf = (...names: string[]): Field => ({
  codec: t.keyof(Object.fromEntries(names.map((n) => [n, null]))),
  write: (v: string) => JSON.stringify(v),
});
const nats: Field = { codec: t.array(Nat), write: (v: readonly number[]) => `[${v.join(',')}]` };
const msg: Field = { codec: WireMessage, write: (v: ClientMessage) => encodeMessage(v) };

type Kind = Event['type'];
type FieldsOf<K extends Kind> = Exclude<keyof Extract<Event, { type: K }>, 'type' | 'now'>;

/**
 * Every reducer input and its fields in line order (all but `type` and `now`, which is the line's `at`). The
 * `message` event must end with its `msg` field (the fast decoding path slices it out of the line).
 */
export const EVENT_FIELDS: { readonly [K in Kind]: { readonly [F in FieldsOf<K>]: Field } } = {
  accepted: { conn: nat, address: str, user: str, transport: oneOf('tcp', 'tls', 'ux', 'uxf') },
  message: { conn: nat, msg },
  malformed: { conn: nat, reason: str },
  closed: { conn: nat, cause: oneOf('eof', 'transport-error', 'shutdown', 'slow-consumer') },
  closing: { conns: nats },
  'output-blocked': { conn: nat },
  'output-drained': { conn: nat },
  tick: {},
  work: {},
};
const KINDS = Object.keys(EVENT_FIELDS) as Kind[];
const fieldsOf = (k: Kind): ReadonlyArray<readonly [string, Field]> =>
  Object.entries(EVENT_FIELDS[k] as Readonly<Record<string, Field>>);

const bodyCodec = (k: Kind): t.Mixed =>
  t.type({ type: t.literal(k), ...Object.fromEntries(fieldsOf(k).map(([n, f]) => [n, f.codec])) });
/** The union of the event bodies, typed as an event without its time (io-ts cannot infer it from the table). */
const union = (cs: t.Mixed[]): t.Type<Omit<Event, 'now'>, unknown> =>
  cs.length === 1 ? cs[0]! : t.union(cs as [t.Mixed, t.Mixed, ...t.Mixed[]]);
/** Version 1: `{v, seq, d, at, e: {type, …fields}}`. */
const EventLineV1 = t.type({ seq: Nat, d: Nat, at: Num, e: union(KINDS.map(bodyCodec)) });
/** Version 2: `{seq, d?, at, type, …fields}`. */
const EventLineV2 = t.intersection([t.type({ seq: Nat, at: Num }), t.partial({ d: Nat }), union(KINDS.map(bodyCodec))]);

// ---------------------------------------------------------------------------------------------------------------
// the other line kinds

const HeaderLine = t.intersection([
  t.type({ kind: t.literal('domain'), d: Nat, seed: Nat, now: Num, settings: Settings }),
  t.partial({ name: t.string, outbound: t.boolean, rotated: t.boolean }),
]);
const OutLineV1 = t.type({ kind: t.literal('out'), d: Nat, conn: Nat, json: t.UnknownRecord });
const OutLineV2 = t.intersection([t.type({ out: Nat, msg: t.UnknownRecord }), t.partial({ d: Nat })]);
/** An integer ≥ -1 (a snapshot's `seq`: -1 before any event). */
const SeqOrNone = new t.Type<number, number, unknown>(
  'seq',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= -1,
  (u, c) =>
    typeof u === 'bigint' && u >= -1n && u <= BigInt(Number.MAX_SAFE_INTEGER) ? t.success(Number(u)) : t.failure(u, c),
  (a) => a,
);
const SnapshotLine = t.type({ kind: t.literal('snapshot'), d: Nat, seq: SeqOrNone, state: t.UnknownRecord });

// ---------------------------------------------------------------------------------------------------------------
// encoding

const num = (n: number): string => (Number.isFinite(n) ? JSON.stringify(n) : 'null');
const limitsJson = (l: ResourceLimits): string =>
  '{' +
  (['clients', 'services', 'subscriptions'] as const)
    .filter((k) => l[k] !== undefined)
    .map((k) => `"${k}":${num(l[k]!)}`)
    .join(',') +
  '}';
const dField = (d: number): string => (d === 0 ? '' : `,"d":${d}`);

/** The header line of a domain. */
export const encodeHeaderLine = (
  d: number,
  info: DomainInfo,
  flags: { outbound?: boolean; rotated?: boolean } = {},
): string => {
  const s = info.settings;
  const settings =
    `{"protocolMin":${num(s.protocolMin)},"protocolMax":${num(s.protocolMax)},"idleMin":${num(s.idleMin)},` +
    `"idleMax":${num(s.idleMax)},"handshakeTimeout":${num(s.handshakeTimeout)},` +
    `"limits":{"total":${limitsJson(s.limits.total)},"user":${limitsJson(s.limits.user)}}}`;
  const name = info.name !== undefined ? `,"name":${JSON.stringify(info.name)}` : '';
  return (
    `{"v":${LOG_VERSION},"kind":"domain","d":${d}${name},"seed":${num(info.seed)},"now":${num(info.now)},"settings":${settings}` +
    `${flags.outbound === true ? ',"outbound":true' : ''}${flags.rotated === true ? ',"rotated":true' : ''}}`
  );
};

/** The line of one event. */
export const encodeEventLine = (seq: number, d: number, e: Event): string => {
  let s = `{"seq":${seq}${dField(d)},"at":${num(e.now)},"type":"${e.type}"`;
  const fields = EVENT_FIELDS[e.type] as Readonly<Record<string, Field>>;
  for (const k in fields) s += `,"${k}":${fields[k]!.write((e as unknown as Record<string, never>)[k]!)}`;
  return s + '}';
};

/** The line of one outbound message (`json` as sent). */
export const encodeOutLine = (d: number, conn: number, json: string): string =>
  `{"out":${conn}${dField(d)},"msg":${json}}`;

/** The start of a snapshot line, up to the state's JSON (for writing a snapshot in pieces). */
export const snapshotLinePrefix = (d: number, seq: number): string =>
  `{"v":${LOG_VERSION},"kind":"snapshot","d":${d},"seq":${seq},"state":`;

/** The snapshot line of a domain's state after every event up to `seq` (-1: none yet). */
export const encodeSnapshotLine = (d: number, seq: number, state: DomainState): string =>
  `${snapshotLinePrefix(d, seq)}${stringifyJson(encodeDomainState(state))}}`;

/** Whether two JSON texts are the same message (same values, same key order). */
export const sameJson = (a: string, b: string): boolean => a === b || canonicalJson(a) === canonicalJson(b);

/** Canonical text of a JSON message, for comparing recorded and replayed messages. */
export const canonicalJson = (json: string): string => {
  const p = parseJson(json);
  return E.isRight(p) ? stringifyJson(p.right) : json;
};

// ---------------------------------------------------------------------------------------------------------------
// decoding

const describe = (errors: t.Errors): string => {
  const e = errors[0];
  if (e === undefined) return 'invalid record';
  const path = e.context
    .map((c) => c.key)
    .filter((k) => k !== '' && !/^\d+$/.test(k))
    .join('.');
  return `invalid '${path}'${e.message !== undefined ? `: ${e.message}` : ''}`;
};

const isObject = (u: Json): u is { readonly [k: string]: Json } =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/** A pattern's groups made non-capturing (for a test that reads no groups). */
const bare = (p: string): string => p.replace(/\((?!\?)/g, '(?:');
const NUM = '(-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)';
const INT = '(0|[1-9]\\d{0,15})';
/** The start of a message event line as the recorder writes it (v2, v1), up to the message text. */
const FAST_MESSAGE_V2 = new RegExp(
  `^\\{"seq":${INT}(?:,"d":${INT})?,"at":${NUM},"type":"message","conn":${INT},"msg":`,
);
const FAST_MESSAGE_V1 = new RegExp(
  `^\\{"v":1,"seq":${INT},"d":${INT},"at":${NUM},"e":\\{"type":"message","conn":${INT},"msg":`,
);
const FAST_OUT_V2 = new RegExp(`^\\{"out":${INT}(?:,"d":${INT})?,"msg":\\{`);
const FAST_OUT_V1 = new RegExp(`^\\{"v":1,"kind":"out","d":${INT},"conn":${INT},"json":\\{`);

const safe = (s: string | undefined): number | undefined => {
  if (s === undefined) return 0;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
};
/** A time as the strict path reads it: integer literals must be safe integers. */
const time = (s: string): number | undefined => {
  const n = Number(s);
  if (!Number.isFinite(n)) return undefined;
  return /^-?\d+$/.test(s) && !Number.isSafeInteger(n) ? undefined : n;
};

/**
 * Props of recorded messages seen before, by their text: a log repeats a service's props at every republish (the
 * storm of the benchmark: every line's props were seen before), and a hit costs no parse and no allocation. At most
 * 65,536 entries (32,768 sets of two: with 16,384 the benchmark's 10,000 services missed 13 % of the time, three
 * or more of them falling in one set; a few MB more for a log of more services).
 */
const REPLAYED_PROPS = new PropsCache(1 << 15);
/**
 * The props each service was last published with, by its id (as many entries): a republish with the same props (the
 * storm of the benchmark) costs one compare of the text, no hash of it and no look-up by it.
 */
const REPLAYED_SERVICES = new ServicePropsCache(1 << 15);

/**
 * The recorder's common lines without the generic parser; `undefined`: take the strict path ({@link decodeLine},
 * which decides every line; this one never accepts what it refuses nor decodes anything differently). `keepText`
 * false: a v2 message event's record has no `text` (a reader that does not use it keeps no view of the line).
 */
export const fastDecode = (line: string, keepText = true): LogRecord | undefined => {
  const c1 = line.charCodeAt(2);
  if (c1 === 0x73 /* s(eq) */) {
    const r = fastMessageV2(line, keepText);
    if (r !== undefined) return r;
  }
  if (c1 === 0x73 /* s(eq) */ || c1 === 0x76 /* v */) {
    const v1 = c1 === 0x76;
    const m = (v1 ? FAST_MESSAGE_V1 : FAST_MESSAGE_V2).exec(line);
    if (m === null) return undefined;
    const close = v1 ? '}}' : '}'; // the message's own brace ends the text
    if (!line.endsWith(close)) return undefined;
    const seq = safe(m[1]);
    const d = safe(m[2]);
    const at = time(m[3]!);
    const conn = safe(m[4]);
    if (seq === undefined || d === undefined || at === undefined || conn === undefined) return undefined;
    const text = line.slice(m[0].length, line.length - close.length);
    const r = decodeClientMessage(text, REPLAYED_PROPS);
    if (E.isLeft(r)) return undefined;
    return { kind: 'event', seq, d, event: { type: 'message', now: at, conn, msg: r.right }, text };
  }
  if (c1 === 0x6f /* o(ut) */ || line.startsWith('{"v":1,"kind":"out"')) {
    const v1 = c1 !== 0x6f;
    const m = (v1 ? FAST_OUT_V1 : FAST_OUT_V2).exec(line);
    if (m === null || !line.endsWith('}}')) return undefined;
    const [conn, d] = v1 ? [safe(m[2]), safe(m[1])] : [safe(m[1]), safe(m[2])];
    if (conn === undefined || d === undefined) return undefined;
    const json = line.slice(m[0].length - 1, line.length - 1);
    try {
      JSON.parse(json); // only well-formed text (the strict path reports the rest)
    } catch {
      return undefined;
    }
    return { kind: 'out', d, conn, json };
  }
  return undefined;
};

/** `{"seq":`, `,"d":`, `,"at":`, `,"type":"message","conn":`, `,"msg":` */
const SEQ_OPEN = '{"seq":';
const D_FIELD = ',"d":';
const AT_FIELD = ',"at":';
const MESSAGE_CONN = ',"type":"message","conn":';

/** Where an `INT` (`0`, or 1 to 16 digits not starting with 0) at `i` ends, or -1; its value in `intValue`. */
let intValue = 0;
const intAt = (s: string, i: number): number => {
  let c = s.charCodeAt(i);
  if (c === 0x30) {
    intValue = 0;
    return i + 1;
  }
  let n = 0;
  let j = i;
  while (j - i < 16 && c >= 0x30 && c <= 0x39) {
    n = n * 10 + (c - 0x30);
    c = s.charCodeAt(++j);
  }
  // 16 digits may be past 2^53, where the sum above could round differently from `Number`
  intValue = j - i < 16 ? n : Number(s.slice(i, j));
  return j === i ? -1 : j;
};

/** Whether the last `NUM` read by {@link numAt} was an integer literal (no fraction, no exponent). */
let numIsInt = true;
/** Where a `NUM` at `i` ends (the JSON number grammar), or -1. */
const numAt = (s: string, i: number): number => {
  numIsInt = true;
  const digits = (k: number): number => {
    let j = k;
    for (let c = s.charCodeAt(j); c >= 0x30 && c <= 0x39; c = s.charCodeAt(++j));
    return j;
  };
  let j = i;
  if (s.charCodeAt(j) === 0x2d) j++;
  if (s.charCodeAt(j) === 0x30) j++;
  else {
    const k = digits(j);
    if (k === j || s.charCodeAt(j) === 0x30) return -1;
    j = k;
  }
  if (s.charCodeAt(j) === 0x2e) {
    const k = digits(j + 1);
    if (k === j + 1) return -1;
    j = k;
    numIsInt = false;
  }
  const e = s.charCodeAt(j);
  if (e === 0x65 || e === 0x45) {
    numIsInt = false;
    let k = j + 1;
    const sign = s.charCodeAt(k);
    if (sign === 0x2b || sign === 0x2d) k++;
    const end = digits(k);
    if (end === k) return -1;
    j = end;
  }
  return j;
};

/**
 * The frame of a v2 event line as the recorder writes it ({@link FAST_MESSAGE_V2}'s, or a `tick`/`work` line), up to
 * the message text. Sticky, at 0: one regular expression checks the fixed text several times faster than compares
 * of `charCodeAt`; the values are then read at their known places.
 */
const FRAME_V2 = new RegExp(
  `\\{"seq":${bare(INT)}(?:,"d":${bare(INT)})?,"at":${bare(NUM)},"type":"(?:message","conn":${bare(INT)},"msg":|` +
    `tick"\\}$|work"\\}$)`,
  'y',
);

/** Powers of ten exact as doubles (up to 10^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The time written at `line[i, end)` (a `NUM`), as `Number` reads it: a decimal of at most 15 digits without an
 * exponent is its digits (an exact integer) divided by a power of ten (exact), which IEEE division rounds as
 * `Number` does (correctly); anything else is given to `Number`.
 */
const timeAt = (line: string, i: number, end: number): number => {
  let j = i;
  const neg = line.charCodeAt(j) === 0x2d;
  if (neg) j++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; j < end; j++) {
    const c = line.charCodeAt(j);
    if (c === 0x2e) frac = 0;
    else if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      if (frac >= 0) frac++;
    } else return Number(line.slice(i, end)); // an exponent
  }
  if (digits > 15) return Number(line.slice(i, end));
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
};

/**
 * A v2 message event line as the recorder writes it ({@link FAST_MESSAGE_V2}'s frame, the same values), read
 * without a match array and without strings for the numbers. `undefined`: take the next path.
 */
const fastMessageV2 = (line: string, keepText: boolean): LogRecord | undefined => {
  FRAME_V2.lastIndex = 0;
  if (line.charCodeAt(line.length - 1) !== 0x7d || !FRAME_V2.test(line)) return undefined;
  const msgStart = FRAME_V2.lastIndex;
  let i = intAt(line, SEQ_OPEN.length);
  const seq = intValue;
  let d = 0;
  if (line.charCodeAt(i + 2) === 0x64 /* ,"d" */) {
    i = intAt(line, i + D_FIELD.length);
    d = intValue;
  }
  const atStart = i + AT_FIELD.length;
  i = numAt(line, atStart);
  const at = timeAt(line, atStart, i);
  // (as `time`: an integer literal must be a safe integer)
  if (!Number.isFinite(at) || (numIsInt && !Number.isSafeInteger(at))) return undefined;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(d)) return undefined;
  if (msgStart === line.length) {
    // a timer tick or a slice of work: no field but the time (every tenth line of a busy log)
    const bare = line.charCodeAt(i + 9) === 0x74 /* t(ick) */ ? 'tick' : 'work';
    return { kind: 'event', seq, d, event: { type: bare, now: at } };
  }
  intAt(line, i + MESSAGE_CONN.length);
  const conn = intValue;
  if (!Number.isSafeInteger(conn)) return undefined;
  // (the fast path without its `Either`, on the line itself; the general one decides the rest)
  let msg = decodeFastAt(line, msgStart, line.length - 1, REPLAYED_PROPS, REPLAYED_SERVICES);
  if (msg === undefined) {
    const r = decodeGeneral(line.slice(msgStart, line.length - 1));
    if (E.isLeft(r)) return undefined;
    msg = r.right;
  }
  const event: Event = { type: 'message', now: at, conn, msg };
  // (the text is a view of the line: a record kept for long keeps the whole line, unless it is left out)
  return keepText
    ? { kind: 'event', seq, d, event, text: line.slice(msgStart, line.length - 1) }
    : { kind: 'event', seq, d, event };
};

/**
 * Whether a line is a v2 outbound line as the recorder writes it, by its frame only (the message text is not
 * parsed): for replays that do not look at outbound messages (they skip such lines; anything else is decoded).
 */
export const isOutLineFrame = (line: string): boolean =>
  line.charCodeAt(2) === 0x6f /* o(ut) */ && line.endsWith('}}') && FAST_OUT_V2.test(line);

/** `{"out":` */
const OUT_OPEN = [0x7b, 0x22, 0x6f, 0x75, 0x74, 0x22, 0x3a];
/** `,"d":` */
const OUT_D = [0x2c, 0x22, 0x64, 0x22, 0x3a];
/** `,"msg":{` */
const OUT_MSG = [0x2c, 0x22, 0x6d, 0x73, 0x67, 0x22, 0x3a, 0x7b];

/** Whether `lit` stands in `b` at `i` (before `end`). */
const bytesAt = (b: Uint8Array, i: number, end: number, lit: readonly number[]): boolean => {
  if (i + lit.length > end) return false;
  for (let j = 0; j < lit.length; j++) if (b[i + j] !== lit[j]) return false;
  return true;
};

/** The end of an integer literal as `INT` matches it (`0`, or 1 to 16 digits not starting with 0), or -1. */
const intEnd = (b: Uint8Array, i: number, end: number): number => {
  if (i >= end) return -1;
  if (b[i] === 0x30) return i + 1;
  let j = i;
  while (j < end && j - i < 16 && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
  return j === i || b[i] === 0x30 ? -1 : j;
};

/** The value of the digits `b[i, j)` (at most 16: exact below 2^53, checked by the caller). */
const intOf = (b: Uint8Array, i: number, j: number): number => {
  let n = 0;
  for (let k = i; k < j; k++) n = n * 10 + (b[k]! - 0x30);
  return n;
};

/** The connection and domain of the outbound line framed last by {@link outFrameAt}. */
export const outFrame = { conn: 0, d: 0 };

/**
 * The frame of a v2 outbound line as the recorder writes it, `b[start, end)` without its newline and `\r`: where
 * its message text starts (the text is `b[at, end - 1)`), or -1 if the line is not framed so. The connection and
 * domain are left in {@link outFrame} (-1 at the first number that is not a safe integer: the line is then no frame).
 */
export const outFrameAt = (b: Uint8Array, start: number, end: number): number => {
  if (end - start < 4 || b[end - 1] !== 0x7d || b[end - 2] !== 0x7d || !bytesAt(b, start, end, OUT_OPEN)) return -1;
  const c = start + OUT_OPEN.length;
  let i = intEnd(b, c, end);
  if (i < 0) return -1;
  const conn = intOf(b, c, i);
  let d = 0;
  if (bytesAt(b, i, end, OUT_D)) {
    const k = i + OUT_D.length;
    i = intEnd(b, k, end);
    if (i < 0) return -1;
    d = intOf(b, k, i);
  }
  if (!bytesAt(b, i, end, OUT_MSG) || !Number.isSafeInteger(conn) || !Number.isSafeInteger(d)) return -1;
  outFrame.conn = conn;
  outFrame.d = d;
  return i + OUT_MSG.length - 1;
};

/**
 * {@link isOutLineFrame} of the line `b[start, end)` (a trailing `\r` dropped), read from its UTF-8 bytes: a replay
 * that ignores outbound messages skips such a line without decoding it to a string at all (most of a log recorded
 * with outbound messages).
 */
export const isOutFrameBytes = (b: Uint8Array, start: number, end: number): boolean => {
  if (end > start && b[end - 1] === 0x0d) end--;
  if (end - start < 4 || b[end - 1] !== 0x7d || b[end - 2] !== 0x7d || !bytesAt(b, start, end, OUT_OPEN)) return false;
  let i = intEnd(b, start + OUT_OPEN.length, end);
  if (i < 0) return false;
  if (bytesAt(b, i, end, OUT_D)) {
    i = intEnd(b, i + OUT_D.length, end);
    if (i < 0) return false;
  }
  return bytesAt(b, i, end, OUT_MSG);
};

/**
 * A v2 outbound line as the recorder writes it, by its frame only: the message text is sliced out, not parsed
 * (`--verify` compares it with the replayed text, and parses it only if they differ). `undefined`: decode the line.
 */
export const decodeOutFrame = (line: string): OutRecord | undefined => {
  if (line.charCodeAt(2) !== 0x6f /* o(ut) */ || !line.endsWith('}}')) return undefined;
  const m = FAST_OUT_V2.exec(line);
  if (m === null) return undefined;
  const conn = safe(m[1]);
  const d = safe(m[2]);
  if (conn === undefined || d === undefined) return undefined;
  return { kind: 'out', d, conn, json: line.slice(m[0].length - 1, line.length - 1), unchecked: line };
};

/** Decode one line; the left is the reason it is not a valid record. Never throws. */
export const decodeLine = (line: string): E.Either<string, LogRecord> => {
  const fast = fastDecode(line);
  if (fast !== undefined) return E.right(fast);
  // a snapshot is megabytes: the built-in parser when it is exact (./fast-json.ts)
  const big = line.length > 1 << 16 ? parseJsonFast(line) : undefined;
  const p = big !== undefined ? E.right(big) : parseJson(line);
  if (E.isLeft(p)) return E.left(`invalid JSON: ${p.left}`);
  const o = p.right;
  if (!isObject(o)) return E.left('record is not a JSON object');
  if (o.v === undefined) return decodeV2Body(o);
  if (typeof o.v !== 'bigint' || o.v < 1n || o.v > BigInt(LOG_VERSION))
    return E.left(`unsupported schema version ${stringifyJson(o.v ?? null)}`);
  if (o.kind === 'domain') return decodeHeader(o);
  if (o.kind === 'snapshot') return decodeSnapshot(o);
  if (o.v !== 1n)
    return E.left(o.kind === undefined ? 'invalid record' : `unknown record kind ${stringifyJson(o.kind)}`);
  if (o.kind === undefined) {
    const r = EventLineV1.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    const { seq, d, at, e } = r.right;
    return E.right({ kind: 'event', seq, d, event: { ...e, now: at } as Event });
  }
  if (o.kind === 'out') {
    const r = OutLineV1.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    return E.right({ kind: 'out', d: r.right.d, conn: r.right.conn, json: stringifyJson(o.json as Json) });
  }
  return E.left(`unknown record kind ${stringifyJson(o.kind)}`);
};

const decodeV2Body = (o: { readonly [k: string]: Json }): E.Either<string, LogRecord> => {
  if (o.out !== undefined) {
    const r = OutLineV2.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    return E.right({ kind: 'out', d: r.right.d ?? 0, conn: r.right.out, json: stringifyJson(o.msg as Json) });
  }
  if (o.seq === undefined) return E.left('record has neither "seq" nor "out" (nor a schema version)');
  const r = EventLineV2.decode(o);
  if (E.isLeft(r)) return E.left(describe(r.left));
  const { seq, d, at, ...body } = r.right as { seq: number; d?: number; at: number; type: Kind };
  const event = { type: body.type, now: at } as Record<string, unknown>;
  for (const [k] of fieldsOf(body.type)) event[k] = (body as unknown as Record<string, unknown>)[k];
  return E.right({ kind: 'event', seq, d: d ?? 0, event: event as unknown as Event });
};

const decodeHeader = (o: { readonly [k: string]: Json }): E.Either<string, HeaderRecord> => {
  const r = HeaderLine.decode(o);
  if (E.isLeft(r)) return E.left(describe(r.left));
  const h = r.right;
  const s = h.settings;
  const settings: DomainSettings = { ...s, limits: { total: { ...s.limits.total }, user: { ...s.limits.user } } };
  return E.right({
    kind: 'domain',
    version: Number(o.v),
    d: h.d,
    ...(h.name !== undefined ? { name: h.name } : {}),
    settings,
    seed: h.seed,
    now: h.now,
    outbound: h.outbound === true,
    rotated: h.rotated === true,
  });
};

const decodeSnapshot = (o: { readonly [k: string]: Json }): E.Either<string, SnapshotRecord> => {
  const r = SnapshotLine.decode(o);
  if (E.isLeft(r)) return E.left(describe(r.left));
  const state = decodeDomainState(o.state);
  if (E.isLeft(state)) return state;
  return E.right({ kind: 'snapshot', d: r.right.d, seq: r.right.seq, state: state.right });
};

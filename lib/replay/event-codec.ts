/**
 * The event-log line format (schema version 1), one JSON document per line (NDJSON):
 *
 *   {"v":1,"kind":"domain","d":0,"name":"x","seed":42,"now":1700000000.5,"settings":{…},"outbound":true}
 *   {"v":1,"seq":7,"d":0,"at":1700000001.25,"e":{"type":"message","conn":1,"msg":{"ta-cmd":"ping",…}}}
 *   {"v":1,"kind":"out","d":0,"conn":1,"json":{"ta-cmd":"ping","ta-id":3,"msg-type":"complete"}}
 *   {"v":1,"kind":"snapshot","d":0,"seq":6,"state":{"settings":{…},"now":1700000001.25,"rng":…,"conns":[…],…}}
 *
 * A `domain` header carries what a replay needs to rebuild the domain's initial state (settings, seed, start time);
 * `rotated: true` marks the repeated header at the top of a rotated file (the domain continues, it does not restart).
 * In a rotated file, each header may be followed by a `snapshot` of the domain's whole state (./state-codec.ts) after
 * every event up to `seq` (the last event line written before it, of any domain; -1 if none), so the file replays
 * on its own.
 * Event lines hold one reducer input each, its time in `at`; a `message` holds the decoded message in wire form
 * (integers exact, re-decoded with `decodeClientMessage`). `out` lines are the messages sent, in sending order.
 * Lines are written by hand-built string concatenation (the hot path) and read with `parseJson` + io-ts codecs.
 *
 * @example
 * const line = encodeEventLine(3, 0, { type: 'tick', now: 1000.5 }); // '{"v":1,"seq":3,"d":0,"at":1000.5,"e":{"type":"tick"}}'
 * decodeLine(line); // right({ kind: 'event', seq: 3, d: 0, event: { type: 'tick', now: 1000.5 } })
 */
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';

import { decodeClientMessage } from '../codec/decode';
import { encodeMessage } from '../codec/encode';
import { parseJson, stringifyJson, type Json } from '../codec/json';
import type { ClientMessage } from '../codec/messages';
import type { Event } from '../state/events';
import type { DomainSettings, DomainState, ResourceLimits } from '../state/model';
import { Nat, Num, Settings } from './log-codecs';
import { decodeDomainState, encodeDomainState } from './state-codec';

/** The schema version written and understood. */
export const LOG_VERSION = 1;

/** What a replay needs to rebuild a domain's initial state. */
export interface DomainInfo {
  readonly name?: string;
  readonly settings: DomainSettings;
  readonly seed: number;
  readonly now: number;
}
export interface HeaderRecord extends DomainInfo {
  readonly kind: 'domain';
  readonly d: number;
  readonly outbound: boolean;
  readonly rotated: boolean;
}
export interface EventRecord {
  readonly kind: 'event';
  readonly seq: number;
  readonly d: number;
  readonly event: Event;
}
export interface OutRecord {
  readonly kind: 'out';
  readonly d: number;
  readonly conn: number;
  /** The message as canonical JSON text (see {@link canonicalJson}). */
  readonly json: string;
}
/** A domain's whole state after every event up to `seq` (at the top of a rotated file, after the header). */
export interface SnapshotRecord {
  readonly kind: 'snapshot';
  readonly d: number;
  /** The last event seq written before the snapshot (-1 if none). */
  readonly seq: number;
  readonly state: DomainState;
}
export type LogRecord = HeaderRecord | EventRecord | OutRecord | SnapshotRecord;

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
const Conn = { conn: Nat };
const EventBody = t.union([
  t.type({
    type: t.literal('accepted'),
    ...Conn,
    address: t.string,
    user: t.string,
    transport: t.keyof({ tcp: null, tls: null, ux: null, uxf: null }),
  }),
  t.type({ type: t.literal('message'), ...Conn, msg: WireMessage }),
  t.type({ type: t.literal('malformed'), ...Conn, reason: t.string }),
  t.type({
    type: t.literal('closed'),
    ...Conn,
    cause: t.keyof({ eof: null, 'transport-error': null, shutdown: null }),
  }),
  t.type({ type: t.literal('tick') }),
]);
/** io-ts codecs of the line kinds (after the `v` check). */
export const EventLine = t.type({ seq: Nat, d: Nat, at: Num, e: EventBody });
export const HeaderLine = t.intersection([
  t.type({ kind: t.literal('domain'), d: Nat, seed: Nat, now: Num, settings: Settings }),
  t.partial({ name: t.string, outbound: t.boolean, rotated: t.boolean }),
]);
export const OutLine = t.type({ kind: t.literal('out'), d: Nat, conn: Nat, json: t.UnknownRecord });
/** An integer ≥ -1 (a snapshot's `seq`: -1 before any event). */
const SeqOrNone = new t.Type<number, number, unknown>(
  'seq',
  (u): u is number => Number.isSafeInteger(u) && (u as number) >= -1,
  (u, c) =>
    typeof u === 'bigint' && u >= -1n && u <= BigInt(Number.MAX_SAFE_INTEGER) ? t.success(Number(u)) : t.failure(u, c),
  (a) => a,
);
export const SnapshotLine = t.type({ kind: t.literal('snapshot'), d: Nat, seq: SeqOrNone, state: t.UnknownRecord });

const num = (n: number): string => (Number.isFinite(n) ? JSON.stringify(n) : 'null');
const limitsJson = (l: ResourceLimits): string =>
  '{' +
  (['clients', 'services', 'subscriptions'] as const)
    .filter((k) => l[k] !== undefined)
    .map((k) => `"${k}":${num(l[k]!)}`)
    .join(',') +
  '}';

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
  const head = `{"v":${LOG_VERSION},"seq":${seq},"d":${d},"at":${num(e.now)},"e":{"type":"${e.type}"`;
  switch (e.type) {
    case 'accepted':
      return `${head},"conn":${e.conn},"address":${JSON.stringify(e.address)},"user":${JSON.stringify(e.user)},"transport":"${e.transport}"}}`;
    case 'message':
      return `${head},"conn":${e.conn},"msg":${encodeMessage(e.msg)}}}`;
    case 'malformed':
      return `${head},"conn":${e.conn},"reason":${JSON.stringify(e.reason)}}}`;
    case 'closed':
      return `${head},"conn":${e.conn},"cause":"${e.cause}"}}`;
    case 'tick':
      return `${head}}}`;
  }
};

/** The line of one outbound message (`json` as sent). */
export const encodeOutLine = (d: number, conn: number, json: string): string =>
  `{"v":${LOG_VERSION},"kind":"out","d":${d},"conn":${conn},"json":${json}}`;

/** The snapshot line of a domain's state after every event up to `seq` (-1: none yet). */
export const encodeSnapshotLine = (d: number, seq: number, state: DomainState): string =>
  `{"v":${LOG_VERSION},"kind":"snapshot","d":${d},"seq":${seq},"state":${stringifyJson(encodeDomainState(state))}}`;

/** Canonical text of a JSON message, for comparing recorded and replayed messages. */
export const canonicalJson = (json: string): string => {
  const p = parseJson(json);
  return E.isRight(p) ? stringifyJson(p.right) : json;
};

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

/** Decode one line; the left is the reason it is not a valid record. Never throws. */
export const decodeLine = (line: string): E.Either<string, LogRecord> => {
  const p = parseJson(line);
  if (E.isLeft(p)) return E.left(`invalid JSON: ${p.left}`);
  const o = p.right;
  if (!isObject(o)) return E.left('record is not a JSON object');
  if (o.v !== BigInt(LOG_VERSION)) return E.left(`unsupported schema version ${stringifyJson(o.v ?? null)}`);
  if (o.kind === undefined) {
    const r = EventLine.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    const { seq, d, at, e } = r.right;
    return E.right({ kind: 'event', seq, d, event: { ...e, now: at } as Event });
  }
  if (o.kind === 'domain') {
    const r = HeaderLine.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    const h = r.right;
    const s = h.settings;
    const settings: DomainSettings = { ...s, limits: { total: { ...s.limits.total }, user: { ...s.limits.user } } };
    return E.right({
      kind: 'domain',
      d: h.d,
      ...(h.name !== undefined ? { name: h.name } : {}),
      settings,
      seed: h.seed,
      now: h.now,
      outbound: h.outbound === true,
      rotated: h.rotated === true,
    });
  }
  if (o.kind === 'out') {
    const r = OutLine.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    return E.right({ kind: 'out', d: r.right.d, conn: r.right.conn, json: stringifyJson(o.json as Json) });
  }
  if (o.kind === 'snapshot') {
    const r = SnapshotLine.decode(o);
    if (E.isLeft(r)) return E.left(describe(r.left));
    const state = decodeDomainState(o.state);
    if (E.isLeft(state)) return state;
    return E.right({ kind: 'snapshot', d: r.right.d, seq: r.right.seq, state: state.right });
  }
  return E.left(`unknown record kind ${stringifyJson(o.kind)}`);
};

/**
 * The wire as the client sees it: server messages parsed (lossless JSON) and validated with the codec of the
 * negotiated protocol version, and the conversions of notifications into the public model.
 *
 * @example
 * const m = parseServerMessage(bytes); // { 'ta-cmd': 'subscribe', 'ta-id': 3n, 'msg-type': 'notify', ... }
 * serviceOf(m); // { id, generation, props, ttl, clientId, orphanSince? }
 */
import * as E from 'fp-ts/Either';

import { parseJson, stringifyJson, type Json, type JsonObject } from '../../codec/json';
import { outboundCodecs, type Command, type MsgType } from '../../codec/messages';
import { INT63_MAX, PropsCodec } from '../../codec/primitives';
import type { Props } from '../../filter/props';
import type { ClientInfo, Service, SubscriptionInfo } from '../../model';
import { fromWireProps } from './props';

/** A decoded server message (wire field names; integers as bigint, props as a Props map). */
export type ServerMsg = Readonly<Record<string, unknown>>;

/** A field of a server message as error texts show it: a string bare, anything else as JSON (absent: `undefined`). */
export const shown = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined ? 'undefined' : stringifyJson(v as Json);

/** Parse one frame into a JSON object; a string says why it is not one. */
export const parseServerMessage = (data: Uint8Array | string): JsonObject | string => {
  const j = parseJson(data);
  if (E.isLeft(j)) return `unparsable message: ${j.left}`;
  const o = j.right;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'message is not a JSON object';
  return o as JsonObject;
};

const codecs = { 2: outboundCodecs(2), 3: outboundCodecs(3) } as const;

const isUInt63 = (u: unknown): u is bigint => typeof u === 'bigint' && u >= 0n && u <= INT63_MAX;

const INVALID_NOTIFY = 'invalid subscribe notify message';

/**
 * A `subscribe` notification, validated by hand: the same rules as the io-ts codec `SubscribeNotify` (a property
 * test holds them to the same verdicts and values), without its generic machinery — this is the client's hot path
 * (an initial sync is one notification per matching service). The result is a fresh record of the known fields.
 */
export const validateSubscribeNotify = (o: JsonObject): ServerMsg | string => {
  const taId = o['ta-id'];
  if (o['ta-cmd'] !== 'subscribe' || !isUInt63(taId) || o['msg-type'] !== 'notify') return INVALID_NOTIFY;
  const type = o['match-type'];
  const id = o['service-id'];
  if (type === 'disappeared')
    return isUInt63(id)
      ? { 'ta-cmd': 'subscribe', 'ta-id': taId, 'msg-type': 'notify', 'match-type': type, 'service-id': id }
      : INVALID_NOTIFY;
  if (type !== 'appeared' && type !== 'modified') return INVALID_NOTIFY;
  const { generation, ttl } = o;
  const clientId = o['client-id'];
  if (!isUInt63(id) || !isUInt63(generation) || !isUInt63(ttl) || !isUInt63(clientId)) return INVALID_NOTIFY;
  const props = PropsCodec.decode(o['service-props']);
  if (E.isLeft(props)) return INVALID_NOTIFY;
  const m = {
    'ta-cmd': 'subscribe',
    'ta-id': taId,
    'msg-type': 'notify',
    'match-type': type,
    'service-id': id,
    generation,
    'service-props': props.right,
    ttl,
    'client-id': clientId,
  };
  const since = o['orphan-since'];
  if (since === undefined) return m;
  if (typeof since === 'bigint' && since >= 0n) return { ...m, 'orphan-since': Number(since) };
  if (typeof since === 'number' && since >= 0 && Number.isFinite(since)) return { ...m, 'orphan-since': since };
  return INVALID_NOTIFY;
};

/** Validate a server message of transaction `cmd` with the codec of `version`; a string says why it is invalid. */
export const validate = (o: JsonObject, cmd: Command, msgType: MsgType, version: 2 | 3): ServerMsg | string => {
  if (cmd === 'subscribe' && msgType === 'notify') return validateSubscribeNotify(o);
  const codec = codecs[version][cmd][msgType];
  if (codec === undefined) return `unexpected 'msg-type' ${msgType} for ${cmd}`;
  const r = codec.decode(o);
  return E.isLeft(r) ? `invalid ${cmd} ${msgType} message` : (r.right as ServerMsg);
};

/** A `subscribe` (appeared/modified) or `services` notification as a public {@link Service}. */
export const serviceOf = (m: ServerMsg): Service => {
  const s: Service = {
    id: m['service-id'] as bigint,
    generation: m.generation as bigint,
    props: fromWireProps(m['service-props'] as Props),
    ttl: Number(m.ttl),
    clientId: m['client-id'] as bigint,
  };
  return m['orphan-since'] === undefined ? s : { ...s, orphanSince: m['orphan-since'] as number };
};

/** A `clients` notification as a public {@link ClientInfo}. */
export const clientInfoOf = (m: ServerMsg): ClientInfo => {
  const c: { -readonly [K in keyof ClientInfo]: ClientInfo[K] } = {
    clientId: m['client-id'] as bigint,
    address: m['client-address'] as string,
    connectedAt: Number(m.time),
  };
  if (m['protocol-version'] !== undefined) c.protocolVersion = Number(m['protocol-version']);
  if (m.idle !== undefined) c.idle = m.idle as number;
  if (m.latency !== undefined) c.latency = m.latency as number;
  return c;
};

/** A `subscriptions` notification as a public {@link SubscriptionInfo}. */
export const subscriptionInfoOf = (m: ServerMsg): SubscriptionInfo =>
  m.filter === undefined
    ? { id: m['subscription-id'] as bigint, clientId: m['client-id'] as bigint }
    : { id: m['subscription-id'] as bigint, clientId: m['client-id'] as bigint, filter: m.filter as string };

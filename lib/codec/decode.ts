/**
 * Inbound decoding (§3.3 steps 1–8): bytes → JSON → header → codec of (command, msg-type) → unknown-field check.
 *
 * The result is `Either<ProtocolError, ClientMessage>`; every left is a protocol error, on which the server closes
 * only that connection (§3.5). Version-specific availability (`track` before a v3 hello) and the transaction-level
 * checks of step 9 need connection state and are done by the reducer.
 *
 * @example
 * decodeClientMessage('{"ta-cmd":"ping","ta-id":1,"msg-type":"request"}') // right({...})
 * decodeClientMessage('{"ta-cmd":"ping","ta-id":1.0,"msg-type":"request"}') // left({ reason: 'invalid ta-id' })
 */
import * as E from 'fp-ts/Either';

import { inboundDecoder, type InboundDecoder, type ProtocolError } from './inbound';
import { parseJson, type Json, type JsonObject } from './json';
import {
  allowedKeys,
  COMMANDS,
  inboundCodecs,
  MSG_TYPES,
  type ClientMessage,
  type Command,
  type MsgType,
} from './messages';
import { isUInt63 } from './values';

export type { ProtocolError } from './inbound';

const commands: ReadonlySet<string> = new Set(COMMANDS);
const msgTypes: ReadonlySet<string> = new Set(MSG_TYPES);

const isObject = (u: unknown): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * Decode one inbound message (text or UTF-8 bytes). Never throws. Well-formed messages take the fast path
 * (`fast.ts`); whatever it gives up on is decided by {@link decodeGeneral}. `cache`: props seen before are given back
 * as the same object (a replay, `PropsCache`).
 */
export const decodeClientMessage: InboundDecoder = inboundDecoder(() => decodeGeneral);

/**
 * The general path (§3.3 steps 1–8): JSON tree, header checks, io-ts codec, unknown fields. Decides every message
 * and words every error. The result is a plain object, as the fast path's.
 */
export const decodeGeneral = (input: string | Uint8Array): E.Either<ProtocolError, ClientMessage> => {
  const json = parseJson(input);
  if (E.isLeft(json)) return E.left({ reason: `invalid JSON: ${json.left}` });
  const o = json.right;
  if (!isObject(o)) return E.left({ reason: 'message is not a JSON object' });
  const cmd = o['ta-cmd'];
  const taId = o['ta-id'];
  const msgType = o['msg-type'];
  if (cmd === undefined || cmd === null) return E.left({ reason: "missing 'ta-cmd'" });
  if (taId === undefined || taId === null) return E.left({ reason: "missing 'ta-id'" });
  if (!isUInt63(taId)) return E.left({ reason: `invalid 'ta-id': ${show(taId)}` });
  if (msgType === undefined || msgType === null) return E.left({ reason: "missing 'msg-type'", taId });
  if (typeof cmd !== 'string' || !commands.has(cmd))
    return E.left({ reason: `unknown command in 'ta-cmd': ${show(cmd)}`, taId });
  if (typeof msgType !== 'string' || !msgTypes.has(msgType))
    return E.left({ reason: `invalid 'msg-type': ${show(msgType)}`, taId, cmd });
  const codec = inboundCodecs[cmd as Command][msgType as MsgType];
  if (codec === undefined)
    return E.left({
      reason:
        msgType === 'inform'
          ? `'msg-type' inform on a non-track command '${cmd}'`
          : `'msg-type' '${msgType}' is not a client message type`,
      taId,
      cmd,
    });
  const allowed = allowedKeys(codec);
  for (const k in o) if (!allowed.has(k)) return E.left({ reason: `unknown field '${k}'`, taId, cmd });
  const r = codec.decode(o);
  if (E.isLeft(r)) return E.left({ reason: describeErrors(r.left), taId, cmd });
  const m = r.right as ClientMessage;
  return E.right(Object.getPrototypeOf(m) === null ? { ...m } : m);
};

/** A short rendering of an offending header value for a reason string (strings quoted and truncated). */
const show = (v: Json): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === null || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
};

const describeErrors = (
  errors: ReadonlyArray<{ context: ReadonlyArray<{ key: string }>; message?: string }>,
): string => {
  const e = errors[0];
  if (e === undefined) return 'invalid message';
  const path = e.context
    .map((c) => c.key)
    .filter((k) => k !== '' && !/^\d+$/.test(k))
    .join('.');
  return e.message !== undefined ? `invalid '${path}': ${e.message}` : `missing or invalid '${path}'`;
};

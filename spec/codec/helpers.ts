/** Shared helpers for the codec specs. */
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';

import { decodeClientMessage, type ProtocolError } from '../../lib/codec/decode';
import { parseJson, type Json, type JsonObject } from '../../lib/codec/json';
import { allowedKeys, outboundCodecs, type ClientMessage, type Command, type MsgType } from '../../lib/codec/messages';

/** The right side of an Either, failing the test (with the left in the message) otherwise. */
export const rightOf = <L, R>(e: E.Either<L, R>): R => {
  if (E.isLeft(e)) throw new Error(`expected Right, got Left: ${String(showValue(e.left))}`);
  return e.right;
};

/** The left side of an Either, failing the test (with the right in the message) otherwise. */
export const leftOf = <L, R>(e: E.Either<L, R>): L => {
  if (E.isRight(e)) throw new Error(`expected Left, got Right: ${String(showValue(e.right))}`);
  return e.left;
};

/** A JSON-ish rendering for failure messages that copes with bigints and Maps. */
export const showValue = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Map ? Object.fromEntries(x as Map<string, unknown>) : x,
  );

/** Decode a client message that must be valid. */
export const decodeOk = (input: string | Uint8Array): ClientMessage => rightOf(decodeClientMessage(input));

/** Decode a client message that must be refused; returns the protocol error. */
export const decodeErr = (input: string | Uint8Array): ProtocolError => leftOf(decodeClientMessage(input));

/**
 * Decode a server message the way a strict client would (what decode.ts does for inbound messages): look up
 * `[ta-cmd][msg-type]` in the outbound table of `version`, and accept the object only if one codec (one union branch)
 * both decodes it and allows each of its members (`allowedKeys` of that branch, not of the whole union).
 */
export const decodeServerMessage = (version: 2 | 3, input: string): E.Either<string, unknown> => {
  const j = parseJson(input);
  if (E.isLeft(j)) return E.left(j.left);
  const o = j.right;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return E.left('not an object');
  const obj = o as JsonObject;
  const cmd = obj['ta-cmd'];
  const msgType = obj['msg-type'];
  if (typeof cmd !== 'string' || typeof msgType !== 'string') return E.left('bad header');
  const table = outboundCodecs(version) as Record<string, Partial<Record<string, t.Mixed>> | undefined>;
  const codec = table[cmd]?.[msgType];
  if (codec === undefined) return E.left(`no codec for ${cmd}/${msgType}`);
  return decodeExact(codec, obj);
};

/** Decode with `codec`, rejecting members not in `allowedKeys`; union branches are tried one by one. */
export const decodeExact = (codec: t.Mixed, o: JsonObject): E.Either<string, unknown> => {
  const branches = codec instanceof t.UnionType ? (codec.types as t.Mixed[]) : [codec];
  const why: string[] = [];
  for (const b of branches) {
    const allowed = allowedKeys(b);
    const extra = Object.keys(o).filter((k) => !allowed.has(k));
    if (extra.length > 0) {
      why.push(`${b.name}: unknown fields ${extra.join(',')}`);
      continue;
    }
    const r = b.decode(o);
    if (E.isRight(r)) return E.right(r.right);
    why.push(`${b.name}: invalid`);
  }
  return E.left(why.join('; '));
};

/** Parse JSON text that must be valid. */
export const json = (s: string): Json => rightOf(parseJson(s));

/** Typed table access for loops over all (command, msg-type) pairs. */
export const entries = (table: { readonly [C in Command]: Partial<Record<MsgType, t.Mixed>> }): Array<
  [Command, MsgType, t.Mixed]
> =>
  (Object.keys(table) as Command[]).flatMap((c) =>
    (Object.keys(table[c]) as MsgType[]).map((m): [Command, MsgType, t.Mixed] => [c, m, table[c][m]!]),
  );

/**
 * Inbound decoding's front (§3.3): bytes to text, then the fast path (`fast.ts`), and whatever the fast path gives up
 * on to the general path (`decode.ts`: JSON tree, header checks, the io-ts codecs), which is given as a thunk and
 * asked for at the first message that needs it. `decode.ts`'s `decodeClientMessage` is this front over its general
 * path; the daemon's shell builds the same front over a general path it loads at that first message
 * (`lib/server/inbound.ts`), so a daemon whose clients only send well-formed messages never loads io-ts nor fp-ts
 * (idle RSS, issue 12; bench/README.md "lean17").
 */
import { decodeFast, type PropsCache } from './fast';
import { decodeUtf8 } from './json';
import type { ClientMessage } from './messages';
import { left, right, type Either } from '../util/either';

/** Why an inbound message was refused; `taId`/`cmd` are set when the header could be read (for logging). */
export interface ProtocolError {
  readonly reason: string;
  readonly taId?: bigint;
  readonly cmd?: string;
}

/** A decoder of whole messages from their text (the general path). */
export type GeneralDecoder = (text: string) => Either<ProtocolError, ClientMessage>;

/**
 * Decodes one inbound message (text or UTF-8 bytes); never throws. `cache`: props seen before are given back as the
 * same object (a replay, `PropsCache`).
 */
export type InboundDecoder = (input: string | Uint8Array, cache?: PropsCache) => Either<ProtocolError, ClientMessage>;

/** The front over the general path `general()` gives; `general` is called once, at the first message it decides. */
export const inboundDecoder = (general: () => GeneralDecoder): InboundDecoder => {
  let slow: GeneralDecoder | undefined;
  return (input, cache) => {
    const text = typeof input === 'string' ? input : decodeUtf8(input);
    if (text === undefined) return left({ reason: 'invalid JSON: invalid UTF-8' });
    const fast = decodeFast(text, cache);
    return fast !== undefined ? right(fast) : (slow ??= general())(text);
  };
};

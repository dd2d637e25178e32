/**
 * The daemon's inbound decoder: the codec's front (`lib/codec/inbound.ts`: the fast path) over the general path of
 * `lib/codec/decode.ts`, which is loaded with io-ts, its message codecs and fp-ts at the first message the fast path
 * gives up on (a malformed message, an escape in a string, a float: `lib/codec/fast.ts`). Well-formed traffic never
 * loads them: an idle daemon is ~0.4 MB smaller (issue 12, bench/README.md "lean17"). Decodes exactly as
 * `decodeClientMessage` of `lib/codec/decode.ts` (`spec/server/inbound.spec.ts`).
 */
import type * as Decode from '../codec/decode';
import { inboundDecoder, type InboundDecoder } from '../codec/inbound';

/** `decodeClientMessage`, with the general path loaded when first needed. */
export const decodeInbound: InboundDecoder = inboundDecoder(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => (require('../codec/decode') as typeof Decode).decodeGeneral,
);

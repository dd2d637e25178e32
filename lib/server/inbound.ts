/**
 * The daemon's inbound decoder: the codec's front (`lib/codec/inbound.ts`: the fast path) over the general path of
 * `lib/codec/decode.ts` (the io-ts message codecs, io-ts, fp-ts), which an idle daemon does not load: ~0.4 MB of idle
 * RSS (issue 12, bench/README.md "lean17"). Decodes exactly as `decodeClientMessage` of `lib/codec/decode.ts`
 * (`spec/codec/inbound.spec.ts`).
 *
 * Loading the general path at once costs ~25-45 ms of CPU (this machine, interpreted: fp-ts's type classes, io-ts,
 * the codecs built), too long for one event. So the daemon (`armBackgroundLoad`) has the first message it decodes
 * start loading it in the background, one module per turn of the event loop (`GENERAL`, leaves first; each 0.5-13 ms
 * of CPU at load 8), and a message the fast path gives up on before that is done loads the rest at once.
 */
import type * as Decode from '../codec/decode';
import { inboundDecoder, type InboundDecoder } from '../codec/inbound';

/** What the general path loads, leaves first (each requires only modules before it), `decode` last. */
const GENERAL = [
  'fp-ts/lib/function',
  'fp-ts/lib/internal',
  'fp-ts/lib/Functor',
  'fp-ts/lib/Apply',
  'fp-ts/lib/Applicative',
  'fp-ts/lib/Chain',
  'fp-ts/lib/ChainRec',
  'fp-ts/lib/FromEither',
  'fp-ts/lib/Separated',
  'fp-ts/lib/Witherable',
  'fp-ts/lib/Either',
  'io-ts',
  '../codec/primitives',
  '../codec/messages',
  '../codec/decode',
] as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (id: string): unknown => require(id);

let armed = false;
let next = 0;
let pending: ReturnType<typeof setImmediate> | undefined;

const loadNext = (): void => {
  pending = undefined;
  if (!armed || next >= GENERAL.length) return;
  load(GENERAL[next++]!);
  pending = setImmediate(loadNext);
};

const decode = inboundDecoder(() => (load('../codec/decode') as typeof Decode).decodeGeneral);

/**
 * Have the first message decoded start the background load (the daemon does, next to its warm-up); the function
 * returned stops it (at shutdown: nothing is loaded after the daemon is done).
 */
export const armBackgroundLoad = (): (() => void) => {
  armed = true;
  return () => {
    armed = false;
    if (pending !== undefined) clearImmediate(pending);
    pending = undefined;
  };
};

/** `decodeClientMessage`; once armed, the first call starts loading the general path in the background. */
export const decodeInbound: InboundDecoder = (input, cache) => {
  if (armed && pending === undefined && next < GENERAL.length) pending = setImmediate(loadNext);
  return decode(input, cache);
};

/**
 * The daemon's inbound decoder: the codec's front (`lib/codec/inbound.ts`: the fast path) over the general path of
 * `lib/codec/decode.ts` (the io-ts message codecs, io-ts, fp-ts), which an idle daemon does not load: ~0.4 MB of idle
 * RSS (issue 12, bench/README.md "lean17"). Decodes exactly as `decodeClientMessage` of `lib/codec/decode.ts`
 * (`spec/codec/inbound.spec.ts`).
 *
 * Loading the general path at once costs ~25-45 ms of CPU (this machine, interpreted: fp-ts's type classes, io-ts,
 * the codecs built), too long for one event. So the daemon (`armBackgroundLoad`) loads it in the background, 1 s after
 * the first message it decodes (`DELAY_MS`), one module per turn of the event loop (`GENERAL`, leaves first; each
 * 0.5-13 ms of CPU at load 8), and a message the fast path gives up on before that is done loads the rest at once.
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

/**
 * How long after the first message the background load starts (ms): after a fresh daemon's first burst, which it
 * would slow down (V8 compiles the daemon's hot paths then; at startup, where the load was before, it was outside
 * any burst too). A message the fast path gives up on meanwhile loads it at once.
 */
const DELAY_MS = 1000;

let armed = false;
let next = 0;
let pending: ReturnType<typeof setImmediate> | undefined;
let delay: ReturnType<typeof setTimeout> | undefined;

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
    if (delay !== undefined) clearTimeout(delay);
    pending = delay = undefined;
  };
};

/** `decodeClientMessage`; once armed, the first call starts the background load (`DELAY_MS` later). */
export const decodeInbound: InboundDecoder = (input, cache) => {
  if (armed && delay === undefined && next < GENERAL.length) delay = setTimeout(loadNext, DELAY_MS);
  return decode(input, cache);
};

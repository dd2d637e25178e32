/**
 * Warm-up of the disconnect and expiry paths (issues 12 and 13): once per daemon process, one small disconnect wave
 * and its expiry run on a scratch state, through the same functions a real one runs (the decoder, the reducer with
 * its sliced `work` and `tick` events, the encoder), and everything it built is dropped. No socket, no connection,
 * no log, no recording: the domains never see it.
 *
 * Why: a daemon's first orphaning or expiry wave ran code that had never run (bench/README.md, "kill16"): V8 compiled
 * its bytecode then, its inline caches missed, and the functions that the publishes had already optimised met new
 * object shapes in the wave (the `work` event, the orphan's notify), were deoptimised and compiled again. That first
 * wave cost 14-20 µs of the daemon's CPU per orphaned service, a later one 4-6. After the warm-up the first wave
 * finds the bytecode and type feedback that includes the wave's shapes.
 *
 * When: not at start (its bytecode and feedback are ~1 MB that an idle daemon would hold: idle RSS), but once the
 * daemon first holds a service (nothing can be orphaned before), in steps of one reducer call each, one step per
 * event-loop turn (~1 ms each, ~10 ms in all the first time: a real request is never behind more than a step).
 * Only the daemon arms it ({@link armWarmUp}); the library's servers do not.
 *
 * V8 may still flush bytecode that stays unused for long (a daemon quiet for a long time): a wave after that is
 * cold again, as before.
 */
import { type EncodedParts, encodeMessageParts } from '../codec/encode';
import { decodeInbound } from './inbound';
import type { ClosedEvent, Event } from '../state/events';
import type { DomainState } from '../state/model';
import { hasWork } from '../state/work';
import { defaultSettings, initialDomainState } from '../protocol/reducer';
import { safeReduceAll } from './safe-reduce';

/** Services the warm-up's owners publish, orphan and expire. */
export const WARM_SERVICES = 100;
/** Connections that publish and close in one wave (a mass kill's shape), all but the last with a subscription too. */
const WARM_OWNERS = 6;
/** Services each owner with a subscription publishes (each is told to every subscription). */
const FILTERED_SERVICES = 2;
/** The scratch services' TTL (s): the warm-up's clock jumps past it. */
const WARM_TTL = 2;

const utf8 = (json: string): Uint8Array => Buffer.from(json, 'utf8');

/** What the warm-up did: reducer calls, messages encoded, services expired (a spec checks that it did the work). */
export interface WarmUpReport {
  readonly folds: number;
  readonly encoded: number;
  readonly services: number;
}

/** What {@link warmUpSteps} has done so far. */
interface Progress {
  folds: number;
  encoded: number;
  services: number;
}

/**
 * One disconnect wave and its expiry on a scratch state from time `t0` (seconds, as the domain clock: a double), one
 * reducer call per step; the generator's value is what was done, once it is done.
 */
export function* warmUpSteps(t0: number): Generator<void, WarmUpReport> {
  const done: Progress = { folds: 0, encoded: 0, services: 0 };
  // a fraction of a second, as the domain clock's times have (a whole number would warm another field representation)
  let now = t0 + 0.000_123;
  let state: DomainState = initialDomainState(defaultSettings, 1, now);
  const parts: EncodedParts = { head: '', tail: '' };
  const fold = (batch: Event[]): void => {
    const [next, fx] = safeReduceAll(state, batch, undefined, 'warm-up');
    state = next;
    done.folds++;
    for (const f of fx)
      if (f.type === 'send') {
        encodeMessageParts(f.msg, parts);
        done.encoded++;
      }
  };
  const message = (conn: number, json: string): Event => {
    const r = decodeInbound(utf8(json));
    if (r._tag === 'Left') throw new Error(r.left.reason);
    return { type: 'message', now, conn, msg: r.right };
  };
  const work = (): Event[] => [{ type: 'work', now }];
  // connection 1 watches everything; connections 2.. watch with a filter and publish a few services (as a mass
  // kill's clients do; more than 4 subscriptions: notify.ts finds them through the index), the last one publishes
  // the rest, which only connection 1's subscription matches
  const conns = WARM_OWNERS + 1;
  const accepts: Event[] = [];
  for (let c = 1; c <= conns; c++)
    accepts.push({
      type: 'accepted',
      now,
      conn: c,
      address: `tcp:127.0.0.1:${40_000 + c}`,
      user: 'ip:127.0.0.1',
      transport: 'tcp',
    });
  fold(accepts);
  yield;
  const hellos: Event[] = [];
  for (let c = 1; c <= conns; c++)
    hellos.push(
      message(
        c,
        `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${c},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
      ),
    );
  fold(hellos);
  yield;
  // the owners are tracked (protocol 3), as a mass kill's clients are: their closes stop their track transactions
  const tracks: Event[] = [];
  for (let c = 2; c <= conns; c++) tracks.push(message(c, '{"ta-cmd":"track","ta-id":9,"msg-type":"request"}'));
  fold(tracks);
  yield;
  fold([message(1, '{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1}')]);
  for (yield; hasWork(state); yield) fold(work());
  const publish = (c: number, i: number, name: string): Event =>
    message(
      c,
      `{"ta-cmd":"publish","ta-id":${10 + i},"msg-type":"request","service-id":${c * 10_000 + i},"generation":0,` +
        `"service-props":{"name":["${name}-${c}-${i}"],"addr":["tls:10.10.10.10:4711"]},"ttl":${WARM_TTL}}`,
    );
  let published = 0;
  for (let c = 2; c < conns; c++) {
    const batch: Event[] = [
      message(c, `{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":${c},"filter":"(name=f*)"}`),
    ];
    for (let i = 0; i < FILTERED_SERVICES; i++) batch.push(publish(c, i, 'f'));
    published += FILTERED_SERVICES;
    fold(batch);
    for (yield; hasWork(state); yield) fold(work());
  }
  for (let i = published; i < WARM_SERVICES; yield) {
    const batch: Event[] = [];
    for (const end = Math.min(WARM_SERVICES, i + 16); i < end; i++) batch.push(publish(conns, i, 'warm'));
    fold(batch);
  }
  for (; hasWork(state); yield) fold(work());
  // the owners go in one wave of closes: its `closing` mark, then each close folded alone (as the domain loop folds
  // a turn's closes)
  now += 0.5;
  const wave: number[] = [];
  for (let c = 2; c <= conns; c++) wave.push(c);
  fold([{ type: 'closing', now, conns: wave }]);
  yield;
  for (let c = 2; c <= conns; c++) {
    fold([{ type: 'closed', now, conn: c, cause: 'eof' } satisfies ClosedEvent]);
    yield;
  }
  for (; hasWork(state); yield) fold(work());
  // their services expire: the deadline timer's tick, then the expiry's slices
  now += WARM_TTL + 0.25;
  fold([{ type: 'tick', now }]);
  for (yield; hasWork(state); yield) fold(work());
  done.services = WARM_SERVICES - state.services.size;
  fold([{ type: 'closed', now, conn: 1, cause: 'eof' }]);
  for (yield; hasWork(state); yield) fold(work());
  return done;
}

let armed = false;

/** Arm the warm-up (the daemon does, once): {@link warmUpWhenUsed} starts it the first time it finds a service. */
export const armWarmUp = (): void => {
  armed = true;
};

/**
 * Called by each domain after a turn: the first time (in the process, once armed) a domain holds a service, the
 * warm-up starts, one step per event-loop turn (`setImmediate`, unref'd: it never keeps the process alive). A step
 * that throws ends it (nothing depends on it). `onDone` is for tests.
 */
export const warmUpWhenUsed = (
  s: Pick<DomainState, 'services'>,
  clock: () => number,
  onDone?: (r: WarmUpReport | undefined) => void,
): void => {
  if (!armed || s.services.size === 0) return;
  armed = false;
  const steps = warmUpSteps(clock());
  const step = (): void => {
    let r: IteratorResult<void, WarmUpReport>;
    try {
      r = steps.next();
    } catch {
      return onDone?.(undefined);
    }
    if (r.done === true) return onDone?.(r.value);
    setImmediate(step).unref();
  };
  setImmediate(step).unref();
};

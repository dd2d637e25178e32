/**
 * The client at run time, the mirror image of a server domain: every connection's frames and closes, the
 * program's commands, the domain file's server lists and the deadline ticks are merged into one event stream,
 * batched per turn, folded by the pure core (`scan(reduceAll)`), and the effects interpreted at the edge (connect,
 * write — one flush per connection per batch —, close, answer requests, emit matches).
 *
 *   commands ─┐
 *   connections' frames/closes ─┤
 *   domain file ─┼─ merge ─ bufferTurn (≤ 128) ─ stamp(now) ─ scan(reduceAll) ─ tap(interpret) ─► state$
 *   state$ ─ deadline ticks ─┘                                                          │
 *        ▲────────────────────────────────────────────────────────────────────────────┘
 *
 * @example
 * const rt = new ClientRuntime(initialState(...), env, handlers);
 * rt.start(domainServers$);
 * rt.dispatch({ type: 'request', req: 1, cmd: 'ping', fields: {}, server: undefined });
 */
import {
  BehaviorSubject,
  distinctUntilChanged,
  EMPTY,
  map,
  merge,
  type Observable,
  type OperatorFunction,
  scan,
  Subject,
  Subscription,
  switchMap,
  tap,
  timer,
  Observable as RxObservable,
  type SchedulerLike,
} from 'rxjs';

import { encodeMessage } from '../codec/encode';
import type { Connection } from '../transport/transport';
import type { ClientEnv } from './adapter';
import type { Effect } from './core/effects';
import type { Batch, ClientEvent } from './core/events';
import { nextDeadline, reduceAll } from './core/reducer';
import type { ClientState, ConnId } from './core/state';
import type { ServerSpec } from './core/types';

/** Where the shell delivers what the core decided (besides the transport actions it performs itself). */
export interface EffectSink {
  (fx: Effect): void;
}

/** Told when the pipeline itself fails (a bug): the runtime has stopped, every connection is closed. */
export type FailureSink = (error: unknown) => void;

/** At most this many events are folded in one step; the rest waits for the next turn (bounded work per turn). */
export const MAX_BATCH = 128;

/**
 * Collect the values of one turn (ended by `turn`) into one array — at most `max` of them: when more arrived (a
 * socket read of many notifications), the rest follows on the next turn (`nextTurn`), after pending I/O, in order.
 * The backlog is a queue read from `head` (compacted once half of it is consumed): a fast server can pile up
 * a backlog of N events, and copying the rest at every slice would cost O(N²/max).
 */
export const bufferTurn =
  <T>(
    turn: SchedulerLike,
    nextTurn: (fn: () => void) => void = (fn) => void turn.schedule(fn),
    max = Infinity,
  ): OperatorFunction<T, T[]> =>
  (source) =>
    new RxObservable<T[]>((subscriber) => {
      let buf: T[] = [];
      let head = 0;
      let scheduled = false;
      const flush = (): void => {
        scheduled = false;
        const waiting = buf.length - head;
        if (waiting === 0 || subscriber.closed) return;
        let out: T[];
        if (waiting > max) {
          out = buf.slice(head, head + max);
          head += max;
          if (head * 2 >= buf.length) {
            buf = buf.slice(head);
            head = 0;
          }
          scheduled = true;
          nextTurn(flush);
        } else {
          out = head === 0 ? buf : buf.slice(head);
          buf = [];
          head = 0;
        }
        subscriber.next(out);
      };
      const sub = source.subscribe({
        next: (v) => {
          buf.push(v);
          if (!scheduled) {
            scheduled = true;
            turn.schedule(flush);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });

/** One `tick` when the state's earliest deadline comes (re-armed whenever it changes). */
export const deadlineTicks = (state$: Observable<ClientState>, scheduler: SchedulerLike): Observable<ClientEvent> =>
  state$.pipe(
    map(nextDeadline),
    distinctUntilChanged(),
    switchMap((at) =>
      at === undefined
        ? EMPTY
        : timer(Math.max(0, at - scheduler.now()), scheduler).pipe(map((): ClientEvent => ({ type: 'tick', at }))),
    ),
  );

export class ClientRuntime {
  readonly state$: BehaviorSubject<ClientState>;
  private readonly events$ = new Subject<ClientEvent>();
  private readonly conns = new Map<ConnId, { conn?: Connection; sub: Subscription }>();
  private readonly pipeline = new Subscription();

  constructor(
    initial: ClientState,
    private readonly env: ClientEnv,
    private readonly sink: EffectSink,
    private readonly failed: FailureSink = () => undefined,
  ) {
    this.state$ = new BehaviorSubject(initial);
  }

  /** Start: connect to the explicit servers now and to the domain's as `servers$` reports them. */
  start(servers$: Observable<readonly ServerSpec[]>): void {
    const { scheduler, turn } = this.env;
    const events$ = merge(
      this.events$,
      servers$.pipe(map((servers): ClientEvent => ({ type: 'servers', servers }))),
      deadlineTicks(this.state$, scheduler),
    );
    this.pipeline.add(
      events$
        .pipe(
          bufferTurn<ClientEvent>(turn, this.env.nextTurn, MAX_BATCH),
          map((events): Batch => ({ now: scheduler.now(), events })),
          scan(([state], batch) => reduceAll(state, batch), [this.state$.value, []] as readonly [
            ClientState,
            readonly Effect[],
          ]),
          tap(([state, effects]) => {
            this.state$.next(state);
            this.interpret(effects);
          }),
        )
        .subscribe({
          error: (e: unknown) => {
            this.stop();
            this.failed(e);
          },
        }),
    );
  }

  /** Hand an event to the core (processed with the rest of this turn's events). */
  dispatch(ev: ClientEvent): void {
    this.events$.next(ev);
  }

  private interpret(effects: readonly Effect[]): void {
    const dirty = new Set<Connection>();
    let closed = false;
    for (const fx of effects) {
      switch (fx.type) {
        case 'connect':
          this.connect(fx.conn, fx.spec, fx.timeoutMs);
          break;
        case 'send': {
          const conn = this.conns.get(fx.conn)?.conn;
          if (conn === undefined) break;
          conn.send(encodeMessage(fx.msg));
          dirty.add(conn);
          break;
        }
        case 'close': {
          const c = this.conns.get(fx.conn);
          this.conns.delete(fx.conn);
          c?.sub.unsubscribe();
          c?.conn?.close();
          break;
        }
        case 'keepalive':
          this.conns.get(fx.conn)?.conn?.setKeepAlive(fx.on);
          break;
        case 'continue':
          this.env.nextTurn(() => this.dispatch({ type: 'continue' }));
          break;
        case 'closed':
          closed = true;
          this.sink(fx);
          break;
        default:
          this.sink(fx);
      }
    }
    for (const conn of dirty) conn.flush();
    if (closed) this.stop();
  }

  private connect(id: ConnId, spec: ServerSpec, timeoutMs: number): void {
    const entry: { conn?: Connection; sub: Subscription } = { sub: new Subscription() };
    this.conns.set(id, entry);
    entry.sub.add(
      this.env.connect(spec, timeoutMs).subscribe({
        next: (conn) => {
          entry.conn = conn;
          this.dispatch({ type: 'connected', conn: id });
          entry.sub.add(
            conn.messages$.subscribe({
              next: (data) => this.dispatch({ type: 'frame', conn: id, data }),
              complete: () => this.dispatch({ type: 'closed', conn: id, reason: 'server closed the connection' }),
              error: (e: unknown) =>
                this.dispatch({ type: 'closed', conn: id, reason: (e as Error).message ?? String(e), cause: e }),
            }),
          );
        },
        error: (e: unknown) =>
          this.dispatch({ type: 'connect-failed', conn: id, reason: (e as Error).message ?? String(e), cause: e }),
      }),
    );
  }

  /** Tear down everything (after the core closed; also safe to call on its own). */
  stop(): void {
    for (const c of this.conns.values()) {
      c.sub.unsubscribe();
      c.conn?.close();
    }
    this.conns.clear();
    this.pipeline.unsubscribe();
    this.events$.complete();
  }
}

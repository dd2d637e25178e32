/**
 * One domain at run time: its listeners' connections and the deadline timer merged into one serial event stream,
 * batched per event-loop turn, folded by the pure reducer, effects interpreted, state published; while sliced work
 * is pending a turn folds more `work` events, each one a batch of its own, within a small time budget (the loop
 * itself is ./domain-loop.ts).
 *
 *   connections$ ─ a ConnectionFeed each ─┐
 *                                         ├─ merge ─ bufferTurn ─ drainTurns(reduceAll + interpret) ─► state$
 *   state$ ─ deadlineTicks, workRequests ─┘                                                          │
 *        ▲───────────────────────────────────────────────────────────────────────────────────────────┘
 */
import { BehaviorSubject, merge, Observable, Subject, type Subscription } from './rx';

import { messageOf, PafDomainError } from '../errors';
import type { Logger } from '../log/logger';
import type { DirectoryChange } from '../state/effects';
import type { ClosedEvent, Event } from '../state/events';
import type { ConnId, DomainSettings, DomainState } from '../state/model';
import { defaultSettings, initialDomainState } from '../protocol/reducer';
import { safeReduceAll } from './safe-reduce';
import type { Connection, Listener } from '../transport/transport';
import { errnoOf } from '../transport/transport-error';
import type { Clock } from './clock';
import { ConnectionFeed, type FeedHub } from './connection-events';
import { domainLoop } from './domain-loop';
import { type Dirty, flushDirty, type InterpreterDeps, queueEffects } from './interpret';
import type { DomainObserver } from './observer';
import { DEFAULT_OUTPUT_LIMITS, OutputLimiter, type OutputLimits } from './output-limits';
import { RejectionLog } from './rejection-log';
import { warmUpWhenUsed } from './warm-up';

/** Connection lifecycle notifications for observers. */
export type ConnectionNotice =
  | { readonly type: 'accepted'; readonly conn: ConnId; readonly address: string; readonly user: string }
  | { readonly type: 'closed'; readonly conn: ConnId; readonly by: 'peer' | 'server'; readonly reason: string };

export interface DomainRuntimeOptions {
  readonly name: string | undefined;
  readonly index: number;
  readonly settings?: Partial<DomainSettings>;
  readonly clock: Clock;
  readonly seed: number;
  readonly logger?: Logger;
  /** Called with every batch of events before the reducer sees it (the event recorder). */
  readonly onEvents?: (batch: readonly Event[]) => void;
  /** Called with every message sent, encoded (the recorder's outbound log). */
  readonly onOutbound?: (conn: ConnId, json: string) => void;
  /** Observer of traffic and reducer work (metrics). */
  readonly observer?: DomainObserver;
  /**
   * Called once if the domain's pipeline itself fails (not the reducer: its failures close one connection, R15),
   * after the domain has stopped: every connection closed, the observables completed. `error.cause` is what failed.
   */
  readonly onFailure?: (error: PafDomainError) => void;
  /** Limits on each connection's queued output (slow consumers). */
  readonly outputLimits?: OutputLimits;
}

/**
 * A batch of more events than this is reduced and interpreted in parts of this many events (see `fold`): one part of
 * publishes fanned out to 100 subscribers is 6,400 notifications.
 */
export const FOLD_PART = 64;

/**
 * Test hook: `RXPAF_FAILPOINT=pipeline` in the environment makes the pipeline of every domain throw while it handles
 * the first batch that holds a message, outside the reducer's safety net (docs/protocol.md §11.5).
 */
const failpoint = (): boolean => process.env.RXPAF_FAILPOINT === 'pipeline';

export class DomainRuntime {
  readonly state$: BehaviorSubject<DomainState>;
  readonly changes$ = new Subject<DirectoryChange>();
  readonly connections$ = new Subject<ConnectionNotice>();
  private readonly conns = new Map<ConnId, Connection>();
  /**
   * The event feed of each connection whose transport has not ended it (./connection-events.ts): when the server
   * closes a connection its feed stops. A map: a shared subject filtered per connection cost every close a pass over
   * all connections (a mass disconnect of N connections: N^2).
   */
  private readonly feeds = new Map<ConnId, ConnectionFeed>();
  private serverClosed(id: ConnId): void {
    this.feeds.get(id)?.stop();
    this.feeds.delete(id);
  }
  /** Events the shell itself produces (a connection closed because a message could not be sent). */
  private readonly internal$ = new Subject<Event>();
  private nextId = 1;
  private sub: Subscription | undefined;
  private readonly limiter: OutputLimiter;
  private readonly rejections: RejectionLog | undefined;
  /** Set once the pipeline failed, before the domain stops (the public observables error with it). */
  failure: PafDomainError | undefined;

  constructor(private readonly opts: DomainRuntimeOptions) {
    this.state$ = new BehaviorSubject(
      initialDomainState({ ...defaultSettings, ...opts.settings }, opts.seed, opts.clock()),
    );
    this.limiter = new OutputLimiter(opts.outputLimits ?? DEFAULT_OUTPUT_LIMITS);
    this.rejections = opts.logger && new RejectionLog(opts.logger, this.label);
  }

  /** Start consuming the listeners' connections. */
  start(listeners: readonly Listener[]): void {
    const { clock, logger } = this.opts;
    const debug = logger?.isEnabled('debug') === true;
    const { received, reduced } = this.opts.observer ?? {};
    const failAtMessage = failpoint();
    // every connection's events, through one feed object per connection into this one stream
    const accepted$ = new Observable<Event>((subscriber) => {
      const hub: FeedHub = {
        clock,
        emit: (e) => subscriber.next(e),
        ended: (id) => this.feeds.delete(id),
        onInbound:
          debug || received !== undefined
            ? (cid, bytes) => {
                received?.(bytes.length);
                if (debug)
                  logger.debug('protocol', 'in', {
                    domain: this.label,
                    conn: cid,
                    msg: Buffer.from(bytes).toString(),
                  });
              }
            : undefined,
        onTransportError: (cid, conn, error) => {
          if (errnoOf(error) === 'EPROTO')
            this.rejections?.reject('warning', 'protocol', 'closing connection', {
              conn: cid,
              address: conn.remoteAddress,
              reason: `framing error: ${error instanceof Error ? error.message : String(error)}`,
            });
        },
      };
      return merge(...listeners.map((l) => l.connections$)).subscribe({
        next: (conn) => {
          const id = this.nextId++;
          this.conns.set(id, conn);
          conn.onOutputBlocked = (blocked) => {
            if (this.conns.get(id) === conn)
              this.internal$.next({ type: blocked ? 'output-blocked' : 'output-drained', now: clock(), conn: id });
          };
          this.connections$.next({ type: 'accepted', conn: id, address: conn.remoteAddress, user: conn.userId });
          const feed = new ConnectionFeed(id, conn, hub);
          this.feeds.set(id, feed);
          feed.start();
        },
        error: (e: unknown) => subscriber.error(e),
        // the listeners closed: the connections they accepted still feed this stream (it ends with the domain)
      });
    });
    let state = this.state$.value;
    const deps = this.interpreterDeps();
    // one batch: reduce, interpret its effects, publish the state (a turn folds its inputs, then more work slices).
    // A big batch is reduced and interpreted in parts of FOLD_PART events and flushed once at its end: the same
    // state, effects and output as in one piece (reduceAll is per event), but only one part's effects and messages
    // are alive at a time (one read of a publisher with 100 subscribers: 30,000 notifications at once otherwise)
    const fold = (batch: Event[]): DomainState => {
      this.opts.onEvents?.(batch);
      const dirty: Dirty = new Map();
      let next = state;
      for (let i = 0; i < batch.length; i += FOLD_PART) {
        const part = batch.length <= FOLD_PART ? batch : batch.slice(i, i + FOLD_PART);
        const t0 = reduced && performance.now();
        const [s, fx] = safeReduceAll(next, part, logger, this.label);
        const seconds = t0 === undefined ? 0 : (performance.now() - t0) / 1000;
        if (i === 0) {
          if (failAtMessage && batch.some((e) => e.type === 'message')) throw new Error('RXPAF_FAILPOINT=pipeline');
          // connections gone in this batch first: nothing is encoded or queued for them (a mass disconnect)
          for (const e of batch) if (e.type === 'closed') this.peerClosed(e);
        }
        queueEffects(fx, deps, dirty);
        reduced?.(part, fx, seconds);
        next = s;
      }
      flushDirty(dirty, deps);
      state = next;
      if (next !== this.state$.value) this.state$.next(next);
      warmUpWhenUsed(next, clock); // (the daemon's, once: ./warm-up.ts)
      return next;
    };
    this.sub = domainLoop(merge(accepted$, this.internal$), this.state$, fold, clock).subscribe({
      error: (e: unknown) => this.fail(e),
    });
  }

  /** The pipeline failed: stop this domain in order (as at shutdown), then report it. */
  private fail(error: unknown): void {
    this.opts.logger?.critical('internal', 'domain pipeline failed', { domain: this.label, error: messageOf(error) });
    this.failure = new PafDomainError(this.opts.index, this.opts.name, error);
    try {
      this.stop();
    } catch (again) {
      // the reducer failed too: still close every connection and end the observables
      this.opts.logger?.critical('internal', 'domain stop failed', { domain: this.label, error: messageOf(again) });
      this.closeAll();
      this.state$.complete();
      this.changes$.complete();
      this.connections$.complete();
    }
    this.opts.onFailure?.(this.failure);
  }

  /** Close every connection still open, each with a `closed` notice (reason `shutdown`). */
  private closeAll(): void {
    const open = [...this.conns];
    this.conns.clear();
    for (const [id, c] of open) {
      this.limiter.forget(id);
      c.close();
      this.connections$.next({ type: 'closed', conn: id, by: 'server', reason: 'shutdown' });
    }
  }

  private get label(): string {
    return this.opts.name ?? String(this.opts.index);
  }

  /** What the effect interpreter works with (built once: a fold makes no closures). */
  private interpreterDeps(): InterpreterDeps {
    return {
      conns: this.conns,
      onServerClose: (id, reason) => {
        this.limiter.forget(id);
        this.serverClosed(id);
        this.connections$.next({ type: 'closed', conn: id, by: 'server', reason });
      },
      changes$: this.changes$,
      logger: this.opts.logger,
      domain: this.label,
      onOutbound: this.opts.observer?.sent
        ? (id, json) => {
            this.opts.onOutbound?.(id, json);
            this.opts.observer!.sent!(json);
          }
        : this.opts.onOutbound,
      limiter: this.limiter,
      now: this.opts.clock,
      rejections: this.rejections,
      onSlowConsumer: (id, verdict) => {
        this.limiter.forget(id);
        this.serverClosed(id);
        this.connections$.next({ type: 'closed', conn: id, by: 'server', reason: 'slow consumer' });
        this.opts.logger?.warning('core', 'closing connection', {
          domain: this.label,
          conn: id,
          reason: 'slow consumer',
          limit: verdict.limit,
          pendingBytes: verdict.pendingBytes,
        });
        this.internal$.next({ type: 'closed', now: this.opts.clock(), conn: id, cause: 'slow-consumer' });
      },
      onSendFailed: (id, error) => {
        this.limiter.forget(id);
        this.serverClosed(id);
        this.connections$.next({ type: 'closed', conn: id, by: 'server', reason: 'message could not be sent' });
        this.opts.logger?.warning('protocol', 'closing connection: message could not be sent', {
          domain: this.label,
          conn: id,
          error: String(error),
        });
        this.internal$.next({ type: 'closed', now: this.opts.clock(), conn: id, cause: 'transport-error' });
      },
    };
  }

  private peerClosed(e: ClosedEvent): void {
    const c = this.conns.get(e.conn);
    if (c === undefined) return;
    this.conns.delete(e.conn);
    this.limiter.forget(e.conn);
    c.close();
    this.connections$.next({ type: 'closed', conn: e.conn, by: 'peer', reason: e.cause });
  }

  /**
   * Shutdown (§11.5): every connection is terminated with client-disconnect processing; nothing is flushed. Each
   * one still open is reported on `connections$` as `closed` by the server with reason `shutdown`, and counted by the
   * observer like any batch, before the observables complete.
   */
  stop(): void {
    this.sub?.unsubscribe();
    for (const feed of this.feeds.values()) feed.stop();
    this.feeds.clear();
    this.rejections?.summarise();
    const now = this.opts.clock();
    const batch: Event[] = [...this.conns.keys()].map((conn): ClosedEvent => ({
      type: 'closed',
      now,
      conn,
      cause: 'shutdown',
    }));
    this.opts.onEvents?.(batch);
    const reduced = batch.length === 0 ? undefined : this.opts.observer?.reduced;
    const t0 = reduced && performance.now();
    // through the same safety net as every batch (R15): a reducer failure on one connection's close still lets the
    // others close, the sockets close and the observables complete
    const [next, fx] = safeReduceAll(this.state$.value, batch, this.opts.logger, this.label);
    const seconds = t0 === undefined ? 0 : (performance.now() - t0) / 1000;
    for (const f of fx) if (f.type === 'change') this.changes$.next(f.change);
    this.closeAll();
    try {
      reduced?.(batch, fx, seconds);
    } catch (e) {
      // an observer failing at shutdown must not keep the observables open
      this.opts.logger?.critical('internal', 'observer failed at shutdown', {
        domain: this.label,
        error: messageOf(e),
      });
    }
    this.state$.next(next);
    this.state$.complete();
    this.changes$.complete();
    this.connections$.complete();
  }
}

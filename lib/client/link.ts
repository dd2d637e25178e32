/**
 * A link to one server (§13.2, §13.3): connect, handshake, and on any loss reconnect after a jittered exponential
 * back-off. The owner learns about sessions coming up and going down through hooks and sees the state as an
 * observable.
 *
 * @example
 * const link = new Link({ address: 'tcp:127.0.0.1:4711' }, linkOpts, { up: (s) => sync(s), down: () => {} });
 * link.start();
 * link.state$.subscribe((s) => console.log(s.state));
 */
import { BehaviorSubject } from 'rxjs';

import { connect } from '../transport/connect';
import { nextReconnectDelay } from './backoff';
import { PafConnectionError } from './errors';
import { effectiveMaxIdle } from './liveness';
import { Session } from './session';
import type { ConnectionState, ServerSpec } from './types';

/** Client-wide settings a link needs (seconds). */
export interface LinkOptions {
  readonly clientId: bigint;
  readonly reconnectMin: number;
  readonly reconnectMax: number;
  readonly idleMin: number;
  readonly idleMax: number;
  readonly maxInFlight: number;
  /** TTLs of the client's own services (for the max idle time, §13.4). */
  readonly ttls: () => Iterable<number>;
  readonly random?: () => number;
}

export interface LinkHooks {
  /** A session completed its handshake. */
  up(link: Link, session: Session): void;
  /** The session went down (only called after `up`). */
  down(link: Link, session: Session, err: Error): void;
}

export class Link {
  readonly state$: BehaviorSubject<ConnectionState>;
  session: Session | undefined;
  private delay = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt: Session | undefined;

  constructor(
    readonly spec: ServerSpec,
    private readonly opts: LinkOptions,
    private readonly hooks: LinkHooks,
  ) {
    this.state$ = new BehaviorSubject<ConnectionState>({ address: spec.address, state: 'disconnected' });
  }

  get address(): string {
    return this.spec.address;
  }

  private get idleMin(): number {
    return this.spec.minIdleTime ?? this.opts.idleMin;
  }

  /** Start connecting (idempotent). */
  start(): void {
    if (this.stopped || this.attempt !== undefined || this.timer !== undefined) return;
    void this.connectOnce();
  }

  private async connectOnce(): Promise<void> {
    this.state$.next({ address: this.address, state: 'connecting' });
    const deadline = Date.now() + this.idleMin * 1000;
    let session: Session | undefined;
    try {
      const conn = await connect(this.address, {
        tls: this.spec.tls,
        localAddress: this.spec.localAddress,
        timeoutMs: this.idleMin * 1000,
      });
      if (this.stopped) {
        conn.close();
        return;
      }
      session = new Session(
        conn,
        {
          clientId: this.opts.clientId,
          minVersion: this.spec.minProtocolVersion ?? 2,
          maxVersion: this.spec.maxProtocolVersion ?? 3,
          maxInFlight: this.opts.maxInFlight,
          maxIdle: () => effectiveMaxIdle(this.opts.ttls(), this.idleMin, this.spec.maxIdleTime ?? this.opts.idleMax),
          random: this.opts.random,
        },
        (err) => this.onSessionClosed(session!, err),
      );
      this.attempt = session;
      await session.handshake(deadline);
    } catch (e) {
      const err = e instanceof Error ? e : new PafConnectionError(String(e));
      session?.close(err);
      this.attempt = undefined;
      if (!this.stopped) this.retry(err);
      return;
    }
    this.attempt = undefined;
    if (this.stopped) return session.close();
    this.delay = 0;
    this.session = session;
    this.state$.next({ address: this.address, state: 'connected', protocolVersion: session.version });
    this.hooks.up(this, session);
  }

  private onSessionClosed(session: Session, err: Error): void {
    if (this.session !== session) return; // handshake failures are handled by connectOnce
    this.session = undefined;
    this.hooks.down(this, session, err);
    if (!this.stopped) this.retry(err);
  }

  private retry(err: Error): void {
    this.state$.next({ address: this.address, state: 'disconnected', error: err });
    this.delay = nextReconnectDelay(this.delay, this.opts.reconnectMin, this.opts.reconnectMax, Math.random());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.delay * 1000);
  }

  /** Drop the current session (libpaf restarts a link after any `fail`); it reconnects after the back-off. */
  restart(err: Error): void {
    this.session?.close(err);
  }

  /** Stop for good: close the session, cancel retries, complete the state. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.attempt?.close(new PafConnectionError(`${this.address}: client closed`));
    const s = this.session;
    this.session = undefined;
    if (s !== undefined) {
      s.close(new PafConnectionError(`${this.address}: client closed`));
      this.hooks.down(this, s, new PafConnectionError(`${this.address}: client closed`));
    }
    this.state$.next({ address: this.address, state: 'disconnected' });
    this.state$.complete();
  }
}

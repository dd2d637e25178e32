/**
 * One live connection to a server: hello (greeting timeout), v3 `track` with client-side liveness (§13.4),
 * answering server track queries, and request helpers on top of the transaction table. A session never reconnects;
 * the {@link Link} owning it does.
 *
 * @example
 * const s = new Session(await connect('tcp:127.0.0.1:4711'), opts, (err) => console.log('down', err.message));
 * await s.handshake(Date.now() + 4000);
 * const latencyMs = await s.ping();
 */
import * as E from 'fp-ts/Either';
import { Subject } from 'rxjs';

import { encodeMessage } from '../codec/encode';
import { parseJson, type JsonObject } from '../codec/json';
import type { Command } from '../codec/messages';
import type { Connection } from '../transport/transport';
import { PafConnectionError, PafRequestError } from './errors';
import { probeDelay, replyTimeout } from './liveness';
import { TransactionTable, type ServerMsg, type TxHandlers } from './transactions';

export interface SessionOptions {
  readonly clientId: bigint;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly maxInFlight: number;
  /** Current max idle time in seconds (depends on the services published, §13.4). */
  readonly maxIdle: () => number;
  readonly random?: () => number;
}

export class Session {
  version: 2 | 3 = 3;
  private readonly tx: TransactionTable;
  private closedWith: Error | undefined;
  private flushScheduled = false;
  private lastActivity = Date.now();
  private lastProbe = 0;
  private trackTaId: bigint | undefined;
  private trackAccepted = false;
  private query: { sentAt: number; timer: NodeJS.Timeout; waiters: Array<(ms: number) => void> } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** Server track queries (answered automatically), for tools that want to log them. */
  readonly serverQueries$ = new Subject<void>();

  constructor(
    readonly conn: Connection,
    private readonly opts: SessionOptions,
    private readonly onClose: (err: Error) => void,
  ) {
    this.tx = new TransactionTable(
      (m) => this.send(m),
      opts.maxInFlight,
      () => this.version,
    );
    conn.messages$.subscribe({
      next: (b) => this.onMessage(b),
      complete: () => this.close(new PafConnectionError(`${conn.remoteAddress}: server closed the connection`)),
      error: (e: Error) => this.close(new PafConnectionError(`${conn.remoteAddress}: ${e.message}`, { cause: e })),
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  private send(m: Record<string, unknown>): void {
    if (this.closed) return;
    this.conn.send(encodeMessage(m));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.closed) this.conn.flush();
    });
  }

  private onMessage(bytes: Uint8Array): void {
    this.lastActivity = Date.now();
    const j = parseJson(bytes);
    if (E.isLeft(j) || typeof j.right !== 'object' || j.right === null || Array.isArray(j.right)) {
      this.close(new PafConnectionError(`${this.conn.remoteAddress}: protocol error: unparsable message`));
      return;
    }
    const err = this.tx.dispatch(j.right as JsonObject);
    if (err !== undefined) this.close(new PafConnectionError(`${this.conn.remoteAddress}: protocol error: ${err}`));
  }

  /** Raw transaction start (notifications via handlers). */
  start(cmd: Command, fields: Record<string, unknown>, handlers: TxHandlers, bounded = false): bigint {
    if (this.closedWith !== undefined) {
      handlers.lost?.(this.closedWith);
      return -1n;
    }
    return this.tx.start(cmd, fields, handlers, bounded);
  }

  /** Stop reporting a transaction's messages. */
  forget(taId: bigint): void {
    this.tx.forget(taId);
  }

  /** A request answered by `complete` (single-response) or by accept, notifies and complete (multi-response). */
  request(cmd: Command, fields: Record<string, unknown> = {}, bounded = false): Promise<ServerMsg[]> {
    return new Promise((resolve, reject) => {
      const notes: ServerMsg[] = [];
      this.start(
        cmd,
        fields,
        {
          notify: (m) => notes.push(m),
          complete: (m) => resolve(cmd === 'hello' ? [m] : notes),
          fail: (reason) => reject(new PafRequestError(cmd, reason)),
          lost: (err) => reject(err),
        },
        bounded,
      );
    });
  }

  /** hello, then (v3) track; rejects on fail, on a closed connection or when `deadline` (ms epoch) passes. */
  async handshake(deadline: number): Promise<void> {
    const timer = setTimeout(
      () => this.close(new PafConnectionError(`${this.conn.remoteAddress}: greeting timeout`)),
      Math.max(0, deadline - Date.now()),
    );
    try {
      const [complete] = await this.request('hello', {
        'client-id': this.opts.clientId,
        'protocol-minimum-version': BigInt(this.opts.minVersion),
        'protocol-maximum-version': BigInt(this.opts.maxVersion),
      });
      this.version = Number(complete!['protocol-version']) === 2 ? 2 : 3;
    } finally {
      clearTimeout(timer);
    }
    this.conn.setKeepAlive(this.version === 2);
    if (this.version === 3) this.startTrack();
  }

  private startTrack(): void {
    this.trackTaId = this.start(
      'track',
      {},
      {
        accept: () => (this.trackAccepted = true),
        notify: (m) => {
          if (m['track-type'] === 'query') {
            this.tx.inform(this.trackTaId!, { 'track-type': 'reply' });
            this.serverQueries$.next();
          } else this.onReply();
        },
        fail: (reason) => this.close(new PafRequestError('track', reason)),
      },
    );
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    const maxIdle = this.opts.maxIdle();
    const due =
      Math.max(this.lastActivity, this.lastProbe) + probeDelay(maxIdle, (this.opts.random ?? Math.random)()) * 1000;
    this.probeTimer = setTimeout(
      () => {
        if (this.closed) return;
        if (Date.now() < due) return this.scheduleProbe();
        if (!this.trackAccepted)
          return this.close(new PafConnectionError(`${this.conn.remoteAddress}: track not accepted`));
        if (this.query === undefined) this.sendQuery(maxIdle);
        this.lastProbe = Date.now();
        this.scheduleProbe();
      },
      Math.max(0, due - Date.now()),
    );
  }

  private sendQuery(maxIdle: number): void {
    const timer = setTimeout(
      () => this.close(new PafConnectionError(`${this.conn.remoteAddress}: no reply to track query`)),
      replyTimeout(maxIdle) * 1000,
    );
    this.query = { sentAt: Date.now(), timer, waiters: [] };
    this.tx.inform(this.trackTaId!, { 'track-type': 'query' });
  }

  private onReply(): void {
    const q = this.query;
    if (q === undefined) return;
    this.query = undefined;
    clearTimeout(q.timer);
    const ms = Date.now() - q.sentAt;
    q.waiters.forEach((w) => w(ms));
  }

  /** Send a track query (or join the outstanding one); resolves with the round-trip time in ms. v3 only. */
  trackQuery(): Promise<number> {
    if (this.version !== 3 || this.trackTaId === undefined)
      return Promise.reject(new PafRequestError('track', 'track requires protocol version 3'));
    if (this.query === undefined) this.sendQuery(this.opts.maxIdle());
    return new Promise((resolve) => this.query!.waiters.push(resolve));
  }

  /** Round-trip time of a `ping` in ms. */
  async ping(): Promise<number> {
    const t0 = process.hrtime.bigint();
    await this.request('ping');
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }

  /** Close the connection (idempotent); open transactions are told `lost`. */
  close(err: Error = new PafConnectionError(`${this.conn.remoteAddress}: closed`)): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = err;
    clearTimeout(this.probeTimer);
    if (this.query !== undefined) clearTimeout(this.query.timer);
    this.conn.close();
    this.tx.closeAll(err);
    this.serverQueries$.complete();
    this.onClose(err);
  }
}

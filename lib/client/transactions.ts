/**
 * The client side of a connection's transaction table (§4.3): ta-id allocation, dispatch of server messages to the
 * transaction they belong to (validated with the server→client codecs of the negotiated version), and a bound on
 * the number of "bounded" transactions awaiting their first response (libpaf's MAX_SYNCING_UNSYNCING_RELAYS); the
 * rest wait in a FIFO queue.
 *
 * @example
 * const table = new TransactionTable((m) => conn.send(encodeMessage(m)), 32, () => 3);
 * table.start('ping', {}, { complete: () => console.log('pong') });
 */
import * as E from 'fp-ts/Either';

import type { JsonObject } from '../codec/json';
import { outboundCodecs, type Command, type MsgType } from '../codec/messages';

/** A decoded server message (wire field names). */
export type ServerMsg = Readonly<Record<string, unknown>>;

/** Callbacks of one transaction. `lost` is called if the connection closes while the transaction is open. */
export interface TxHandlers {
  accept?(): void;
  notify?(m: ServerMsg): void;
  complete?(m: ServerMsg): void;
  fail?(reason: string | undefined): void;
  lost?(err: Error): void;
}

interface Tx {
  readonly cmd: Command;
  handlers: TxHandlers;
  readonly bounded: boolean;
  /** A first response (accept, complete or fail) arrived. */
  answered: boolean;
  accepted: boolean;
}

interface Queued {
  readonly taId: bigint;
  readonly msg: Record<string, unknown>;
  readonly tx: Tx;
}

const MULTI: ReadonlySet<Command> = new Set(['subscribe', 'services', 'subscriptions', 'clients', 'track']);

export class TransactionTable {
  private readonly open = new Map<bigint, Tx>();
  private readonly queue: Queued[] = [];
  private nextId = 0n;
  private inFlight = 0;

  constructor(
    private readonly send: (msg: Record<string, unknown>) => void,
    private readonly maxInFlight: number,
    private readonly version: () => 2 | 3,
  ) {}

  /** Number of open transactions (including queued ones). */
  get size(): number {
    return this.open.size;
  }

  /** Start a transaction; returns its ta-id. Bounded transactions may be queued until others are answered. */
  start(cmd: Command, fields: Record<string, unknown>, handlers: TxHandlers, bounded = false): bigint {
    const taId = this.nextId++;
    const tx: Tx = { cmd, handlers, bounded, answered: false, accepted: false };
    this.open.set(taId, tx);
    const msg = { 'ta-cmd': cmd, 'ta-id': taId, 'msg-type': 'request', ...fields };
    if (bounded && this.inFlight >= this.maxInFlight) this.queue.push({ taId, msg, tx });
    else this.emit(msg, tx);
    return taId;
  }

  /** Send an `inform` on an open (two-way) transaction. */
  inform(taId: bigint, fields: Record<string, unknown>): void {
    const tx = this.open.get(taId);
    if (tx !== undefined) this.send({ 'ta-cmd': tx.cmd, 'ta-id': taId, 'msg-type': 'inform', ...fields });
  }

  private emit(msg: Record<string, unknown>, tx: Tx): void {
    if (tx.bounded) this.inFlight++;
    this.send(msg);
  }

  private answered(tx: Tx): void {
    if (tx.answered) return;
    tx.answered = true;
    if (!tx.bounded) return;
    this.inFlight--;
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const q = this.queue.shift()!;
      this.emit(q.msg, q.tx);
    }
  }

  /** Route one server message; returns a protocol error text if it does not fit any open transaction. */
  dispatch(o: JsonObject): string | undefined {
    const taId = o['ta-id'];
    const cmd = o['ta-cmd'];
    const msgType = o['msg-type'];
    if (typeof taId !== 'bigint') return "missing or invalid 'ta-id'";
    const tx = this.open.get(taId);
    if (tx === undefined) return `message for unknown transaction ${taId}`;
    if (cmd !== tx.cmd) return `'ta-cmd' ${String(cmd)} does not match transaction ${taId} (${tx.cmd})`;
    const codec = outboundCodecs(this.version())[tx.cmd][msgType as MsgType];
    if (codec === undefined) return `unexpected 'msg-type' ${String(msgType)} for ${tx.cmd}`;
    const r = codec.decode(o);
    if (E.isLeft(r)) return `invalid ${tx.cmd} ${String(msgType)} message`;
    const m = r.right as ServerMsg;
    switch (msgType) {
      case 'accept':
        if (!MULTI.has(tx.cmd) || tx.accepted) return `unexpected accept for ${tx.cmd}`;
        tx.accepted = true;
        this.answered(tx);
        tx.handlers.accept?.();
        return undefined;
      case 'notify':
        if (!tx.accepted) return `notify before accept for ${tx.cmd}`;
        tx.handlers.notify?.(m);
        return undefined;
      case 'complete':
        if (MULTI.has(tx.cmd) && !tx.accepted && tx.cmd !== 'track') return `complete before accept for ${tx.cmd}`;
        this.open.delete(taId);
        this.answered(tx);
        tx.handlers.complete?.(m);
        return undefined;
      case 'fail':
        this.open.delete(taId);
        this.answered(tx);
        tx.handlers.fail?.(m['fail-reason'] as string | undefined);
        return undefined;
      default:
        return `unexpected 'msg-type' ${String(msgType)}`;
    }
  }

  /** Stop reporting a transaction's messages (e.g. an abandoned one-shot request); it is still tracked to the end. */
  forget(taId: bigint): void {
    const tx = this.open.get(taId);
    if (tx !== undefined) tx.handlers = {};
  }

  /** The connection is gone: every open transaction learns it (`lost`), the table is emptied. */
  closeAll(err: Error): void {
    const txs = [...this.open.values()];
    this.open.clear();
    this.queue.length = 0;
    this.inFlight = 0;
    for (const tx of txs) tx.handlers.lost?.(err);
  }
}

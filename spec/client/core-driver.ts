/**
 * A driver for the pure client core: feeds `reduceAll` batches and plays the servers' side of the protocol from
 * the effects (connect, hello, subscribe, publish, ...), so specs can run whole scenarios — several servers, their
 * directories, disconnects, reconnects, time passing — without sockets or timers.
 */
import { encodeMessage } from '../../lib/codec/encode';
import { parseJson } from '../../lib/codec/json';
import type { Effect } from '../../lib/client/core/effects';
import type { ClientEvent } from '../../lib/client/core/events';
import { resolveOptions } from '../../lib/client/core/options';
import { toWireProps } from '../../lib/client/core/props';
import { nextDeadline, reduceAll } from '../../lib/client/core/reducer';
import { initialState, type ClientState, type ConnId } from '../../lib/client/core/state';
import type { ClientOptions, ServerSpec } from '../../lib/client/core/types';
import type { Match } from '../../lib/model';

/** A service as a fake server holds it. */
export interface DirEntry {
  readonly id: bigint;
  readonly generation: bigint;
  readonly ttl: number;
  readonly clientId: bigint;
  readonly orphanSince?: number;
}

/** One fake server: whether it accepts connections, answers at all, and its directory. */
export class FakeServerSide {
  accepting = true;
  /** Answer messages (false: a hung server). */
  answering = true;
  version: 2 | 3 = 2;
  readonly dir = new Map<bigint, DirEntry>();
  conn: ConnId | undefined;
  /** Open subscription transactions on the current connection: ta-id → subscription id. */
  readonly subs = new Map<number, bigint>();
  /** Every message the client sent on any connection to this server. */
  readonly received: Array<Record<string, unknown>> = [];

  constructor(readonly address: string) {}
}

const notifyOf = (ta: number, type: 'appeared' | 'modified', e: DirEntry): Record<string, unknown> => {
  const m: Record<string, unknown> = {
    'ta-cmd': 'subscribe',
    'ta-id': ta,
    'msg-type': 'notify',
    'match-type': type,
    'service-id': e.id,
    generation: e.generation,
    'service-props': toWireProps({ name: 'svc' }),
    ttl: BigInt(e.ttl),
    'client-id': e.clientId,
  };
  if (e.orphanSince !== undefined) m['orphan-since'] = e.orphanSince;
  return m;
};

export class CoreDriver {
  state: ClientState;
  now = 0;
  /** Every effect so far. */
  readonly effects: Effect[] = [];
  readonly servers: FakeServerSide[];
  private readonly queue: ClientEvent[] = [];
  /** Called with every batch before the core sees it. */
  observe: ((batch: readonly ClientEvent[]) => void) | undefined;
  /** Called with the effects of every batch. */
  onEffects: ((fx: readonly Effect[]) => void) | undefined;
  /** Answer `continue` effects at once (as the shell does on the next turn); false leaves it to the spec. */
  autoContinue = true;

  constructor(addresses: readonly string[], options: ClientOptions = {}, seed = 1, version: 2 | 3 = 2) {
    this.servers = addresses.map((a) => new FakeServerSide(a));
    for (const s of this.servers) s.version = version;
    const servers: ServerSpec[] = addresses.map((address) => ({ address }));
    this.state = initialState({ clientId: 1000n, options: resolveOptions(options, {}), servers, seed });
    this.run([{ type: 'servers', servers: [] }]);
  }

  server(address: string): FakeServerSide {
    return this.servers.find((s) => s.address === address)!;
  }

  /** Feed events (as one batch), then everything the fake servers answer, until quiet. */
  run(events: readonly ClientEvent[]): Effect[] {
    const produced: Effect[] = [];
    this.queue.push(...events);
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      this.observe?.(batch);
      const [state, fx] = reduceAll(this.state, { now: this.now, events: batch });
      this.state = state;
      this.onEffects?.(fx);
      produced.push(...fx);
      this.effects.push(...fx);
      for (const e of fx) this.play(e);
    }
    return produced;
  }

  /** Let time pass to `t` (ms), handling every deadline on the way. */
  advanceTo(t: number): Effect[] {
    const produced: Effect[] = [];
    for (;;) {
      const at = nextDeadline(this.state);
      if (at === undefined || at > t) break;
      this.now = Math.max(this.now, at);
      produced.push(...this.run([{ type: 'tick', at }]));
    }
    this.now = Math.max(this.now, t);
    return produced;
  }

  /** Matches of subscription `key` in the given effects. */
  static matches(fx: readonly Effect[], key: string): Match[] {
    return fx.flatMap((e) => (e.type === 'matches' && e.key === key ? e.changes : []));
  }

  private frame(conn: ConnId, m: Record<string, unknown>): void {
    this.queue.push({ type: 'frame', conn, data: encodeMessage(m) });
  }

  /** The server changes its directory; subscribers on a live connection are notified. */
  upsert(address: string, e: DirEntry): void {
    const s = this.server(address);
    const known = s.dir.has(e.id);
    s.dir.set(e.id, e);
    if (s.conn === undefined || !s.answering) return;
    for (const ta of s.subs.keys()) this.frame(s.conn, notifyOf(ta, known ? 'modified' : 'appeared', e));
    this.run([]);
  }

  remove(address: string, id: bigint): void {
    const s = this.server(address);
    if (!s.dir.delete(id) || s.conn === undefined || !s.answering) return;
    for (const ta of s.subs.keys())
      this.frame(s.conn, {
        'ta-cmd': 'subscribe',
        'ta-id': ta,
        'msg-type': 'notify',
        'match-type': 'disappeared',
        'service-id': id,
      });
    this.run([]);
  }

  /** The server's side of the connection goes away. */
  drop(address: string, reason = 'server closed the connection'): Effect[] {
    const s = this.server(address);
    const conn = s.conn;
    s.conn = undefined;
    s.subs.clear();
    return conn === undefined ? [] : this.run([{ type: 'closed', conn, reason }]);
  }

  private play(e: Effect): void {
    switch (e.type) {
      case 'connect': {
        const s = this.server(e.spec.address);
        if (!s.accepting) {
          this.queue.push({ type: 'connect-failed', conn: e.conn, reason: 'connection refused' });
          return;
        }
        s.conn = e.conn;
        s.subs.clear();
        this.queue.push({ type: 'connected', conn: e.conn });
        return;
      }
      case 'continue':
        if (this.autoContinue) this.queue.push({ type: 'continue' });
        return;
      case 'close':
        for (const s of this.servers)
          if (s.conn === e.conn) {
            s.conn = undefined;
            s.subs.clear();
          }
        return;
      case 'send': {
        const s = this.servers.find((x) => x.conn === e.conn);
        if (s === undefined) return;
        const m = (parseJson(encodeMessage(e.msg)) as { right: Record<string, unknown> }).right;
        s.received.push(m);
        if (s.answering) this.answer(s, e.conn, m);
        return;
      }
      default:
        return;
    }
  }

  private answer(s: FakeServerSide, conn: ConnId, m: Record<string, unknown>): void {
    const ta = Number(m['ta-id']);
    const cmd = m['ta-cmd'] as string;
    const reply = (type: string, fields: Record<string, unknown> = {}): void =>
      this.frame(conn, { 'ta-cmd': cmd, 'ta-id': ta, 'msg-type': type, ...fields });
    if (m['msg-type'] === 'inform') {
      if (m['track-type'] === 'query') reply('notify', { 'track-type': 'reply' });
      return;
    }
    switch (cmd) {
      case 'hello':
        return reply('complete', { 'protocol-version': BigInt(s.version) });
      case 'track':
        return reply('accept');
      case 'subscribe':
        reply('accept');
        s.subs.set(ta, m['subscription-id'] as bigint);
        for (const e of s.dir.values()) this.frame(conn, notifyOf(ta, 'appeared', e));
        return;
      case 'unsubscribe': {
        const id = m['subscription-id'] as bigint;
        for (const [t, sid] of s.subs)
          if (sid === id) {
            s.subs.delete(t);
            this.frame(conn, { 'ta-cmd': 'subscribe', 'ta-id': t, 'msg-type': 'complete' });
          }
        return reply('complete');
      }
      case 'services':
      case 'clients':
      case 'subscriptions':
        reply('accept');
        return reply('complete');
      default:
        return reply('complete');
    }
  }
}

/** Event builders and a tiny driver for reducer specs: tests show only the fields that matter. */
import { decodeClientMessage } from '../../lib/codec/decode';
import { encodeMessage } from '../../lib/codec/encode';
import type { ClientMessage } from '../../lib/codec/messages';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import { nextDeadline } from '../../lib/state/idle';
import type { DomainSettings, DomainState, TransportKind } from '../../lib/state/model';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { type CloseRule, hasWork, SLICE } from '../../lib/state/work';

export const T0 = 1_700_000_000;

/** Decode a message from JSON text, so specs read like the wire. */
export const wire = (json: string): ClientMessage => {
  const r = decodeClientMessage(json);
  if (r._tag === 'Left') throw new Error(`bad test message: ${r.left.reason}`);
  return r.right;
};

/** A JSON value as a test writes it; bigints become exact integer literals. */
export type JsonIn = string | number | bigint | boolean | null | JsonIn[] | { [k: string]: JsonIn };

/** JSON text of a value, bigints as integer literals. */
export const toJson = (v: JsonIn): string => {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(toJson).join(',') + ']';
  if (v !== null && typeof v === 'object')
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => JSON.stringify(k) + ':' + toJson(x))
        .join(',') +
      '}'
    );
  return JSON.stringify(v);
};

/** A request message as JSON text. */
export const request = (cmd: string, taId: number | bigint, fields: Record<string, JsonIn> = {}): string =>
  toJson({ 'ta-cmd': cmd, 'ta-id': taId, 'msg-type': 'request', ...fields });

export interface Sent {
  /** Seconds since T0 at which the message was produced. */
  readonly at: number;
  readonly msg: Record<string, unknown>;
}

/** A reducer driven step by step, collecting wire output per connection as JSON text. */
export class Domain {
  state: DomainState;
  now = T0;
  readonly log: Array<{ conn: number; json: string; at: number }> = [];
  readonly effects: Effect[] = [];
  /** Every event fed so far, for replays. */
  readonly events: Event[] = [];
  /** Close effects with the time (seconds since T0) they were produced. */
  readonly closeLog: Array<{ conn: number; at: number; reason: string }> = [];
  /** How closes are folded (lib/state/work.ts `CloseRule`): the server's unless set (a replay of an older log's). */
  closeRule: CloseRule | undefined;
  /** `slice`: the work budget of each reducer call (small values make every directory-sized job sliced). */
  constructor(
    settings: Partial<DomainSettings> = {},
    seed = 7,
    readonly slice = SLICE,
  ) {
    this.state = initialDomainState({ ...defaultSettings, ...settings }, seed, T0);
  }
  step(e: Event): readonly Effect[] {
    const [s, fx] = reduceAll(this.state, [e], this.slice, undefined, false, this.closeRule);
    this.state = s;
    this.events.push(e);
    this.effects.push(...fx);
    const at = e.now - T0;
    for (const f of fx) {
      if (f.type === 'send') this.log.push({ conn: f.conn, json: encodeMessage(f.msg), at });
      if (f.type === 'close') this.closeLog.push({ conn: f.conn, at, reason: f.reason });
    }
    return fx;
  }
  /**
   * Advance virtual time to T0 + `t`, firing every deadline on the way at its own time (as the shell's deadline
   * ticks do), then tick at `t` itself.
   */
  at(t: number): this {
    const target = T0 + t;
    if (target < this.now) throw new Error(`time runs backwards: at(${t}) after ${this.now - T0}`);
    for (;;) {
      const due = nextDeadline(this.state);
      if (due === undefined || due > target || due <= this.now) break;
      this.now = due;
      this.step({ type: 'tick', now: due });
    }
    this.now = target;
    this.step({ type: 'tick', now: this.now });
    return this;
  }
  /** Advance to T0 + `t` with a single tick (no intermediate deadline ticks). */
  jump(t: number): this {
    this.now = T0 + t;
    this.step({ type: 'tick', now: this.now });
    return this;
  }
  /** Seconds since T0. */
  get t(): number {
    return this.now - T0;
  }
  accept(conn: number, opts: { user?: string; transport?: TransportKind; address?: string } = {}): this {
    this.step({
      type: 'accepted',
      now: this.now,
      conn,
      address: opts.address ?? `tcp:127.0.0.1:${40000 + conn}`,
      user: opts.user ?? 'ip:127.0.0.1',
      transport: opts.transport ?? 'tcp',
    });
    return this;
  }
  send(conn: number, json: string): readonly Effect[] {
    return this.step({ type: 'message', now: this.now, conn, msg: wire(json) });
  }
  /** Send a request built from fields. */
  req(conn: number, cmd: string, taId: number | bigint, fields: Record<string, JsonIn> = {}): this {
    this.send(conn, request(cmd, taId, fields));
    return this;
  }
  hello(conn: number, clientId: number | bigint, min = 2, max = 3, taId = 0): this {
    this.send(
      conn,
      `{"ta-cmd":"hello","ta-id":${taId},"msg-type":"request","client-id":${clientId},"protocol-minimum-version":${min},"protocol-maximum-version":${max}}`,
    );
    return this;
  }
  connect(
    conn: number,
    clientId: number | bigint,
    opts: { user?: string; transport?: TransportKind; min?: number; max?: number } = {},
  ): this {
    return this.accept(conn, opts).hello(conn, clientId, opts.min ?? 2, opts.max ?? 3);
  }
  publish(
    conn: number,
    serviceId: number | bigint,
    generation: number | bigint,
    props: Record<string, Array<string | number | bigint>>,
    ttl: number | bigint,
    taId = 100,
  ): this {
    return this.req(conn, 'publish', taId, { 'service-id': serviceId, generation, 'service-props': props, ttl });
  }
  unpublish(conn: number, serviceId: number | bigint, taId = 101): this {
    return this.req(conn, 'unpublish', taId, { 'service-id': serviceId });
  }
  subscribe(conn: number, subscriptionId: number | bigint, filter?: string, taId = 200): this {
    return this.req(conn, 'subscribe', taId, {
      'subscription-id': subscriptionId,
      ...(filter !== undefined ? { filter } : {}),
    });
  }
  unsubscribe(conn: number, subscriptionId: number | bigint, taId = 201): this {
    return this.req(conn, 'unsubscribe', taId, { 'subscription-id': subscriptionId });
  }
  track(conn: number, taId = 300): this {
    return this.req(conn, 'track', taId);
  }
  inform(conn: number, trackType: 'query' | 'reply', taId = 300): this {
    this.send(conn, toJson({ 'ta-cmd': 'track', 'ta-id': taId, 'msg-type': 'inform', 'track-type': trackType }));
    return this;
  }
  ping(conn: number, taId = 400): this {
    return this.req(conn, 'ping', taId);
  }
  close(conn: number): this {
    this.step({ type: 'closed', now: this.now, conn, cause: 'eof' });
    return this;
  }
  /** `work` events until no sliced work is left (lib/state/work.ts). */
  drain(): this {
    for (let i = 0; hasWork(this.state); i++) {
      if (i > 1_000_000) throw new Error('sliced work does not finish');
      this.work();
    }
    return this;
  }
  /** One `work` event: the next slice of pending work (lib/state/work.ts). */
  work(): this {
    this.step({ type: 'work', now: this.now });
    return this;
  }
  malformed(conn: number): this {
    this.step({ type: 'malformed', now: this.now, conn, reason: 'test' });
    return this;
  }
  /** Wire messages sent to `conn` since the last call (and forget them). */
  take(conn: number): string[] {
    return this.takeTimed(conn).map((e) => e.json);
  }
  /** Like take(), with the time (seconds since T0) each message was produced. */
  takeTimed(conn: number): Array<{ json: string; at: number }> {
    const out: Array<{ json: string; at: number }> = [];
    for (let i = 0; i < this.log.length;) {
      if (this.log[i]!.conn === conn) {
        const e = this.log.splice(i, 1)[0]!;
        out.push({ json: e.json, at: e.at });
      } else i++;
    }
    return out;
  }
  /** Parsed form of take(). */
  takeParsed(conn: number): Array<Record<string, unknown>> {
    return this.take(conn).map((j) => JSON.parse(j) as Record<string, unknown>);
  }
  /** Parsed form of takeTimed(). */
  takeSent(conn: number): Sent[] {
    return this.takeTimed(conn).map((e) => ({ at: e.at, msg: JSON.parse(e.json) as Record<string, unknown> }));
  }
  /** Forget all output collected so far. */
  clear(): this {
    this.log.length = 0;
    return this;
  }
  closes(): number[] {
    return this.effects.filter((f) => f.type === 'close').map((f) => (f as { conn: number }).conn);
  }
  /** Whether the core still has the connection open. */
  isOpen(conn: number): boolean {
    return this.state.conns.has(conn);
  }
}

/** The match types of subscribe notifications in a list of parsed messages. */
export const matchTypes = (msgs: ReadonlyArray<Record<string, unknown>>): unknown[] =>
  msgs.filter((m) => m['msg-type'] === 'notify' && m['ta-cmd'] === 'subscribe').map((m) => m['match-type']);

/** Event builders and a tiny driver for reducer specs: tests show only the fields that matter. */
import { decodeClientMessage } from '../../lib/codec/decode';
import { encodeMessage } from '../../lib/codec/encode';
import type { ClientMessage } from '../../lib/codec/messages';
import type { Effect } from '../../lib/state/effects';
import type { Event } from '../../lib/state/events';
import type { DomainSettings, DomainState, TransportKind } from '../../lib/state/model';
import { defaultSettings, initialDomainState, reduce } from '../../lib/state/reducer';

export const T0 = 1_700_000_000;

/** Decode a message from JSON text, so specs read like the wire. */
export const wire = (json: string): ClientMessage => {
  const r = decodeClientMessage(json);
  if (r._tag === 'Left') throw new Error(`bad test message: ${r.left.reason}`);
  return r.right;
};

/** A reducer driven step by step, collecting wire output per connection as JSON text. */
export class Domain {
  state: DomainState;
  now = T0;
  readonly log: Array<{ conn: number; json: string }> = [];
  readonly effects: Effect[] = [];
  constructor(settings: Partial<DomainSettings> = {}, seed = 7) {
    this.state = initialDomainState({ ...defaultSettings, ...settings }, seed, T0);
  }
  step(e: Event): ReadonlyArray<Effect> {
    const [s, fx] = reduce(this.state, e);
    this.state = s;
    this.effects.push(...fx);
    for (const f of fx) if (f.type === 'send') this.log.push({ conn: f.conn, json: encodeMessage(f.msg) });
    return fx;
  }
  at(t: number): this {
    this.now = T0 + t;
    this.step({ type: 'tick', now: this.now });
    return this;
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
  send(conn: number, json: string): ReadonlyArray<Effect> {
    return this.step({ type: 'message', now: this.now, conn, msg: wire(json) });
  }
  hello(conn: number, clientId: number | bigint, min = 2, max = 3, taId = 0): this {
    this.send(
      conn,
      `{"ta-cmd":"hello","ta-id":${taId},"msg-type":"request","client-id":${clientId},"protocol-minimum-version":${min},"protocol-maximum-version":${max}}`,
    );
    return this;
  }
  connect(conn: number, clientId: number | bigint, opts: { user?: string; transport?: TransportKind; min?: number; max?: number } = {}): this {
    return this.accept(conn, opts).hello(conn, clientId, opts.min ?? 2, opts.max ?? 3);
  }
  close(conn: number): this {
    this.step({ type: 'closed', now: this.now, conn, cause: 'eof' });
    return this;
  }
  /** Wire messages sent to `conn` since the last call (and forget them). */
  take(conn: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.log.length; ) {
      if (this.log[i]!.conn === conn) out.push(this.log.splice(i, 1)[0]!.json);
      else i++;
    }
    return out;
  }
  /** Parsed form of take(). */
  takeParsed(conn: number): Array<Record<string, unknown>> {
    return this.take(conn).map((j) => JSON.parse(j) as Record<string, unknown>);
  }
  closes(): number[] {
    return this.effects.filter((f) => f.type === 'close').map((f) => (f as { conn: number }).conn);
  }
}

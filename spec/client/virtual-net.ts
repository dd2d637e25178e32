/**
 * A virtual network for client specs on virtual time: fake servers that speak enough of the protocol (hello,
 * track, publish, unpublish, subscribe with filters, unsubscribe, listings, ping) over fake connections, and a
 * {@link ClientEnv} whose clock and timers are a `TestScheduler`. Tests script server behaviour (refuse, stay
 * silent, drop a connection, inject services) at virtual times.
 */
import { defer, of, throwError, type Observable, Subject } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';

import type { ClientEnv } from '../../lib/client/adapter';
import { startClient, type RxpafClient } from '../../lib/client/client';
import type { ClientOptions, ServerSpec } from '../../lib/client/core/types';
import { encodeMessage } from '../../lib/codec/encode';
import { parseJson } from '../../lib/codec/json';
import { makeProps } from '../../lib/codec/primitives';
import type { Filter } from '../../lib/filter/ast';
import { matchFilter } from '../../lib/filter/match';
import { parseFilter } from '../../lib/filter/parse';
import type { Props } from '../../lib/filter/props';
import type { Connection } from '../../lib/transport/transport';

export type Msg = Readonly<Record<string, unknown>>;

/** A service in a fake server's directory (wire field names). */
export interface FakeService {
  readonly id: bigint;
  readonly generation: bigint;
  readonly props: Props;
  readonly ttl: bigint;
  readonly clientId: bigint;
  readonly orphanSince?: number;
}

export class FakeConn implements Connection {
  readonly transport = 'tcp' as const;
  readonly localAddress = 'tcp:127.0.0.1:40000';
  readonly userId = 'ip:127.0.0.1';
  readonly acceptedAt = 0;
  readonly pendingOutbound = 0;
  readonly pendingOutboundBytes = 0;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;
  private readonly inbound = new Subject<Uint8Array>();
  readonly messages$ = this.inbound.asObservable();
  /** Everything the client sent, with the virtual time it was flushed. */
  readonly sent: Array<{ at: number; msg: Msg }> = [];
  private outbox: string[] = [];
  closed = false;
  keepAlive: boolean | undefined;
  clientId: bigint | undefined;
  /** Open subscriptions: ta-id → filter. */
  readonly subs = new Map<number, { id: bigint; filter: Filter | undefined }>();

  constructor(
    readonly server: FakeServer,
    readonly remoteAddress: string,
  ) {}

  send(payload: string | Uint8Array): void {
    this.outbox.push(typeof payload === 'string' ? payload : Buffer.from(payload).toString());
  }

  flush(): void {
    const out = this.outbox;
    this.outbox = [];
    for (const text of out) {
      const msg = (parseJson(text) as { right: Msg }).right;
      this.sent.push({ at: this.server.ts.now(), msg });
      this.server.handle(this, msg);
    }
  }

  close(): void {
    this.closed = true;
  }

  abort(): void {
    this.close();
  }

  setKeepAlive(on: boolean): void {
    this.keepAlive = on;
  }

  /** The server sends `m`. */
  deliver(m: Msg): void {
    if (!this.closed) this.inbound.next(Buffer.from(encodeMessage(m)));
  }

  /** The server closes the connection. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbound.complete();
  }

  /** Messages of one command the client sent. */
  sentOf(cmd: string): Msg[] {
    return this.sent.filter((s) => s.msg['ta-cmd'] === cmd).map((s) => s.msg);
  }
}

export class FakeServer {
  readonly conns: FakeConn[] = [];
  accepting = true;
  /** Answer anything at all (false: a hung server). */
  answering = true;
  /** Answer hello (false: no greeting). */
  greeting = true;
  trackAccept = true;
  answerQueries = true;
  /** Highest protocol version. */
  version: 2 | 3 = 3;
  readonly dir = new Map<bigint, FakeService>();

  constructor(
    readonly ts: TestScheduler,
    readonly address: string,
  ) {}

  get live(): FakeConn | undefined {
    return this.conns.find((c) => !c.closed);
  }

  accept(): FakeConn {
    const c = new FakeConn(this, this.address);
    this.conns.push(c);
    return c;
  }

  /** Put a service in the directory (publish by some other client) and notify matching subscriptions. */
  upsert(s: FakeService): void {
    const known = this.dir.has(s.id);
    this.dir.set(s.id, s);
    for (const c of this.conns)
      for (const [ta, sub] of c.subs)
        if (sub.filter === undefined || matchFilter(sub.filter, s.props))
          this.notify(c, ta, known ? 'modified' : 'appeared', s);
  }

  remove(id: bigint): void {
    const s = this.dir.get(id);
    if (s === undefined) return;
    this.dir.delete(id);
    for (const c of this.conns)
      for (const [ta, sub] of c.subs)
        if (sub.filter === undefined || matchFilter(sub.filter, s.props))
          c.deliver({
            'ta-cmd': 'subscribe',
            'ta-id': ta,
            'msg-type': 'notify',
            'match-type': 'disappeared',
            'service-id': id,
          });
  }

  /** Send a track query to every live v3 connection with a track transaction. */
  query(): void {
    for (const c of this.conns) {
      const t = c.sentOf('track').find((m) => m['msg-type'] === 'request');
      if (t !== undefined)
        c.deliver({ 'ta-cmd': 'track', 'ta-id': t['ta-id'], 'msg-type': 'notify', 'track-type': 'query' });
    }
  }

  private notify(c: FakeConn, ta: number, type: string, s: FakeService): void {
    const m: Record<string, unknown> = {
      'ta-cmd': 'subscribe',
      'ta-id': ta,
      'msg-type': 'notify',
      'match-type': type,
      'service-id': s.id,
      generation: s.generation,
      'service-props': s.props,
      ttl: s.ttl,
      'client-id': s.clientId,
    };
    if (s.orphanSince !== undefined) m['orphan-since'] = s.orphanSince;
    c.deliver(m);
  }

  handle(c: FakeConn, m: Msg): void {
    if (!this.answering || c.closed) return;
    const ta = m['ta-id'];
    const cmd = m['ta-cmd'] as string;
    const reply = (type: string, fields: Record<string, unknown> = {}): void =>
      c.deliver({ 'ta-cmd': cmd, 'ta-id': ta, 'msg-type': type, ...fields });
    if (m['msg-type'] === 'inform') {
      if (m['track-type'] === 'query' && this.answerQueries) reply('notify', { 'track-type': 'reply' });
      return;
    }
    switch (cmd) {
      case 'hello': {
        if (!this.greeting) return;
        c.clientId = m['client-id'] as bigint;
        const v = Math.min(this.version, Number(m['protocol-maximum-version']));
        return reply('complete', { 'protocol-version': BigInt(v) });
      }
      case 'track':
        if (this.trackAccept) reply('accept');
        return;
      case 'ping':
        return reply('complete');
      case 'publish': {
        const s: FakeService = {
          id: m['service-id'] as bigint,
          generation: m.generation as bigint,
          props: m['service-props'] as Props,
          ttl: m.ttl as bigint,
          clientId: c.clientId!,
        };
        reply('complete');
        return this.upsert(s);
      }
      case 'unpublish': {
        const id = m['service-id'] as bigint;
        if (!this.dir.has(id)) return reply('fail', { 'fail-reason': 'non-existent-service-id' });
        reply('complete');
        return this.remove(id);
      }
      case 'subscribe': {
        const text = m.filter as string | undefined;
        const parsed = text === undefined ? undefined : parseFilter(text);
        const filter = parsed?._tag === 'Right' ? parsed.right : undefined;
        c.subs.set(Number(ta), { id: m['subscription-id'] as bigint, filter });
        reply('accept');
        for (const s of this.dir.values())
          if (filter === undefined || matchFilter(filter, s.props)) this.notify(c, Number(ta), 'appeared', s);
        return;
      }
      case 'unsubscribe': {
        const id = m['subscription-id'] as bigint;
        const entry = [...c.subs].find(([, s]) => s.id === id);
        if (entry === undefined) return reply('fail', { 'fail-reason': 'non-existent-subscription-id' });
        c.subs.delete(entry[0]);
        c.deliver({ 'ta-cmd': 'subscribe', 'ta-id': entry[0], 'msg-type': 'complete' });
        return reply('complete');
      }
      case 'subscriptions':
        reply('accept');
        for (const x of this.conns)
          for (const s of x.subs.values()) reply('notify', { 'subscription-id': s.id, 'client-id': x.clientId ?? 0n });
        return reply('complete');
      case 'services':
        reply('accept');
        for (const s of this.dir.values())
          reply('notify', {
            'service-id': s.id,
            generation: s.generation,
            'service-props': s.props,
            ttl: s.ttl,
            'client-id': s.clientId,
          });
        return reply('complete');
      case 'clients':
        reply('accept');
        return reply('complete');
      default:
        return reply('fail', { 'fail-reason': 'unsupported' });
    }
  }
}

export class FakeNet {
  readonly servers = new Map<string, FakeServer>();
  /** Connect attempts: virtual time and address. */
  readonly attempts: Array<{ at: number; address: string }> = [];

  constructor(readonly ts: TestScheduler) {}

  server(address: string): FakeServer {
    let s = this.servers.get(address);
    if (s === undefined) {
      s = new FakeServer(this.ts, address);
      this.servers.set(address, s);
    }
    return s;
  }

  readonly connect = (spec: ServerSpec): Observable<Connection> =>
    defer(() => {
      this.attempts.push({ at: this.ts.now(), address: spec.address });
      const s = this.server(spec.address);
      if (!s.accepting) return throwError(() => new Error(`${spec.address}: unable to connect: connection refused`));
      return of(s.accept());
    });
}

/** A service for a fake directory. */
export const fakeService = (
  id: bigint,
  props: Readonly<Record<string, string | bigint>>,
  extra: Partial<FakeService> = {},
): FakeService => ({
  id,
  generation: 0n,
  props: makeProps(Object.entries(props).map(([k, v]) => [k, [v]])),
  ttl: 30n,
  clientId: 99n,
  ...extra,
});

/** A client on virtual time over `net`; `random` is the shell's randomness (seed, rescan jitter). */
export const virtualClient = (
  ts: TestScheduler,
  net: FakeNet,
  options: ClientOptions,
  extra: { random?: () => number; files?: Map<string, string> } = {},
): RxpafClient => {
  let id = 1000n;
  const env: ClientEnv = {
    scheduler: ts,
    turn: ts,
    nextTurn: (fn) => void ts.schedule(fn),
    random: extra.random ?? (() => 0.5),
    randomId: () => id++,
    connect: net.connect,
    readFile: (path) => defer(() => of(extra.files?.get(path))),
    env: {},
  };
  return startClient(options, env);
};

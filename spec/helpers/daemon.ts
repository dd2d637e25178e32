/**
 * Integration helpers: spawn the rxpafd binary, wait until every domain is listening (the `listening` log lines on
 * stderr), learn the bound addresses, stop it with a signal and collect its exit status and output. Also: temporary
 * directories, random unix names, a byte-level TCP client, and a few protocol shorthands on top of RawClient.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Msg, RawClient } from './raw-client';

/** The daemon's entry script (runs dist/, so build first: `npm test` does). */
export const RXPAFD = join(__dirname, '..', '..', 'bin', 'rxpafd.js');

/** How a daemon process ended, with everything it wrote. */
export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DaemonOptions {
  /** Environment changes on top of this process's environment (minus XCM_TLS_CERT); `undefined` deletes. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Daemon.start: number of `listening` lines (one per domain) to wait for (default 1). */
  readonly domains?: number;
  /** Daemon.start: readiness deadline; runRxpafd: exit deadline (default 10000 ms). */
  readonly timeoutMs?: number;
  /** Daemon.start: do not prepend `-n` (leave syslog as configured). */
  readonly syslog?: boolean;
  /** The daemon's entry script (default: this repository's bin/rxpafd.js; e.g. an installed package's). */
  readonly entry?: string;
}

const live = new Set<ChildProcess>();

const daemonEnv = (changes: DaemonOptions['env'] = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.XCM_TLS_CERT;
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
};

interface Spawned {
  readonly child: ChildProcess;
  readonly out: { stdout: string; stderr: string };
  readonly exited: Promise<DaemonExit>;
  /** Called on every stderr chunk. */
  onStderr?: () => void;
}

const spawnRxpafd = (args: readonly string[], opts: DaemonOptions): Spawned => {
  const child = spawn(process.execPath, [opts.entry ?? RXPAFD, ...args], {
    cwd: opts.cwd,
    env: daemonEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = { stdout: '', stderr: '' };
  const s: Spawned = {
    child,
    out,
    exited: new Promise<DaemonExit>((resolve) =>
      child.on('close', (code, signal) => {
        live.delete(child);
        resolve({ code, signal, ...out });
      }),
    ),
  };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    s.onStderr?.();
  });
  return s;
};

const withTimeout = <T>(p: Promise<T>, ms: number, what: () => string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what())), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/** Run rxpafd to completion (for invocations that must exit by themselves); SIGKILLed after the deadline. */
export const runRxpafd = async (args: readonly string[], opts: DaemonOptions = {}): Promise<DaemonExit> => {
  const s = spawnRxpafd(args, opts);
  const ms = opts.timeoutMs ?? 10000;
  try {
    return await withTimeout(s.exited, ms, () => `rxpafd ${args.join(' ')} did not exit within ${ms} ms`);
  } catch (e) {
    s.child.kill('SIGKILL');
    throw e;
  }
};

const FIELD = String.raw`("(?:[^"\\]|\\.)*"|\S+)`;
const LISTENING = new RegExp(String.raw` INFO core listening domain=${FIELD} addresses=${FIELD}`, 'g');
const unquote = (v: string): string => (v.startsWith('"') ? (JSON.parse(v) as string) : v);

/** The domains announced so far in `stderr`: label (name or index) and addresses in configuration order. */
export const parseListening = (stderr: string): Array<{ label: string; addresses: string[] }> =>
  [...stderr.matchAll(LISTENING)].map((m) => ({ label: unquote(m[1]!), addresses: unquote(m[2]!).split(' ') }));

/** A running daemon. */
export class Daemon {
  private constructor(
    private readonly s: Spawned,
    /** Per domain: its label (name, or index) and bound addresses in configuration order. */
    readonly domains: ReadonlyArray<{ label: string; addresses: string[] }>,
  ) {}

  static async start(args: readonly string[], opts: DaemonOptions = {}): Promise<Daemon> {
    const full = ['-s', ...(opts.syslog === true ? [] : ['-n']), ...args];
    const s = spawnRxpafd(full, opts);
    const want = opts.domains ?? 1;
    const ms = opts.timeoutMs ?? 10000;
    const ready = new Promise<Daemon>((resolve, reject) => {
      const check = (): void => {
        const found = parseListening(s.out.stderr);
        if (found.length >= want) resolve(new Daemon(s, found));
      };
      s.onStderr = check;
      check();
      void s.exited.then((x) => reject(new Error(`rxpafd exited (${x.code ?? x.signal}) before ready: ${x.stderr}`)));
    });
    try {
      return await withTimeout(ready, ms, () => `rxpafd ${full.join(' ')} not ready in ${ms} ms: ${s.out.stderr}`);
    } catch (e) {
      s.child.kill('SIGKILL');
      throw e;
    }
  }

  get pid(): number {
    return this.s.child.pid!;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.s.out.stderr;
  }

  /** Resolves once the process has exited (by itself or by a signal). */
  get exited(): Promise<DaemonExit> {
    return this.s.exited;
  }

  /** Address `i` of domain `d`. */
  addr(d = 0, i = 0): string {
    const a = this.domains[d]?.addresses[i];
    if (a === undefined) throw new Error(`no address ${i} in domain ${d}: ${JSON.stringify(this.domains)}`);
    return a;
  }

  /** TCP/TLS port of address `i` of domain `d`. */
  port(d = 0, i = 0): number {
    const a = this.addr(d, i);
    return Number(a.slice(a.lastIndexOf(':') + 1));
  }

  /** Connections the daemon has logged as accepted so far (all domains). */
  get accepted(): number {
    return (this.s.out.stderr.match(/ INFO core accepted connection /g) ?? []).length;
  }

  /**
   * Open `n` connections with `open`, `batch` at a time, waiting after each batch until the daemon has accepted
   * them: rxpafd accepts more slowly than a client connects, and the listen backlog is 32, so unpaced bursts
   * overflow the accept queue and cost SYN retransmissions (1 s each).
   */
  async openPaced<T>(n: number, open: () => Promise<T>, batch = 16): Promise<T[]> {
    const base = this.accepted;
    const all: T[] = [];
    while (all.length < n) {
      const k = Math.min(batch, n - all.length);
      all.push(...(await Promise.all(Array.from({ length: k }, open))));
      await waitFor(() => this.accepted - base >= all.length, 10000, `${all.length} accepted connections`);
    }
    return all;
  }

  /** Resolves when stderr matches `re` (with the match), rejects after `ms`. */
  async waitForStderr(re: RegExp, ms = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.s.out.stderr.match(re);
      if (m !== null) return m;
      if (Date.now() > deadline) throw new Error(`stderr did not match ${re} within ${ms} ms: ${this.s.out.stderr}`);
      await sleep(20);
    }
  }

  /** Send `signal` and wait for the exit (SIGKILL and reject after `ms`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 8000): Promise<DaemonExit> {
    if (this.s.child.exitCode === null && this.s.child.signalCode === null) this.s.child.kill(signal);
    try {
      return await withTimeout(this.s.exited, ms, () => `rxpafd did not exit within ${ms} ms after ${signal}`);
    } catch (e) {
      this.s.child.kill('SIGKILL');
      throw e;
    }
  }
}

/** SIGKILL every daemon still running (call from afterEach/afterAll so a failed test leaves nothing behind). */
export const killAllDaemons = async (): Promise<void> => {
  const all = [...live];
  await Promise.all(
    all.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('close', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A random abstract ux address private to one test, e.g. `ux:rxpaf-t-0a1b2c3d4e5f`. */
export const randomUx = (): string => `ux:rxpaf-t-${randomBytes(6).toString('hex')}`;

/** A fresh temporary directory (removed by cleanup()). */
export const tempDir = (): { readonly path: string; file(name: string, text?: string): string; cleanup(): void } => {
  const path = mkdtempSync(join(tmpdir(), 'rxpaf-it-'));
  return {
    path,
    file: (name, text) => {
      const p = join(path, name);
      if (text !== undefined) writeFileSync(p, text);
      return p;
    },
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
};

/** Poll `cond` every 20 ms until true; rejects after `ms`. */
export const waitFor = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
};

/** JSON text of a value that may contain bigints (written as exact integer literals). */
export const toJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x}` : x)).replace(
    /"\\u0000big(-?\d+)"/g,
    '$1',
  );

/** A protocol message as JSON text. */
export const msg = (
  cmd: string,
  taId: number | bigint,
  type: string,
  fields: Readonly<Record<string, unknown>> = {},
): string => toJson({ 'ta-cmd': cmd, 'ta-id': taId, 'msg-type': type, ...fields });

/** A hello request. */
export const helloMsg = (clientId: number | bigint, min = 2, max = 3, taId: number | bigint = 0): string =>
  msg('hello', taId, 'request', {
    'client-id': clientId,
    'protocol-minimum-version': min,
    'protocol-maximum-version': max,
  });

/**
 * Send `json` (a request with ta-id `taId`) and collect this transaction's messages until one whose msg-type is in
 * `endTypes` (default: complete or fail; use ['accept', 'fail'] for subscribe and track). Messages of other
 * transactions are returned separately, in arrival order.
 */
export const transact = async (
  c: RawClient,
  taId: number | bigint,
  json: string,
  ms = 5000,
  endTypes: readonly string[] = ['complete', 'fail'],
): Promise<{ own: Msg[]; others: Msg[] }> => {
  c.send(json);
  const id = BigInt(taId);
  const own: Msg[] = [];
  const others: Msg[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await c.next(Math.max(1, deadline - Date.now()));
    if (m['ta-id'] !== id) {
      others.push(m);
      continue;
    }
    own.push(m);
    if (endTypes.includes(m['msg-type'] as string)) return { own, others };
  }
};

/** The notify messages of a list command (`clients`, `services`, `subscriptions`); fails unless accepted and completed. */
export const list = async (c: RawClient, cmd: string, taId: number, fields: Record<string, unknown> = {}) => {
  const { own } = await transact(c, taId, msg(cmd, taId, 'request', fields));
  const types = own.map((m) => m['msg-type']);
  if (types[0] !== 'accept' || types[types.length - 1] !== 'complete') {
    throw new Error(`${cmd} failed: ${toJson(own)}`);
  }
  return own.filter((m) => m['msg-type'] === 'notify');
};

/** Publish and return the final message (complete or fail). */
export const publish = async (
  c: RawClient,
  taId: number,
  serviceId: number | bigint,
  props: Readonly<Record<string, ReadonlyArray<string | number>>>,
  opts: { ttl?: number; generation?: number } = {},
): Promise<Msg> => {
  const { own } = await transact(
    c,
    taId,
    msg('publish', taId, 'request', {
      'service-id': serviceId,
      generation: opts.generation ?? 0,
      'service-props': props,
      ttl: opts.ttl ?? 60,
    }),
  );
  return own[own.length - 1]!;
};

/** Subscribe and return the accept (or fail); the initial notifications follow it. */
export const subscribe = async (c: RawClient, taId: number, subscriptionId: number | bigint, filter?: string) => {
  const fields = { 'subscription-id': subscriptionId, ...(filter === undefined ? {} : { filter }) };
  const { own } = await transact(c, taId, msg('subscribe', taId, 'request', fields), 5000, ['accept', 'fail']);
  return own[own.length - 1]!;
};

/** Ping and return the round-trip time in ms (rejects unless completed). */
export const ping = async (c: RawClient, taId: number, ms = 5000): Promise<number> => {
  const t0 = performance.now();
  const { own } = await transact(c, taId, msg('ping', taId, 'request'), ms);
  if (own[0]?.['msg-type'] !== 'complete') throw new Error(`ping failed: ${toJson(own)}`);
  return performance.now() - t0;
};

/** How a raw socket ended. */
export interface RawClose {
  /** The peer sent FIN ('end' event) — an orderly close. */
  readonly ended: boolean;
  /** A socket error (e.g. ECONNRESET), if any. */
  readonly error: string | undefined;
  /** Milliseconds from connect to close. */
  readonly afterMs: number;
}

/**
 * A byte-level TCP client speaking XCM framing (4-byte big-endian length). It does not read from the socket until
 * `read()` is called (or a frame is awaited), so it can also act as a client that never reads.
 */
export class RawTcp {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private reading = false;
  /** Total bytes received. */
  bytes = 0;
  ended = false;
  error: string | undefined;
  closedAt: number | undefined;
  readonly connectedAt: number;

  private constructor(readonly socket: Socket) {
    this.connectedAt = performance.now();
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error = e.code ?? e.message;
      this.wake();
    });
    socket.on('close', () => {
      this.closedAt = performance.now();
      this.wake();
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawTcp> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawTcp(socket));
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  private onData = (d: Buffer): void => {
    this.bytes += d.length;
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + n) break;
      this.frames.push(this.buf.subarray(4, 4 + n));
      this.buf = this.buf.subarray(4 + n);
    }
    this.wake();
  };

  /** Start (or resume) reading. */
  read(): void {
    if (this.reading) return;
    this.reading = true;
    this.socket.on('data', this.onData);
    this.socket.resume();
  }

  /** Stop reading (the kernel buffers fill up and the server's writes stall). */
  pause(): void {
    this.reading = false;
    this.socket.removeListener('data', this.onData);
    this.socket.pause();
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Number of complete frames received and not yet taken. */
  get queued(): number {
    return this.frames.length;
  }

  sendBytes(b: Uint8Array): void {
    this.socket.write(b);
  }

  /** Send one frame (header + payload). */
  sendFrame(payload: string | Uint8Array): void {
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([header, body]));
  }

  private async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** The next frame as a parsed JSON object (ids compared as numbers: fine below 2^53). */
  async next(ms = 5000): Promise<Record<string, unknown>> {
    this.read();
    await this.until(() => this.frames.length > 0 || this.closed, ms, 'a frame');
    const f = this.frames.shift();
    if (f === undefined) throw new Error('connection closed');
    return JSON.parse(f.toString()) as Record<string, unknown>;
  }

  /** Wait until the server closes the connection (reads everything). */
  async waitClose(ms = 6000): Promise<RawClose> {
    this.read();
    await this.until(() => this.closed, ms, 'the close');
    return { ended: this.ended, error: this.error, afterMs: this.closedAt! - this.connectedAt };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** What a transport round trip saw; the caller checks the addresses against the transport's format. */
export interface RoundTrip {
  /** `client-address` of the subscriber and of the publisher, as listed by `clients`. */
  readonly subscriberAddress: string;
  readonly publisherAddress: string;
  /** The clients' own view of their local addresses. */
  readonly subscriberLocal: string;
  readonly publisherLocal: string;
}

/**
 * The publish/subscribe round trip used for every transport (jest `expect` inside): a subscriber (filtering on a
 * unique name) and a publisher connect with `open`; the publisher publishes and unpublishes a service, the
 * subscriber sees `appeared` then `disappeared` with exactly the right fields, and `clients` lists both. Ids are
 * derived from `seed` so tests sharing a daemon do not collide. Both clients are closed at the end.
 */
export const pubSubRoundTrip = async (open: () => Promise<RawClient>, seed: number): Promise<RoundTrip> => {
  const name = `svc-${seed}-${randomBytes(3).toString('hex')}`;
  const [subId, pubId, serviceId] = [seed * 10 + 1, seed * 10 + 2, seed * 1000 + 7];
  const sub = await open();
  const pub = await open();
  try {
    expect(await sub.hello(subId)).toMatchObject({ 'msg-type': 'complete' });
    expect(await pub.hello(pubId)).toMatchObject({ 'msg-type': 'complete' });
    expect(await subscribe(sub, 1, serviceId, `(name=${name})`)).toMatchObject({ 'msg-type': 'accept' });
    expect(await publish(pub, 1, serviceId, { name: [name], port: [4711] }, { ttl: 30 })).toMatchObject({
      'msg-type': 'complete',
    });
    expect({ ...(await sub.next()) }).toEqual({
      'ta-cmd': 'subscribe',
      'ta-id': 1n,
      'msg-type': 'notify',
      'match-type': 'appeared',
      'service-id': BigInt(serviceId),
      generation: 0n,
      'service-props': { name: [name], port: [4711n] },
      ttl: 30n,
      'client-id': BigInt(pubId),
    });
    const clients = await list(sub, 'clients', 2);
    const addressOf = (id: number): string => {
      const entry = clients.find((m) => m['client-id'] === BigInt(id));
      expect(entry).toBeDefined();
      return entry!['client-address'] as string;
    };
    const { own } = await transact(pub, 2, msg('unpublish', 2, 'request', { 'service-id': serviceId }));
    expect(own).toEqual([{ 'ta-cmd': 'unpublish', 'ta-id': 2n, 'msg-type': 'complete' }]);
    expect({ ...(await sub.next()) }).toEqual({
      'ta-cmd': 'subscribe',
      'ta-id': 1n,
      'msg-type': 'notify',
      'match-type': 'disappeared',
      'service-id': BigInt(serviceId),
    });
    return {
      subscriberAddress: addressOf(subId),
      publisherAddress: addressOf(pubId),
      subscriberLocal: sub.conn.localAddress,
      publisherLocal: pub.conn.localAddress,
    };
  } finally {
    sub.close();
    pub.close();
  }
};

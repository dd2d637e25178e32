/**
 * `createServer(options)`: the composition root (internal: the daemon, the recorder and the specs use this handle with
 * its internal state; library users get the public adapter of ./public-domain.ts through `rxpaf/server`). Binds every socket of every domain in configuration order, then
 * starts one reactive pipeline per domain (at once, or on `start()` with `deferStart`). The returned server exposes observables to compose (state snapshots,
 * directory changes, connection notices) and `close()`.
 *
 * @example
 * const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
 * server.domains[0].changes$.subscribe((c) => console.log(c.kind));
 * await server.close();
 */
import type { Observable } from 'rxjs';

import { PafConfigError, type PafDomainError } from '../errors';
import type { Logger } from '../log/logger';
import type { DirectoryChange } from '../state/effects';
import type { Event } from '../state/events';
import type { ConnId, DomainSettings, DomainState, ResourceLimits } from '../state/model';
import { defaultSettings } from '../protocol/reducer';
import { listen } from '../transport/listen';
import type { Listener, TlsFiles } from '../transport/transport';
import { type Clock, wallClock } from './clock';
import { type ConnectionNotice, DomainRuntime } from './domain-runtime';
import { domainObserver, type ServerObserver } from './observer';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from './output-limits';

export interface ServerDomainOptions {
  readonly name?: string;
  readonly sockets: ReadonlyArray<{ readonly addr: string; readonly tls?: TlsFiles }>;
  /** Protocol versions, idle limits, handshake timeout (defaults: pafd's). */
  readonly settings?: Partial<Omit<DomainSettings, 'limits'>>;
}

export interface ServerOptions {
  readonly domains: readonly ServerDomainOptions[];
  /** Resource limits, the same numbers for every domain, counted per domain (§10.3, A15). */
  readonly limits?: { readonly total?: ResourceLimits; readonly user?: ResourceLimits };
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Seed of the idle-jitter generator (recorded with the event log so replays are exact). */
  readonly seed?: number;
  /** TLS handshake deadline in ms (§8.5, default 2500). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Observe every batch of events entering a domain's reducer (the event recorder uses this). */
  readonly onEvents?: (domain: number, batch: readonly Event[]) => void;
  /**
   * Called once per domain before any event, with what a replay needs to rebuild its initial state, and a getter of
   * the domain's current state (inside `onEvents`: the state before that batch; the recorder snapshots it).
   */
  readonly onStart?: (
    domain: number,
    info: {
      readonly name?: string;
      readonly settings: DomainSettings;
      readonly seed: number;
      readonly now: number;
      readonly state: () => DomainState;
    },
  ) => void;
  /** Observe every encoded outbound message. */
  readonly onOutbound?: (domain: number, conn: ConnId, json: string) => void;
  /**
   * Bind every socket but serve nothing until `start()` (the daemon runs its `-r` hook in between, §11.7):
   * connections accepted meanwhile wait, as they would in the listen backlog. Default false.
   */
  readonly deferStart?: boolean;
  /** Observe traffic and reducer work per domain (metrics); see `ServerObserver`. */
  readonly observer?: ServerObserver;
  /**
   * Called once if a domain's pipeline fails, after that domain has stopped in order: its connections closed, its
   * observables completed, its sockets closed. The other domains keep serving (the daemon exits, §11.5). The error's
   * `cause` is what failed.
   */
  readonly onDomainFailure?: (domain: number, error: PafDomainError) => void;
  /** Limits on each connection's queued output (README, "Slow consumers"; default `DEFAULT_OUTPUT_LIMITS`). */
  readonly outputLimits?: Partial<OutputLimits>;
}

/** A running domain, as seen by library users. */
export interface ServerDomain {
  readonly index: number;
  readonly name: string | undefined;
  /** Bound addresses, in configuration order, with kernel-chosen ports resolved. */
  readonly addresses: readonly string[];
  /** The directory state after every batch of events (current value on subscribe). */
  readonly state$: Observable<DomainState>;
  /** Every change of a service (added/modified/removed), as it happens. */
  readonly changes$: Observable<DirectoryChange>;
  /** Connections accepted and closed. */
  readonly connections$: Observable<ConnectionNotice>;
  /** The current state. */
  snapshot(): DomainState;
  /** The settings the domain runs with. */
  readonly settings: DomainSettings;
  /** Why the domain's pipeline failed, once it did (its observables have completed then); else undefined. */
  failure(): PafDomainError | undefined;
}

export interface RxpafServer {
  readonly domains: readonly ServerDomain[];
  /** Start serving (only needed with `deferStart`; idempotent). */
  start(): void;
  /** Orderly shutdown: stop listening (uxf files unlinked), disconnect every client, complete the observables. */
  close(): Promise<void>;
}

/** Reject settings the core cannot run with (a zero idle limit would make the idle timers fire forever). */
const checkSettings = (d: ServerDomainOptions, i: number): void => {
  const s = { ...defaultSettings, ...d.settings };
  const where = `domain ${d.name ?? i}`;
  if (!(s.protocolMin >= 2 && s.protocolMax <= 3 && s.protocolMin <= s.protocolMax))
    throw new PafConfigError(`${where}: protocol versions must satisfy 2 <= min <= max <= 3`);
  if (!(s.idleMin >= 1 && s.idleMax >= s.idleMin))
    throw new PafConfigError(`${where}: idle limits must satisfy 1 <= min <= max`);
  if (!(s.handshakeTimeout > 0)) throw new PafConfigError(`${where}: the handshake timeout must be positive`);
};

/** Output limits are non-negative integers (bytes, seconds). */
const outputLimitsOf = (given: Partial<OutputLimits> | undefined): OutputLimits => {
  const limits = { ...DEFAULT_OUTPUT_LIMITS, ...given };
  for (const [k, v] of Object.entries(limits))
    if (!(Number.isInteger(v) && v >= 0)) throw new PafConfigError(`output limit ${k} must be an integer >= 0`);
  return limits;
};

export const createServer = async (opts: ServerOptions): Promise<RxpafServer> => {
  opts.domains.forEach(checkSettings);
  const outputLimits = outputLimitsOf(opts.outputLimits);
  const clock = opts.clock ?? wallClock();
  const bound: Listener[][] = [];
  try {
    for (const d of opts.domains) {
      const ls: Listener[] = [];
      bound.push(ls);
      for (const s of d.sockets)
        ls.push(await listen(s.addr, { tls: s.tls, handshakeTimeoutMs: opts.tlsHandshakeTimeoutMs }));
    }
  } catch (e) {
    await Promise.all(bound.flat().map((l) => l.close()));
    throw e;
  }
  const baseSeed = opts.seed ?? Math.floor(Math.random() * 0xffffffff);
  const runtimes = opts.domains.map((d, index) => {
    const seed = (baseSeed + index) >>> 0 || 1;
    const rt = new DomainRuntime({
      name: d.name,
      index,
      settings: { ...d.settings, limits: { total: opts.limits?.total ?? {}, user: opts.limits?.user ?? {} } },
      clock,
      seed,
      logger: opts.logger,
      onEvents: opts.onEvents ? (b) => opts.onEvents!(index, b) : undefined,
      onOutbound: opts.onOutbound ? (c, j) => opts.onOutbound!(index, c, j) : undefined,
      observer: opts.observer && domainObserver(opts.observer, index),
      onFailure: (e) =>
        void Promise.allSettled(bound[index]!.map((l) => l.close())).then(() => opts.onDomainFailure?.(index, e)),
      outputLimits,
    });
    const s0 = rt.state$.value;
    opts.onStart?.(index, { name: d.name, settings: s0.settings, seed, now: s0.now, state: () => rt.state$.value });
    return rt;
  });
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    runtimes.forEach((rt, index) => rt.start(bound[index]!));
  };
  if (opts.deferStart !== true) start();
  let closing: Promise<void> | undefined;
  return {
    domains: runtimes.map((rt, index) => ({
      index,
      name: opts.domains[index]!.name,
      addresses: bound[index]!.map((l) => l.address),
      state$: rt.state$.asObservable(),
      changes$: rt.changes$.asObservable(),
      connections$: rt.connections$.asObservable(),
      snapshot: () => rt.state$.value,
      settings: rt.state$.value.settings,
      failure: () => rt.failure,
    })),
    start,
    close: () =>
      (closing ??= (async () => {
        start(); // connections still waiting for start() are then closed with the others
        await Promise.all(bound.flat().map((l) => l.close()));
        for (const rt of runtimes) rt.stop();
      })()),
  };
};

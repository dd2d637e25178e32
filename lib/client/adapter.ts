/**
 * The client's one window on the real world: the clock and timers (an RxJS scheduler), randomness, ids, the
 * transport and the file system. Everything else in `lib/client` receives these as an {@link ClientEnv}, so tests
 * run the whole client on virtual time (`TestScheduler`) with scripted connections. This is the only file of the
 * client allowed to read the clock or `Math.random` (a lint rule says so).
 *
 * @example
 * const env = defaultEnv();
 * env.scheduler.now(); // ms since the epoch, sub-millisecond resolution
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { asapScheduler, asyncScheduler, Observable, type SchedulerLike } from 'rxjs';

import { connect } from '../transport/connect';
import type { Connection } from '../transport/transport';
import { MAX_DOMAIN_FILE_SIZE } from './core/domain-file';
import type { Environment } from './core/options';
import type { ServerSpec } from './core/types';

/** What the client needs from the outside world. */
export interface ClientEnv {
  /** Timers, and the clock: `now()` in ms since the epoch. */
  readonly scheduler: SchedulerLike;
  /** Ends a turn: the events of one turn are processed as one batch when it runs (default: `asapScheduler`). */
  readonly turn: SchedulerLike;
  /** Runs `fn` on a later turn of the event loop, after pending I/O (default: `setImmediate`): sliced work goes on there. */
  readonly nextTurn: (fn: () => void) => void;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** A random 63-bit id (client, service and subscription ids). */
  readonly randomId: () => bigint;
  /** Open a connection to a server (cold; unsubscribing cancels an attempt in progress). */
  readonly connect: (spec: ServerSpec, timeoutMs: number) => Observable<Connection>;
  /** Up to 64 KiB of a file, or undefined if it cannot be read. */
  readonly readFile: (path: string) => Observable<string | undefined>;
  /** Environment variables (PAF_*). */
  readonly env: Environment;
}

/** Random bytes drawn 4 KiB at a time (one `crypto` call for 512 ids rather than one per id). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A random 63-bit id. */
export const randomId63 = (): bigint => {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = pool.readBigUInt64BE(poolAt) & 0x7fffffffffffffffn;
  poolAt += 8;
  return id;
};

/** An async scheduler whose clock has sub-millisecond resolution (for round-trip times). */
const preciseScheduler: SchedulerLike = {
  now: () => performance.timeOrigin + performance.now(),
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
};

const connectObservable = (spec: ServerSpec, timeoutMs: number): Observable<Connection> =>
  new Observable<Connection>((subscriber) => {
    let cancelled = false;
    connect(spec.address, { tls: spec.tls, localAddress: spec.localAddress, timeoutMs }).then(
      (conn) => {
        if (cancelled) return conn.close();
        subscriber.next(conn);
        subscriber.complete();
      },
      (e: unknown) => {
        if (!cancelled) subscriber.error(e);
      },
    );
    return () => {
      cancelled = true;
    };
  });

/** Up to 64 KiB of a domain file; undefined if it cannot be read (the CLI reads domain files with it too). */
export const readDomainFile = async (path: string): Promise<string | undefined> => {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_DOMAIN_FILE_SIZE);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
};

const readFileObservable = (path: string): Observable<string | undefined> =>
  new Observable<string | undefined>((subscriber) => {
    void readDomainFile(path).then((text) => {
      subscriber.next(text);
      subscriber.complete();
    });
  });

/** The real world: wall clock, `Math.random`, crypto ids, the XCM transports, the file system, `process.env`. */
export const defaultEnv = (): ClientEnv => ({
  scheduler: preciseScheduler,
  turn: asapScheduler,
  nextTurn: (fn) => void setImmediate(fn),
  random: Math.random,
  randomId: randomId63,
  connect: connectObservable,
  readFile: readFileObservable,
  env: process.env,
});

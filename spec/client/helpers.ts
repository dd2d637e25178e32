/**
 * Helpers of the client specs that use real servers: rxpafd daemons (bin/rxpafd.js, port 0), waiting for
 * observable conditions, and small polling helpers for wire-level outcomes (never for timing rules: those are
 * specified on virtual time in timing.spec.ts).
 */
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';

import { clientInternals, type RxpafClient } from '../../lib/client/client';
import { Daemon, randomUx, tempDir } from '../helpers/daemon';

export { Daemon, randomUx, tempDir };

/** Start an rxpafd process serving one domain on `addresses` (default tcp:127.0.0.1:0). */
export const startDaemon = (addresses: readonly string[] = ['tcp:127.0.0.1:0'], extra: readonly string[] = []) =>
  Daemon.start([...extra, ...addresses]);

/** The first value of `obs` satisfying `pred`, or a rejection after `ms`. */
export const waitFor = <T>(obs: Observable<T>, pred: (v: T) => boolean, ms = 5000): Promise<T> =>
  firstValueFrom(obs.pipe(filter(pred), timeout(ms)));

/** Resolves when at least `n` servers of the client are connected. */
export const allConnected = (client: RxpafClient, n: number, ms = 5000): Promise<unknown> =>
  waitFor(
    client.connections$,
    () =>
      clientInternals(client)
        .connectionStates()
        .filter((s) => s.state === 'connected').length >= n,
    ms,
  );

/** Resolve after `ms` milliseconds. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until true, or throw after `ms` (for outcomes that travel over sockets). */
export const eventually = async (cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await delay(20);
  }
};

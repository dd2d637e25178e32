/** Helpers of the client specs: in-process servers on port 0, waiting for observable conditions. */
import { firstValueFrom, filter, timeout, type Observable } from 'rxjs';

import type { PafClient } from '../../lib/client';
import { createServer, type RxpafServer, type ServerDomainOptions } from '../../lib/server/create-server';

/** Start a one-domain server listening on `addr` (default tcp:127.0.0.1:0). */
export const startServer = (
  addr = 'tcp:127.0.0.1:0',
  settings?: ServerDomainOptions['settings'],
): Promise<RxpafServer> => createServer({ domains: [{ sockets: [{ addr }], settings }] });

/** The first bound address of a server. */
export const addressOf = (s: RxpafServer): string => s.domains[0]!.addresses[0]!;

/** The first value of `obs` satisfying `pred`, or a rejection after `ms`. */
export const waitFor = <T>(obs: Observable<T>, pred: (v: T) => boolean, ms = 5000): Promise<T> =>
  firstValueFrom(obs.pipe(filter(pred), timeout(ms)));

/** Resolves when every server of the client is connected. */
export const allConnected = (client: PafClient, n: number, ms = 5000): Promise<unknown> =>
  waitFor(client.connections$, () => client.connectionStates().filter((s) => s.state === 'connected').length >= n, ms);

/** Resolve after `ms` milliseconds. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until true, or throw after `ms`. */
export const eventually = async (cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await delay(20);
  }
};

/** A TCP proxy in front of a server whose forwarding can be paused (emulates a SIGSTOPped server). */
export interface PausableProxy {
  readonly address: string;
  paused: boolean;
  close(): Promise<void>;
}

export const startProxy = async (target: string): Promise<PausableProxy> => {
  const { createServer: netServer, connect: netConnect } = await import('node:net');
  const [host, port] = [target.slice(4, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<import('node:net').Socket>();
  const proxy: { paused: boolean } = { paused: false };
  const srv = netServer((a) => {
    const b = netConnect(port, host);
    sockets.add(a).add(b);
    const pipe = (from: import('node:net').Socket, to: import('node:net').Socket): void => {
      from.on('data', (d) => {
        if (!proxy.paused) to.write(d);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    pipe(a, b);
    pipe(b, a);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address() as import('node:net').AddressInfo;
  return Object.assign(proxy, {
    address: `tcp:127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        srv.close(() => r());
      }),
  });
};

/**
 * The server's stop (close(), SIGTERM, a failed domain) folds its shutdown batch through the reducer's safety net
 * (R15, lib/server/safe-reduce.ts) like every other batch (issue 10: `stop()` used to call the reducer bare). Here the
 * reducer is made to throw on one connection's shutdown close: `close()` still resolves, every client sees its
 * connection closed, the observables complete, and the failure is logged as critical.
 */
import { lastValueFrom, toArray } from 'rxjs';

import type { Event } from '../../lib/state/events';
import type { Logger } from '../../lib/log/logger';
import { createServer } from '../../lib/server/create-server';
import { helloMsg, waitFor } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

/** The connection whose shutdown close makes the reducer throw (none until a test sets it). */
let poisoned: number | undefined;

jest.mock('../../lib/protocol/reducer', () => {
  const actual = jest.requireActual<typeof import('../../lib/protocol/reducer')>('../../lib/protocol/reducer');
  return {
    ...actual,
    reduceAll: (s: Parameters<typeof actual.reduceAll>[0], batch: readonly Event[]) => {
      if (batch.some((e) => e.type === 'closed' && e.cause === 'shutdown' && e.conn === poisoned))
        throw new Error('reducer exploded at shutdown');
      return actual.reduceAll(s, batch);
    },
  };
});

describe('stop() goes through the safety net', () => {
  afterEach(() => {
    poisoned = undefined;
  });

  it('a reducer failure on one shutdown close: every connection still closes, the observables complete', async () => {
    const critical: string[] = [];
    // a logger that records critical lines and ignores the rest
    const logger = new Proxy(
      {},
      {
        get: (_t, name) =>
          name === 'critical'
            ? (_area: string, text: string) => critical.push(text)
            : name === 'isEnabled'
              ? () => false
              : () => undefined,
      },
    ) as Logger;
    const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }], logger });
    const d = server.domains[0]!;
    const closing = (): Promise<void> => server.close();
    try {
      const a = await RawClient.open(d.addresses[0]!);
      const b = await RawClient.open(d.addresses[0]!);
      a.send(helloMsg(1));
      b.send(helloMsg(2));
      await a.next();
      await b.next();
      await waitFor(() => d.snapshot().clients.size === 2, 2000, 'two clients');
      const open = [...d.snapshot().conns.keys()];
      poisoned = open[0];
      const changes = lastValueFrom(d.changes$.pipe(toArray()));
      const connections = lastValueFrom(d.connections$.pipe(toArray()));

      await expect(server.close()).resolves.toBeUndefined();
      await a.waitClosed();
      await b.waitClosed();
      await expect(changes).resolves.toEqual([]);
      // both connections are reported closed at shutdown, the one whose close the reducer failed on too
      await expect(connections).resolves.toEqual(
        open.map((conn) => ({ type: 'closed', conn, by: 'server', reason: 'shutdown' })),
      );
      expect(critical).toContain('reducer failed on a batch; retrying event by event');
      expect(critical).toContain('reducer failed on a closed event');
    } finally {
      await closing();
    }
  });
});

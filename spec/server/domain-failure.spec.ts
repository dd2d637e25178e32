/**
 * Issue 10 item 6, §11.5: a failure inside a domain's pipeline (not the reducer, whose failures close one connection,
 * R15) stops that domain in order: its connections are closed (clients see the close), its observables complete, its
 * sockets stop listening, and `onDomainFailure` reports it. The other domains keep serving.
 */
import { lastValueFrom, toArray } from 'rxjs';

import { createServer, type RxpafServer } from '../../lib/server/create-server';
import type { ServerObserver } from '../../lib/server/observer';
import { helloMsg, waitFor } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

describe('a failing domain pipeline', () => {
  let server: RxpafServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** An observer that throws inside domain 1's pipeline once a batch holds a message. */
  const failingIn = (domain: number): ServerObserver => ({
    reduced: (d, batch) => {
      if (d === domain && batch.some((e) => e.type === 'message')) throw new Error('observer exploded');
    },
  });

  it('stops only that domain, in order, and reports the reason', async () => {
    const failures: Array<{ domain: number; error: unknown }> = [];
    server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }, { sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      observer: failingIn(1),
      onDomainFailure: (domain, error) => failures.push({ domain, error }),
    });
    const [healthy, failing] = server.domains as [RxpafServer['domains'][0], RxpafServer['domains'][0]];
    const changes = lastValueFrom(failing.changes$.pipe(toArray()));
    const states = lastValueFrom(failing.state$.pipe(toArray()));
    const bystander = await RawClient.open(failing.addresses[0]!);
    const victim = await RawClient.open(failing.addresses[0]!);
    await waitFor(() => failing.snapshot().conns.size === 2, 2000, 'both connections accepted');

    victim.send(helloMsg(7));
    await victim.waitClosed();
    await bystander.waitClosed(); // every connection of the domain is closed, not only the one whose event failed
    await waitFor(() => failures.length === 1, 2000, 'the failure report');
    expect(failures[0]!.domain).toBe(1);
    expect((failures[0]!.error as Error).message).toBe('observer exploded');
    await expect(changes).resolves.toEqual([]); // the observables complete (no error for their subscribers)
    expect((await states).at(-1)!.conns.size).toBe(0); // shutdown processing ran: no connection left in the state
    // its sockets stopped listening once the failure was reported
    await expect(RawClient.open(failing.addresses[0]!)).rejects.toThrow();

    // the other domain still serves
    const other = await RawClient.open(healthy.addresses[0]!);
    other.send(helloMsg(8));
    expect(await other.next()).toMatchObject({ 'ta-cmd': 'hello', 'msg-type': 'complete' });
    other.close();
    expect(failures).toHaveLength(1);
  });
});

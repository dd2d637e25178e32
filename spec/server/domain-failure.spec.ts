/**
 * Issue 10 item 6, §11.5: a failure inside a domain's pipeline (not the reducer, whose failures close one connection,
 * R15) stops that domain in order: its connections are closed (clients see the close), its observables complete, its
 * sockets stop listening, and `onDomainFailure` reports it. The other domains keep serving. The same through the
 * public `createServer` of rxpaf/server, whose `onDomainFailure` option is how a library user learns the reason.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';

import { createServer, type RxpafServer } from '../../lib/server/create-server';
import { createServer as createPublicServer, type RxpafServer as PublicServer } from '../../lib/server/public-domain';
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

describe('a failing domain pipeline, as a library user of rxpaf/server sees it', () => {
  it('the clients see the close, the observables complete, onDomainFailure gets the reason; close() still works', async () => {
    // the documented test hook (§11.5): every domain's pipeline throws on its first batch that holds a message
    process.env.RXPAF_FAILPOINT = 'pipeline';
    const failures: Array<{ domain: number; error: unknown }> = [];
    let server: PublicServer;
    try {
      server = await createPublicServer({
        domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }, { sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
        onDomainFailure: (domain, error) => failures.push({ domain, error }),
      });
    } finally {
      delete process.env.RXPAF_FAILPOINT;
    }
    try {
      const [failing, healthy] = server.domains as [PublicServer['domains'][0], PublicServer['domains'][0]];
      const changes = lastValueFrom(failing.changes$.pipe(toArray()));
      const services = lastValueFrom(failing.services$().pipe(toArray()));
      const connections = lastValueFrom(failing.connections$.pipe(toArray()));
      const victim = await RawClient.open(failing.addresses[0]!);
      const bystander = await RawClient.open(failing.addresses[0]!);

      victim.send(helloMsg(7));
      await victim.waitClosed();
      await bystander.waitClosed();
      await waitFor(() => failures.length === 1, 2000, 'the failure report');
      expect(failures).toEqual([{ domain: 0, error: new Error('RXPAF_FAILPOINT=pipeline') }]);
      await expect(changes).resolves.toEqual([]);
      expect((await services).length).toBeGreaterThanOrEqual(1); // the initial (empty) set, then completion
      // connections$ completes (the stop closes the connections without a `closed` event each, as close() does)
      expect((await connections).map((c) => c.type)).toEqual(['accepted', 'accepted']);
      await expect(RawClient.open(failing.addresses[0]!)).rejects.toThrow();

      // the other domain still accepts connections (a message would trip the same failpoint there)
      const accepted = firstValueFrom(healthy.connections$);
      const other = await RawClient.open(healthy.addresses[0]!);
      await expect(accepted).resolves.toMatchObject({ type: 'accepted' });
      other.close();
      expect(failures).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

/**
 * Issue 10 item 6, §11.5: a failure inside a domain's pipeline (not the reducer, whose failures close one connection,
 * R15) stops that domain in order: its connections are closed (clients see the close), its sockets stop listening,
 * and `onDomainFailure` reports it as a `PafDomainError` (its `cause` what failed). The other domains keep serving.
 * Internally the observables complete (the daemon, the recorder and the HTTP side stop with them); through the public
 * `createServer` of rxpaf/server they error with that same `PafDomainError`, so a subscriber can tell a failure from
 * `close()`, and `connections$` reports each connection closed with reason `shutdown` first.
 */
import { firstValueFrom, lastValueFrom, Observable, toArray } from 'rxjs';

import { PafDomainError, PafError } from '../../lib/errors';

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
    const failure = failures[0]!.error as PafDomainError;
    expect([failure instanceof PafDomainError, failure.code, failure.domain, failure.message]).toEqual([
      true,
      'PAF_DOMAIN_FAILED',
      1,
      'domain 1 failed: observer exploded',
    ]);
    expect(failure.cause).toEqual(new Error('observer exploded'));
    await expect(changes).resolves.toEqual([]); // the internal observables complete (the daemon stops with them)
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

/** How an observable ended (`'complete'`, or the error it errored with), with what it emitted. */
const ending = <T>(o: Observable<T>): Promise<{ values: T[]; end: unknown }> =>
  new Promise((resolve) => {
    const values: T[] = [];
    o.subscribe({
      next: (v) => values.push(v),
      error: (e: unknown) => resolve({ values, end: e }),
      complete: () => resolve({ values, end: 'complete' }),
    });
  });

describe('a failing domain pipeline, as a library user of rxpaf/server sees it', () => {
  it('the clients see the close, the observables error with the PafDomainError onDomainFailure gets; close() still works', async () => {
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
      const changes = ending(failing.changes$);
      const matches = ending(failing.matches$('(name=*)'));
      const services = ending(failing.services$());
      const connections = ending(failing.connections$);
      const victim = await RawClient.open(failing.addresses[0]!);
      const bystander = await RawClient.open(failing.addresses[0]!);

      victim.send(helloMsg(7));
      await victim.waitClosed();
      await bystander.waitClosed();
      await waitFor(() => failures.length === 1, 2000, 'the failure report');
      expect(failures).toHaveLength(1);
      const { domain, error } = failures[0]!;
      expect(domain).toBe(0);
      expect(error).toBeInstanceOf(PafDomainError);
      expect(error).toBeInstanceOf(PafError);
      expect((error as PafDomainError).code).toBe('PAF_DOMAIN_FAILED');
      expect((error as PafDomainError).cause).toEqual(new Error('RXPAF_FAILPOINT=pipeline'));
      // every public observable of the domain errors with that same error object, after what it emitted
      expect((await changes).end).toBe(error);
      expect((await matches).end).toBe(error);
      const s = await services;
      expect([s.end, s.values.length >= 1]).toEqual([error, true]); // the initial (empty) set, then the error
      // connections$: each connection closed by the server at the stop, reason shutdown, then the error
      const c = await connections;
      expect(c.end).toBe(error);
      const [a, b] = c.values.filter((e) => e.type === 'accepted').map((e) => e.connection);
      expect(c.values).toEqual([
        expect.objectContaining({ type: 'accepted', connection: a }),
        expect.objectContaining({ type: 'accepted', connection: b }),
        { type: 'closed', connection: a, by: 'server', reason: 'shutdown' },
        { type: 'closed', connection: b, by: 'server', reason: 'shutdown' },
      ]);
      // a late subscriber learns it too
      expect((await ending(failing.changes$)).end).toBe(error);
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

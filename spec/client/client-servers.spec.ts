/**
 * The client against several real rxpafd processes of one domain (wire behaviour): one connection per server with
 * the same client id, service ids and subscription ids; merged matches; one server killed (SIGKILL) and one paused
 * (SIGSTOP) while matches keep flowing through the third, the paused one caught up after SIGCONT; a restarted
 * server gets the client's services and subscriptions back; track queries both ways; the ux transport.
 */
import type { Subscription } from 'rxjs';

import { clientInternals, createClient, type RxpafClient } from '../../lib/client/client';
import type { Match } from '../../lib/model';
import { killAllDaemons } from '../helpers/daemon';
import { allConnected, Daemon, eventually, randomUx, startDaemon, tempDir, waitFor } from './helpers';

describe('client with several rxpafd servers', () => {
  const clients: RxpafClient[] = [];
  const subs: Subscription[] = [];
  const client = (opts: Parameters<typeof createClient>[0]): RxpafClient => {
    const c = createClient({ reconnectMin: 0.01, reconnectMax: 0.1, ...opts });
    clients.push(c);
    return c;
  };
  const record = (c: RxpafClient, filter?: string): Match[] => {
    const got: Match[] = [];
    subs.push(c.matches$(filter).subscribe((m) => got.push(m)));
    return got;
  };
  const brief = (ms: Match[], ids: Record<string, bigint>): string[] =>
    ms.map((m) => {
      const name = Object.keys(ids).find((k) => ids[k] === m.service.id) ?? '?';
      return `${m.type}:${name}:${m.service.generation}`;
    });
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllDaemons();
  });

  it('keeps everything on every server under one identity and merges matches; survives a killed and a paused server', async () => {
    const daemons = [await startDaemon(), await startDaemon(), await startDaemon()];
    const addresses = daemons.map((d) => d.addr());
    const pub = client({ addresses });
    const sub = client({ addresses });
    const got = record(sub, '(group=g)');
    await allConnected(pub, 3);
    await allConnected(sub, 3);
    const a = await pub.publish({ group: 'g', name: 'a' }, { ttl: 30 });
    for (let i = 0; i < 3; i++) {
      const [s] = await pub.listServices('(group=g)', i);
      expect(s).toEqual(expect.objectContaining({ id: a.id, generation: 0n, clientId: pub.clientId }));
      const subsOnServer = (await pub.listSubscriptions(i)).filter((x) => x.clientId === sub.clientId);
      expect(subsOnServer).toHaveLength(1);
    }
    const subIds = await Promise.all([0, 1, 2].map(async (i) => (await pub.listSubscriptions(i))[0]!.id));
    expect(new Set(subIds).size).toBe(1); // the same subscription id on every server
    await eventually(() => got.length === 1);
    await a.modify({ group: 'g', name: 'a', v: 2 });
    await eventually(() => got.length === 2);

    await daemons[0]!.stop('SIGKILL');
    process.kill(daemons[1]!.pid, 'SIGSTOP');
    let b: bigint;
    try {
      // matches keep flowing through the one server left; publish does not wait for the paused one
      b = (await pub.publish({ group: 'g', name: 'b' }, { ttl: 30 })).id;
      await eventually(() => got.some((m) => m.service.id === b), 8000);
    } finally {
      process.kill(daemons[1]!.pid, 'SIGCONT');
    }
    expect(brief(got, { a: a.id, b })).toEqual(['appeared:a:0', 'modified:a:1', 'appeared:b:0']);
    // the paused server is caught up (the queued publish of b reaches it after SIGCONT)
    await eventually(
      async () => (await pub.listServices('(group=g)', addresses[1]).catch(() => [])).length === 2,
      8000,
    );
    // unpublished on both live servers: what the killed server reported still counts until its TTL (libpaf),
    // so the service stays, as an orphan, instead of disappearing
    const before = got.length;
    await a.unpublish();
    await eventually(() => got.length === before + 1);
    expect(brief(got.slice(before), { a: a.id })).toEqual(['modified:a:1']);
    expect(got[before]!.service.orphanSince).toBeGreaterThan(0);
    await eventually(async () => (await sub.listServices('(group=g)', addresses[2])).length === 1);
  }, 60000);

  it('gives a restarted server the services and subscriptions back (same ids, current generation)', async () => {
    const first = await startDaemon();
    const addr = first.addr();
    const pub = client({ addresses: [addr] });
    const sub = client({ addresses: [addr] });
    const got = record(sub, '(name=r)');
    await eventually(async () => (await pub.listSubscriptions()).some((x) => x.clientId === sub.clientId));
    const h = await pub.publish({ name: 'r' }, { ttl: 30 });
    await h.modify({ name: 'r', v: 1 });
    await eventually(() => got.length === 2);
    const states: string[] = [];
    subs.push(pub.connections$.subscribe((s) => states.push(s.state)));
    await first.stop();
    await waitFor(pub.connections$, (s) => s.state === 'disconnected');
    const second: Daemon = await startDaemon([addr]);
    await allConnected(pub, 1);
    await allConnected(sub, 1);
    await eventually(async () => (await sub.listServices('(name=r)').catch(() => [])).length === 1);
    const [s] = await sub.listServices('(name=r)');
    expect(s).toEqual(expect.objectContaining({ id: h.id, generation: 1n, clientId: pub.clientId }));
    await eventually(async () => (await sub.listSubscriptions()).some((x) => x.clientId === sub.clientId));
    const h2 = await pub.publish({ name: 'r' }, { ttl: 30 });
    await eventually(() => got.some((m) => m.service.id === h2.id));
    // while the server was away the service was an orphan in the merged view; the new server's report revived it
    expect(
      got
        .filter((m) => m.service.id === h.id)
        .map((m) => `${m.type}${m.service.orphanSince === undefined ? '' : ':orphan'}`),
    ).toEqual(['appeared', 'modified', 'modified:orphan', 'modified']);
    expect(states).toEqual(expect.arrayContaining(['connected', 'disconnected', 'connecting']));
    await second.stop();
  }, 30000);

  it('speaks track both ways with rxpafd: its own queries, and answers to the server’s', async () => {
    const dir = tempDir();
    try {
      const conf = dir.file('d.conf', 'domains:\n  - idle: {min: 1, max: 2}\n    sockets: [tcp:127.0.0.1:0]\n');
      const d = await Daemon.start(['-f', conf]);
      // the client itself would only ask after ~15 s: the server asks first (it expects to hear within 2 s)
      const c = client({ addresses: [d.addr()], idleMin: 30, idleMax: 30 });
      await allConnected(c, 1);
      expect(await clientInternals(c).trackQuery()).toBeGreaterThanOrEqual(0);
      await waitFor(clientInternals(c).serverQueries$, () => true, 5000);
      const me = (await c.listClients()).find((x) => x.clientId === c.clientId)!;
      expect(me.idle).toBeLessThan(2);
      expect(clientInternals(c).connectionStates()[0]!.state).toBe('connected');
    } finally {
      dir.cleanup();
    }
  }, 20000);

  it('speaks the ux transport', async () => {
    const d = await startDaemon([randomUx()]);
    const c = client({ addresses: [d.addr()] });
    const h = await c.publish({ name: 'ux' });
    expect((await c.listServices('(name=ux)')).map((x) => x.id)).toEqual([h.id]);
  });
});

import { createServer as netServer, type Server, type Socket } from 'node:net';
import { Subscription } from 'rxjs';

import { createClient, type ConnectionState, type Match, type PafClient } from '../../lib/client';
import { createServer, type RxpafServer } from '../../lib/server/create-server';
import { RawClient } from '../helpers/raw-client';
import { addressOf, allConnected, delay, eventually, startProxy, startServer, waitFor } from './helpers';

describe('client with several servers, reconnects and liveness', () => {
  const servers: RxpafServer[] = [];
  const clients: PafClient[] = [];
  let subs = new Subscription();
  const cleanups: Array<() => Promise<void>> = [];
  const server = async (...args: Parameters<typeof startServer>): Promise<RxpafServer> => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };
  const client = (opts: Parameters<typeof createClient>[0]): PafClient => {
    const c = createClient({ reconnectMin: 0.01, reconnectMax: 0.1, ...opts });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    subs.unsubscribe();
    subs = new Subscription();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(cleanups.splice(0).map((f) => f()));
  });
  const record = (c: PafClient, filter?: string): Match[] => {
    const got: Match[] = [];
    subs.add(c.subscribe(filter).subscribe((m) => got.push(m)));
    return got;
  };

  it('uses one connection per server with the same client id and service ids, and merges matches', async () => {
    const ss = [await server(), await server(), await server()];
    const addresses = ss.map(addressOf);
    const pub = client({ addresses });
    const sub = client({ addresses });
    const got = record(sub, '(name=svc)');
    await allConnected(pub, 3);
    await allConnected(sub, 3);
    const h = pub.publish({ name: 'svc' }, { ttl: 1 });
    await h.synced;
    for (const s of ss) {
      const svc = s.domains[0]!.snapshot().services.get(h.id);
      expect(svc?.generation).toBe(0n);
      expect(s.domains[0]!.snapshot().clients.has(pub.clientId)).toBe(true);
    }
    await eventually(() => got.length > 0);
    await delay(50);
    expect(got.map((m) => m.type)).toEqual(['appeared']);
    await h.modify({ name: 'svc', v: 2 });
    await eventually(() => got.length === 2);
    await delay(50);
    expect(got.map((m) => `${m.type}:${m.generation}`)).toEqual(['appeared:0', 'modified:1']);
  });

  it('keeps matches flowing when one server is closed and another stops answering', async () => {
    const ss = [await server(), await server(), await server()];
    const proxy = await startProxy(addressOf(ss[2]!));
    cleanups.push(() => proxy.close());
    const addresses = [addressOf(ss[0]!), addressOf(ss[1]!), proxy.address];
    const opts = { addresses, idleMin: 1, idleMax: 2 };
    const pub = client(opts);
    const sub = client(opts);
    const got = record(sub, '(name=svc)');
    await allConnected(pub, 3);
    await allConnected(sub, 3);
    const a = pub.publish({ name: 'svc', n: 1 }, { ttl: 3 });
    await a.synced;
    await eventually(() => got.length === 1);
    await ss[0]!.close();
    proxy.paused = true;
    const b = pub.publish({ name: 'svc', n: 2 }, { ttl: 3 });
    await b.synced;
    await a.modify({ name: 'svc', n: 3 });
    await eventually(() => got.length === 3);
    expect(got.map((m) => `${m.type}:${m.serviceId === a.id ? 'a' : 'b'}:${m.generation}`)).toEqual([
      'appeared:a:0',
      'appeared:b:0',
      'modified:a:1',
    ]);
    // the silent server is detected by the track query timeout and the link is restarted
    await waitFor(sub.connections$, (s) => s.address === proxy.address && s.state === 'disconnected', 8000);
    await delay(200);
    expect(got.map((m) => m.type)).not.toContain('disappeared');
  });

  it('reconnects after a server restart on the same port, republishes and resubscribes', async () => {
    const first = await server();
    const addr = addressOf(first);
    const pub = client({ addresses: [addr] });
    const sub = client({ addresses: [addr] });
    const got = record(sub, '(name=r)');
    const h = pub.publish({ name: 'r' }, { ttl: 5 });
    await h.synced;
    await eventually(() => got.length === 1);
    const states: ConnectionState[] = [];
    subs.add(pub.connections$.subscribe((s) => states.push(s)));
    await first.close();
    await waitFor(pub.connections$, (s) => s.state === 'disconnected');
    const second = await server(addr);
    await allConnected(pub, 1);
    await allConnected(sub, 1);
    await eventually(() => second.domains[0]!.snapshot().services.has(h.id));
    expect(second.domains[0]!.snapshot().services.get(h.id)!.generation).toBe(0n);
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['connected', 'disconnected', 'connecting']));
    const h2 = pub.publish({ name: 'r' }, { ttl: 5 });
    await eventually(() => got.some((m) => m.serviceId === h2.id));
    expect(got.filter((m) => m.serviceId === h.id).map((m) => m.type)).not.toContain('disappeared');
  });

  it('keeps an idle client alive with track queries, while an untracked v3 client is dropped', async () => {
    const s = await server('tcp:127.0.0.1:0', { idleMin: 1, idleMax: 2 });
    const c = client({ addresses: [addressOf(s)], idleMin: 1, idleMax: 2 });
    await allConnected(c, 1);
    const states: string[] = [];
    subs.add(c.connections$.subscribe((st) => states.push(st.state)));
    const raw = await RawClient.open(addressOf(s));
    await raw.hello(99n);
    await raw.waitClosed(5000);
    await delay(500);
    expect(states).toEqual(['connected']);
    const me = (await c.clients()).find((x) => x.clientId === c.clientId)!;
    expect(me.idle).toBeLessThan(2);
  });

  it('detects a silent server (no hello reply) and keeps retrying', async () => {
    const accepted: Socket[] = [];
    const silent: Server = netServer((sock) => accepted.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      accepted.forEach((sock) => sock.destroy());
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as { port: number }).port;
    const c = client({ addresses: [`tcp:127.0.0.1:${port}`], idleMin: 1 });
    const t0 = Date.now();
    const down = await waitFor(c.connections$, (st) => st.state === 'disconnected' && st.error !== undefined, 3000);
    expect(down.error!.message).toMatch(/greeting timeout/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    await eventually(() => accepted.length >= 2, 3000);
  });

  it('speaks the ux transport', async () => {
    const s = await createServer({ domains: [{ sockets: [{ addr: `ux:rxpaf-test-${process.pid}-${Date.now()}` }] }] });
    servers.push(s);
    const c = client({ addresses: [addressOf(s)] });
    const h = c.publish({ name: 'ux' });
    await h.synced;
    expect((await c.services('(name=ux)')).map((x) => x.serviceId)).toEqual([h.id]);
  });
});

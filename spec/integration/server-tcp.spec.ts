import { createServer, type RxpafServer } from '../../lib/server/create-server';
import { RawClient } from '../helpers/raw-client';

describe('createServer over tcp', () => {
  let server: RxpafServer;
  const clients: RawClient[] = [];
  beforeEach(async () => {
    server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await server.close();
  });
  const open = async (): Promise<RawClient> => {
    const c = await RawClient.open(server.domains[0]!.addresses[0]!);
    clients.push(c);
    return c;
  };

  it('answers hello and ping, and delivers notifications before the publish complete', async () => {
    const a = await open();
    const b = await open();
    expect(await a.hello(1)).toEqual({
      'ta-cmd': 'hello',
      'ta-id': 0n,
      'msg-type': 'complete',
      'protocol-version': 3n,
    });
    await b.hello(2);
    b.send('{"ta-cmd":"subscribe","ta-id":5,"msg-type":"request","subscription-id":77}');
    expect((await b.next())['msg-type']).toBe('accept');
    a.send(
      '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":9223372036854775807,"generation":0,"service-props":{"name":["x"]},"ttl":1}',
    );
    expect(await a.next()).toEqual({ 'ta-cmd': 'publish', 'ta-id': 1n, 'msg-type': 'complete' });
    const n = await b.next();
    expect(n['match-type']).toBe('appeared');
    expect(n['service-id']).toBe(9223372036854775807n);
    a.close();
    const orphan = await b.next();
    expect(orphan['match-type']).toBe('modified');
    expect(typeof orphan['orphan-since']).toBe('number');
    const t0 = Date.now();
    expect((await b.next(3000))['match-type']).toBe('disappeared');
    expect(Date.now() - t0).toBeGreaterThan(700);
  });

  it('closes only the connection that sends a malformed message', async () => {
    const a = await open();
    const b = await open();
    await a.hello(1);
    await b.hello(2);
    a.send('{"ta-cmd":"ping","ta-id":-42,"msg-type":"request"}');
    await a.waitClosed();
    expect(a.closeKind).toBe('eof');
    b.send('{"ta-cmd":"ping","ta-id":3,"msg-type":"request"}');
    expect((await b.next())['msg-type']).toBe('complete');
  });
});

describe('createServer: a notification over the 256 KiB message limit', () => {
  it('closes only the connection it could not be sent to (§2.8), and keeps serving', async () => {
    const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const addr = server.domains[0]!.addresses[0]!;
    const pub = await RawClient.open(addr);
    const sub = await RawClient.open(addr);
    try {
      await pub.hello(1);
      await sub.hello(2);
      sub.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1}');
      await sub.next();
      // the publish itself fits in 262144 bytes; the appeared notify carries ~40 more bytes and does not
      const head =
        '{"ta-cmd":"publish","ta-id":2,"msg-type":"request","service-id":7,"generation":0,"service-props":{"blob":["';
      const tail = '"]},"ttl":5}';
      pub.send(head + 'x'.repeat(262144 - head.length - tail.length) + tail);
      expect(await pub.next()).toEqual({ 'ta-cmd': 'publish', 'ta-id': 2n, 'msg-type': 'complete' });
      await sub.waitClosed();
      pub.send('{"ta-cmd":"ping","ta-id":3,"msg-type":"request"}');
      expect((await pub.next())['msg-type']).toBe('complete');
      await new Promise((r) => setTimeout(r, 50));
      expect(server.domains[0]!.snapshot().clients.has(2n)).toBe(false);
    } finally {
      pub.close();
      sub.close();
      await server.close();
    }
  });
});

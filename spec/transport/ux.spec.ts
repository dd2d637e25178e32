import { expect } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { connect, listen, type Connection, type Listener } from '../../lib/transport';
import { delay, nextConnection, randomUxName, runPython, takeMessages } from './helpers';

/** Python SEQPACKET peer: connects to the exact-length abstract name, sends two records, prints what it gets. */
const PY_UX_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.connect('\\0' + sys.argv[1])
print(s.getsockname()[1:].decode() if isinstance(s.getsockname(), bytes) else s.getsockname()[1:])
s.send(b'hello')
s.send(b'x' * 100000)
print(s.recv(300000).decode())
print(s.recv(300000).decode())
print('eof' if s.recv(300000) == b'' else 'data')
s.close()
`;

/** Python SEQPACKET server on an exact-length abstract name: echoes records, reversed, until EOF. */
const PY_UX_SERVER = `
import socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind('\\0' + sys.argv[1])
srv.listen(1)
print('ready', flush=True)
c, peer = srv.accept()
print(peer[1:].decode() if isinstance(peer, bytes) else peer[1:], flush=True)
while True:
    m = c.recv(300000)
    if not m:
        break
    c.send(m[::-1])
c.close()
srv.close()
`;

describe('ux transport', () => {
  const opened: Array<Connection | Listener> = [];
  afterEach(async () => {
    for (const item of opened.splice(0)) {
      await item.close();
    }
  });

  it('serves a Python SEQPACKET client on an exact-length abstract name, one message per record', async () => {
    const name = randomUxName();
    const listener = await listen(`ux:${name}`);
    opened.push(listener);
    expect(listener.address).toBe(`ux:${name}`);
    const accepted = nextConnection(listener);
    const python = runPython(PY_UX_CLIENT, [name]);
    const server = await accepted;
    opened.push(server);
    const received = await takeMessages(server, 2);
    expect(received[0]).toBe('hello');
    expect(received[1]).toBe('x'.repeat(100000));
    expect(server.transport).toBe('ux');
    expect(server.userId).toBe('default');
    expect(server.remoteAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    server.send('first');
    server.send('second');
    server.flush();
    server.close();
    const [pyName, first, second, eof] = (await python.done).trim().split('\n');
    expect(server.remoteAddress).toBe(`ux:${pyName}`);
    expect([first, second, eof]).toEqual(['first', 'second', 'eof']);
  });

  it('connects a Node client (autobound 5-hex name) to a Python server with exact-length name', async () => {
    const name = randomUxName();
    const python = runPython(PY_UX_SERVER, [name]);
    let client: Connection | undefined;
    for (let i = 0; i < 200 && !client; i++) {
      client = await connect(`ux:${name}`).catch(() => delay(25).then(() => undefined));
    }
    if (!client) {
      throw new Error('python server did not come up');
    }
    expect(client.localAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    expect(client.remoteAddress).toBe(`ux:${name}`);
    const replies = takeMessages(client, 2);
    client.send('abc');
    client.send('12345');
    client.flush();
    expect(await replies).toEqual(['cba', '54321']);
    client.close();
    const [, peer] = (await python.done).trim().split('\n');
    expect(`ux:${peer}`).toBe(client.localAddress);
  });

  it('reports a Node client as ux: + 5 hex digits and completes on EOF', async () => {
    const listener = await listen(`ux:${randomUxName()}`);
    opened.push(listener);
    const accepted = nextConnection(listener);
    const client = await connect(listener.address);
    const server = await accepted;
    opened.push(server);
    expect(server.remoteAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    expect(server.remoteAddress).toBe(client.localAddress);
    const all = firstValueFrom(server.messages$.pipe(toArray()));
    client.send('only');
    client.flush();
    client.close();
    expect((await all).map((m) => Buffer.from(m).toString())).toEqual(['only']);
  });

  it('rejects a ux name in use', async () => {
    const listener = await listen(`ux:${randomUxName()}`);
    opened.push(listener);
    await expect(listen(listener.address)).rejects.toMatchObject({ errno: 'EADDRINUSE' });
  });
});

describe('uxf transport', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-uxf-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the socket file, serves clients, and unlinks the file on close', async () => {
    const path = join(dir, 'paf.sock');
    const listener = await listen(`uxf:${path}`);
    expect(listener.address).toBe(`uxf:${path}`);
    expect(statSync(path).isSocket()).toBe(true);
    const accepted = nextConnection(listener);
    const client = await connect(`uxf:${path}`);
    const server = await accepted;
    expect(server.transport).toBe('uxf');
    expect(server.remoteAddress).toBe('uxf:');
    const got = takeMessages(server, 1);
    client.send('via file');
    client.flush();
    expect(await got).toEqual(['via file']);
    client.close();
    server.close();
    await listener.close();
    expect(existsSync(path)).toBe(false);
  });

  it('fails with EADDRINUSE and a clear message on a stale file', async () => {
    const path = join(dir, 'stale.sock');
    writeFileSync(path, '');
    await expect(listen(`uxf:${path}`)).rejects.toMatchObject({
      errno: 'EADDRINUSE',
      message: expect.stringContaining('already exists'),
    });
    expect(existsSync(path)).toBe(true);
  });
});

import { connect as netConnect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { firstValueFrom, map, take, toArray } from 'rxjs';
import { connect, encodeFrame, listen, type Connection, type Listener } from '../../lib/transport';
import { nativeTcp } from '../../lib/transport/native';
import { nextConnection, takeMessages } from './helpers';

const rawClient = (address: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const socket = netConnect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });

/** Everything the socket receives until at least `n` bytes have come, concatenated. */
const receiveBytes = (socket: Socket, n: number): Promise<Buffer> =>
  new Promise((resolve) => {
    const received: Buffer[] = [];
    let length = 0;
    socket.on('data', (b: Buffer) => {
      received.push(b);
      length += b.length;
      if (length >= n) resolve(Buffer.concat(received));
    });
  });

// the server side of tcp: is rxpaf's native addon (NativeTcpConnection) when it loads, node:net otherwise (and with
// RXPAF_TCP=node): both are held to the same rules
describe.each([
  ['native addon', 'NativeTcpConnection', undefined],
  ['node:net', 'StreamConnection', 'node'],
])('tcp transport, server side through %s', (_kind, serverClass, env) => {
  let listener: Listener;
  const opened: Connection[] = [];
  const saved = process.env.RXPAF_TCP;

  beforeAll(() => {
    if (env === undefined) delete process.env.RXPAF_TCP;
    else process.env.RXPAF_TCP = env;
  });

  afterAll(() => {
    if (saved === undefined) delete process.env.RXPAF_TCP;
    else process.env.RXPAF_TCP = saved;
  });

  beforeEach(async () => {
    listener = await listen('tcp:127.0.0.1:0');
  });

  afterEach(async () => {
    opened.splice(0).forEach((c) => c.close());
    await listener.close();
  });

  it('resolves the real port and echoes messages both ways', async () => {
    expect(listener.address).toMatch(/^tcp:127\.0\.0\.1:[1-9][0-9]*$/);
    const accepted = nextConnection(listener);
    const client = await connect(listener.address);
    const server = await accepted;
    opened.push(client, server);
    server.messages$.subscribe((m) => {
      server.send(m);
      server.flush();
    });
    const replies = takeMessages(client, 3);
    client.send('one');
    client.send(new Uint8Array([0x74, 0x77, 0x6f]));
    client.flush();
    client.send('three');
    client.flush();
    expect(await replies).toEqual(['one', 'two', 'three']);
    expect(server.transport).toBe('tcp');
    expect(server.constructor.name).toBe(serverClass);
    expect(server.remoteAddress).toBe(client.localAddress);
    expect(server.localAddress).toBe(listener.address);
    expect(client.remoteAddress).toBe(listener.address);
    expect(server.userId).toBe('ip:127.0.0.1');
    expect(Math.abs(server.acceptedAt - Date.now())).toBeLessThan(5000);
  });

  it('frames every message of one flush byte for byte: ASCII, other UTF-8, binary, in any mix', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const payloads: Array<string | Uint8Array> = [
      '{"ta-cmd":"ping","ta-id":1,"msg-type":"complete"}',
      'ascii with a length of 256 bytes: ' + 'x'.repeat(256 - 34),
      'café', // latin1-range character: 2 bytes in UTF-8, must not be written as latin1
      'zw\u00ff\u0100',
      '😀 surrogate pair',
      '\ud800 lone surrogate',
      new Uint8Array([0, 0xff, 0x80, 0x7f]),
      'back to ASCII',
      'y'.repeat(70_000), // a header with a non-zero second byte
      'z',
    ];
    const expected = Buffer.concat(payloads.map((p) => encodeFrame(typeof p === 'string' ? Buffer.from(p) : p)));
    const all = receiveBytes(socket, expected.length);
    for (const p of payloads) server.send(p);
    server.flush();
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('refuses an empty or too long message at send, by its UTF-8 size, and keeps what was queued before', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const max = 262144;
    // accepted: a long ASCII text of exactly the limit (3 bytes per character would be over it); 87,381 '€' (3 bytes
    // each) just under it
    const payloads = ['first', 'a'.repeat(max), '€'.repeat(Math.floor(max / 3)), 'last'];
    const refusal = (p: string | Uint8Array): string | undefined => {
      try {
        server.send(p);
      } catch (e) {
        return (e as { errno?: string }).errno;
      }
      return undefined;
    };
    server.send(payloads[0]!);
    expect(refusal('')).toBe('EINVAL');
    server.send(payloads[1]!);
    expect(refusal('a'.repeat(max + 1))).toBe('EMSGSIZE');
    expect(refusal('€'.repeat(Math.floor(max / 3) + 1))).toBe('EMSGSIZE');
    expect(refusal(new Uint8Array(max + 1))).toBe('EMSGSIZE');
    server.send(payloads[2]!);
    server.send(payloads[3]!);
    const expected = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
    expect(server.pendingOutboundBytes).toBe(expected.length);
    const all = receiveBytes(socket, expected.length);
    server.flush();
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('frames a message sent in pieces (sendJoined) as the joined text, among other sends; refuses one too long', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const rest = Buffer.from('"msg-type":"notify","name":"café 😀"}');
    const heads = ['{"ta-cmd":"subscribe","ta-id":1,', '{"ta-cmd":"subscribe","ta-id":22,', '{"x":"y",'];
    server.send('before');
    for (const h of heads) server.sendJoined!(h, rest);
    for (const h of heads) server.sendJoined!(Buffer.from(h, 'latin1'), rest);
    let refused: string | undefined;
    try {
      server.sendJoined!('a'.repeat(261_000), new Uint8Array(1_145)); // one byte over the limit
    } catch (e) {
      refused = (e as { errno?: string }).errno;
    }
    expect(refused).toBe('EMSGSIZE');
    server.sendJoined!('a'.repeat(1_000), new Uint8Array(262_144 - 1_000)); // exactly the limit
    server.send('after');
    const texts = [
      'before',
      ...heads.map((h) => h + rest.toString()),
      ...heads.map((h) => h + rest.toString()),
      'a'.repeat(1_000) + '\0'.repeat(261_144),
      'after',
    ];
    const expected = Buffer.concat(texts.map((t) => encodeFrame(Buffer.from(t))));
    expect(server.pendingOutboundBytes).toBe(expected.length);
    const all = receiveBytes(socket, expected.length);
    server.flush();
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('frames thousands of messages of one flush in order', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const payloads = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? `ü${i}` : 'm'.repeat(i % 300) + String(i)));
    const expected = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
    const all = receiveBytes(socket, expected.length);
    for (const p of payloads) server.send(p);
    server.flush();
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('writes turns of every size exactly: output kept in several buffers, no copy, counted as queued', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    // turns from one tiny message to ~700 KB (many output buffers), in a fixed pseudo-random order, each a mix of
    // strings (ASCII and not), bytes and sendJoined pieces
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const turns = [1, 3000, 2, 800, 40, 5000, 1, 120, 2500, 7].map((count) =>
      Array.from({ length: count }, (_, i) => {
        const kind = rnd(4);
        const text = (kind === 0 ? 'ü' : '') + 'x'.repeat(rnd(250)) + String(i);
        return { kind, text };
      }),
    );
    const frames: Buffer[] = [];
    for (const t of turns) for (const m of t) frames.push(encodeFrame(Buffer.from(m.text)));
    const expected = Buffer.concat(frames);
    const all = receiveBytes(socket, expected.length);
    for (const t of turns) {
      const before = server.pendingOutboundBytes;
      let queued = 0;
      for (const { kind, text } of t) {
        if (kind === 1) server.send(Buffer.from(text));
        else if (kind === 2 && text.length > 3) server.sendJoined!(text.slice(0, 3), Buffer.from(text.slice(3)));
        else server.send(text);
        queued += 4 + Buffer.byteLength(text);
      }
      expect(server.pendingOutboundBytes - before).toBe(queued);
      server.flush();
    }
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('writes a small flush after a big one exactly (a buffer sized by the last flush, copied to its size)', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const big = Array.from({ length: 400 }, (_, i) => `big ${i} ` + 'b'.repeat(100));
    const expected = Buffer.concat([...big, 'small', 'ü'].map((p) => encodeFrame(Buffer.from(p))));
    const all = receiveBytes(socket, expected.length);
    for (const p of big) server.send(p);
    server.flush();
    server.send('small');
    expect(server.pendingOutboundBytes).toBeGreaterThanOrEqual(9);
    server.flush();
    server.send('ü');
    server.flush();
    expect((await all).equals(expected)).toBe(true);
    socket.destroy();
  });

  it('completes messages$ on a zero-length frame, after the frames before it', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const all = firstValueFrom(server.messages$.pipe(toArray()));
    socket.write(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b')), Buffer.alloc(4)]));
    expect((await all).map((m) => Buffer.from(m).toString())).toEqual(['a', 'b']);
    await new Promise((resolve) => socket.once('end', resolve));
    socket.destroy();
  });

  it('errors messages$ on an oversize frame and closes the connection', async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(262145);
    socket.write(header);
    await expect(firstValueFrom(server.messages$)).rejects.toThrow(/exceeds 262144/);
    await new Promise((resolve) => socket.once('end', resolve));
    socket.destroy();
  });

  it('completes messages$ when the peer closes, and the client sees the server close as an orderly end', async () => {
    const accepted = nextConnection(listener);
    const client = await connect(listener.address);
    const server = await accepted;
    opened.push(client, server);
    const clientDone = firstValueFrom(client.messages$.pipe(toArray()));
    server.messages$.subscribe();
    server.send('discarded: not flushed');
    server.close();
    expect(await clientDone).toEqual([]);
  });

  it("a peer's EOF completes messages$; the server's socket is ended only when the server closes it, without a reset", async () => {
    const accepted = nextConnection(listener);
    const socket = await rawClient(listener.address);
    const server = await accepted;
    opened.push(server);
    let completed = false;
    server.messages$.subscribe({ complete: () => (completed = true) });
    const received: Buffer[] = [];
    let closed = false;
    let error: unknown;
    socket.on('data', (b: Buffer) => received.push(b));
    socket.on('close', () => (closed = true));
    socket.on('error', (e) => (error = e));
    socket.end(); // the peer's EOF; it still reads
    for (let i = 0; i < 100 && !completed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(completed).toBe(true);
    // nothing goes out after the EOF, and the socket stays until the server closes it
    server.send('after the end');
    server.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    server.close();
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    expect(error).toBeUndefined();
    expect(received).toEqual([]);
    server.close(); // idempotent
  });

  it('reassembles frames longer than a read from several connections read in turn, each byte for byte', async () => {
    const n = 3;
    const accepted = firstValueFrom(listener.connections$.pipe(take(n), toArray()));
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i++) sockets.push(await rawClient(listener.address));
    const servers = await accepted;
    opened.push(...servers);
    // per connection: a 200 KB frame (several reads), then small ones; kept as copies (a frame is a view of a read)
    const sent = servers.map((_, i) => [
      Buffer.alloc(200_000, 65 + i),
      Buffer.from(`small ${i}`),
      Buffer.alloc(70_000, 97 + i),
    ]);
    const got = servers.map((server, i) =>
      firstValueFrom(
        server.messages$.pipe(
          map((m) => Buffer.from(m)),
          toArray(),
        ),
      ).then((frames) => ({ i, frames })),
    );
    // the streams interleaved in pieces of 1,500 bytes, a turn apart
    const streams = sent.map((frames) => Buffer.concat(frames.map((f) => encodeFrame(f))));
    for (let at = 0; streams.some((b) => at < b.length); at += 1500) {
      streams.forEach((b, i) => at < b.length && sockets[i]!.write(b.subarray(at, at + 1500)));
      await new Promise((r) => setImmediate(r));
    }
    sockets.forEach((socket) => socket.end());
    for (const { i, frames } of await Promise.all(got)) {
      expect(frames.length).toBe(3);
      frames.forEach((f, k) => expect(f.equals(sent[i]![k]!)).toBe(true));
    }
    sockets.forEach((socket) => socket.destroy());
  });

  it('a wave of peer closes completes every connection; closing them gives every descriptor back', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const n = 40;
    const accepted = firstValueFrom(listener.connections$.pipe(take(n), toArray()));
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i++) sockets.push(await rawClient(listener.address));
    const servers = await accepted;
    const completed = servers.map((server) => firstValueFrom(server.messages$.pipe(toArray())));
    sockets.forEach((socket) => socket.destroy()); // all at once, as a mass kill
    await Promise.all(completed);
    servers.forEach((server) => server.close());
    for (let i = 0; i < 100 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fds()).toBeLessThanOrEqual(before);
  });

  it('rejects listening on a port in use and bad addresses', async () => {
    await expect(listen(listener.address)).rejects.toMatchObject({ errno: 'EADDRINUSE' });
    await expect(listen('btcp:127.0.0.1:0')).rejects.toThrow('byte-stream transports are not supported');
    await expect(connect('tcp:127.0.0.1:bad')).rejects.toMatchObject({ errno: 'EINVAL' });
  });

  it('binds the client to a given local address', async () => {
    const accepted = nextConnection(listener);
    const client = await connect(listener.address, { localAddress: 'tcp:127.0.0.1:0' });
    const server = await accepted;
    opened.push(client, server);
    expect(server.remoteAddress).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(server.remoteAddress).toBe(client.localAddress);
  });
});

// XCM's socket options on every accepted connection (TCP_NODELAY, keepalive 1 s / 1 s / 3, DSCP 40): set on the
// listening socket and inherited by the connections it accepts (native/seqpacket.c `accepted_tcp_opts`)
describe('tcp transport through the native addon: socket options', () => {
  const addon = nativeTcp();
  const fdOf = (c: Connection): number => (c as unknown as { fd: number }).fd;

  it('every accepted connection has XCM options, and the check sees one turned off', async () => {
    expect(typeof addon?.tcpOptionsSet).toBe('function');
    const listener = await listen('tcp:127.0.0.1:0');
    const opened: Connection[] = [];
    try {
      const accepted = firstValueFrom(listener.connections$.pipe(take(3), toArray()));
      const clients: Connection[] = [];
      for (let i = 0; i < 3; i++) clients.push(await connect(listener.address));
      const servers = await accepted;
      opened.push(...clients, ...servers);
      const byRemote = new Map(servers.map((s) => [s.remoteAddress, s]));
      for (const c of clients) {
        // the peer's address, from accept itself
        const s = byRemote.get(c.localAddress)!;
        expect(s.constructor.name).toBe('NativeTcpConnection');
        expect(addon!.tcpOptionsSet!(fdOf(s))).toBe(true);
      }
      // a v3 hello turns keepalive off (§2.5): the check is not always true
      servers[0]!.setKeepAlive(false);
      expect(addon!.tcpOptionsSet!(fdOf(servers[0]!))).toBe(false);
      expect(addon!.tcpOptionsSet!(fdOf(servers[1]!))).toBe(true);
    } finally {
      opened.forEach((c) => c.close());
      await listener.close();
    }
  });
});

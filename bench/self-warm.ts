/**
 * The load generator's own warm-up (bench/loadgen.ts, before every scenario): its client code runs against an echo
 * server in its own process first, so that what a scenario measures is the server under test and not a fresh load
 * generator's first burst. The server under test sees nothing of it.
 *
 * Why: on a 2-core machine the load generator and the server share the cores. Cold, the load generator's connect,
 * hello and reply parsing (node:net sockets, V8 compiling them meanwhile) cost about as much CPU as the server's
 * handling of them, so `connect-hello` measured both processes' JIT warm-up (bench/README.md, "The load generator
 * warms itself").
 */
import { createServer, type Server, type Socket } from 'node:net';
import { RawPeer, pingJson, type Addr } from './wire';

/** A reply the load generator counts as one (`complete`); the echo server sends one per request frame. */
const REPLY = Buffer.from('{"ta-cmd":"hello","ta-id":0,"msg-type":"complete","protocol-version":2}');
const FRAME = Buffer.alloc(4 + REPLY.length);
FRAME.writeUInt32BE(REPLY.length, 0);
REPLY.copy(FRAME, 4);

/** Answers every XCM-framed request with {@link REPLY}, in one write per read. */
const answer = (sock: Socket): void => {
  let pending: Buffer = Buffer.alloc(0);
  sock.setNoDelay(true);
  sock.on('error', () => undefined);
  sock.on('data', (chunk: Buffer) => {
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let off = 0;
    let n = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off - 4 < len) break;
      off += 4 + len;
      n++;
    }
    pending = buf.subarray(off);
    if (n > 0) sock.write(n === 1 ? FRAME : Buffer.concat(Array.from({ length: n }, () => FRAME)));
  });
};

const listen = (server: Server): Promise<Addr> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('echo server: no address'));
      else resolve({ host: '127.0.0.1', port: a.port });
    });
  });

/**
 * Run the load generator's client paths against an in-process echo server: `connects` connects and hellos with 128
 * in flight (as `connect-hello`), then `pings` pipelined requests on one connection (as the throughput scenarios).
 */
export const selfWarm = async (connects: number, pings: number): Promise<void> => {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    answer(s);
  });
  const addr = await listen(server);
  const peers: RawPeer[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < connects) peers.push(await RawPeer.hello(addr, next++));
  };
  await Promise.all(Array.from({ length: Math.min(128, connects) }, worker));
  if (pings > 0) await peers[0]!.pipeline(pings, 1024, pingJson);
  peers.forEach((p) => p.close());
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

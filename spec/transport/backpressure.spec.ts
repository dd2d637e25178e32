import { connect as netConnect, type Socket } from 'node:net';
import {
  connect,
  encodeFrame,
  FrameSplitter,
  listen,
  READ_FRAMES_PER_TURN,
  type Connection,
  type Listener,
} from '../../lib/transport';
import { toArray, take, firstValueFrom } from 'rxjs';
import { delay, randomUxName, takeMessages } from './helpers';

const FLOOD = 10000;
const PINGS = 2000;
const PAYLOAD = 'x'.repeat(1000);

describe('back-pressure', () => {
  let listener: Listener;
  const served: Connection[] = [];
  const receivedFrom = new Map<Connection, number>();

  const serve = async (address: string): Promise<void> => {
    listener = await listen(address);
    listener.connections$.subscribe((conn) => {
      served.push(conn);
      receivedFrom.set(conn, 0);
      conn.messages$.subscribe((m) => {
        receivedFrom.set(conn, (receivedFrom.get(conn) ?? 0) + 1);
        const text = Buffer.from(m).toString();
        if (text === 'flood') {
          for (let i = 0; i < FLOOD; i++) {
            conn.send(`flood:${i}:${PAYLOAD}`);
            conn.flush();
          }
        } else {
          conn.send(`re:${text}`);
          conn.flush();
        }
      });
    });
  };

  afterEach(async () => {
    served.splice(0).forEach((c) => c.close());
    await listener.close();
  });

  it('tcp: stops reading a client that does not read, keeps serving others, and delivers everything in order', async () => {
    await serve('tcp:127.0.0.1:0');
    const port = Number(listener.address.slice(listener.address.lastIndexOf(':') + 1));
    const slow: Socket = await new Promise((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(s));
    });
    slow.pause();
    slow.write(encodeFrame(Buffer.from('flood')));
    // The pings go out once the flood is queued: sent together with it they could arrive in the same read as
    // 'flood', and frames already read are served (back-pressure stops the next read, not the current one).
    for (let waited = 0; (served[0]?.pendingOutbound ?? 0) <= 1024 * 1024 && waited < 5000; waited += 10) {
      await delay(10);
    }
    for (let i = 0; i < PINGS; i++) {
      slow.write(encodeFrame(Buffer.from(`ping:${i}`)));
    }
    await delay(300);
    const slowConn = served[0]!;
    expect(slowConn.pendingOutbound).toBeGreaterThan(1024 * 1024);
    expect(receivedFrom.get(slowConn)).toBeLessThan(1 + PINGS);

    const other = await connect(listener.address);
    const reply = takeMessages(other, 1);
    other.send('hello');
    other.flush();
    expect(await reply).toEqual(['re:hello']);
    other.close();

    const splitter = new FrameSplitter();
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      slow.on('data', (chunk: Buffer) => {
        splitter.push(chunk).frames.forEach((f) => got.push(Buffer.from(f).toString()));
        if (got.length === FLOOD + PINGS) {
          resolve();
        }
      });
    });
    slow.resume();
    await all;
    const expected = [
      ...Array.from({ length: FLOOD }, (_, i) => `flood:${i}:${PAYLOAD}`),
      ...Array.from({ length: PINGS }, (_, i) => `re:ping:${i}`),
    ];
    expect(got.length).toBe(expected.length);
    expect(got.every((m, i) => m === expected[i])).toBe(true);
    expect(receivedFrom.get(slowConn)).toBe(1 + PINGS);
    slow.destroy();
  });

  it('ux: stops reading a client that does not read, keeps serving others, and delivers everything in order', async () => {
    await serve(`ux:${randomUxName()}`);
    const slow = await connect(listener.address);
    slow.send('flood');
    for (let i = 0; i < PINGS; i++) {
      slow.send(`ping:${i}`);
      slow.flush();
    }
    await delay(300);
    const slowConn = served[0]!;
    expect(slowConn.pendingOutbound).toBeGreaterThan(1000);
    expect(receivedFrom.get(slowConn)).toBeLessThan(1 + PINGS);

    const other = await connect(listener.address);
    const reply = takeMessages(other, 1);
    other.send('hello');
    other.flush();
    expect(await reply).toEqual(['re:hello']);
    other.close();

    const got = (await firstValueFrom(slow.messages$.pipe(take(FLOOD + PINGS), toArray()))).map((m) =>
      Buffer.from(m).toString(),
    );
    const expected = [
      ...Array.from({ length: FLOOD }, (_, i) => `flood:${i}:${PAYLOAD}`),
      ...Array.from({ length: PINGS }, (_, i) => `re:ping:${i}`),
    ];
    expect(got.every((m, i) => m === expected[i])).toBe(true);
    expect(receivedFrom.get(slowConn)).toBe(1 + PINGS);
    expect(slow.pendingOutbound).toBe(0);
    slow.close();
  });

  it('tcp: a pipelining client is read at most READ_FRAMES_PER_TURN frames (and one chunk) ahead of a turn that answers', async () => {
    // the server answers at the end of a turn (setImmediate), as the domain does: the frames read before it are
    // requests whose replies are not queued yet
    listener = await listen('tcp:127.0.0.1:0');
    let delivered = 0;
    let answered = 0;
    let most = 0;
    const pending: string[] = [];
    listener.connections$.subscribe((conn) => {
      served.push(conn);
      conn.messages$.subscribe((m) => {
        delivered++;
        pending.push(Buffer.from(m).toString());
        if (pending.length === 1)
          setImmediate(() => {
            most = Math.max(most, pending.length);
            for (const p of pending.splice(0)) conn.send(`re:${p}`);
            answered = delivered;
            conn.flush();
          });
      });
    });
    const N = 60_000;
    const frames: Buffer[] = [];
    for (let i = 0; i < N; i++) frames.push(encodeFrame(Buffer.from(`p:${i}`)));
    const port = Number(listener.address.slice(listener.address.lastIndexOf(':') + 1));
    const client: Socket = await new Promise((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(s));
    });
    const splitter = new FrameSplitter();
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        splitter.push(chunk).frames.forEach((f) => got.push(Buffer.from(f).toString()));
        if (got.length === N) resolve();
      });
    });
    client.write(Buffer.concat(frames)); // ~600 KB at once: the kernel holds tens of thousands of requests
    await all;
    client.destroy();
    expect(answered).toBe(N);
    expect(got[0]).toBe('re:p:0');
    expect(got[N - 1]).toBe(`re:p:${N - 1}`);
    // one 64 KiB chunk holds at most 65536 / 7 frames of these (a 4-byte header and at least 3 bytes)
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(READ_FRAMES_PER_TURN + Math.ceil(65536 / 7));
  });
});

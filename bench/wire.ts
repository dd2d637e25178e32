/**
 * A neutral raw Pathfinder peer for the server benchmark: a plain `node:net` socket speaking XCM tcp framing (a 4-byte
 * big-endian length, then the JSON), with none of rxpaf's own transport, codec or client code, so that it treats
 * rxpafd and tpafd alike. Replies are classified by their `msg-type` with a byte scan (no JSON parse, no string per
 * message), so the generator stays cheap next to the server it measures.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';

export type Addr = { host: string; port: number };

/** `tcp:127.0.0.1:4711` -> host and port. */
export const parseAddr = (addr: string): Addr => {
  const m = /^tcp:(.+):(\d+)$/.exec(addr);
  if (m === null) throw new Error(`not a tcp address: ${addr}`);
  return { host: m[1]!, port: Number(m[2]) };
};

/** `count` requests framed back to back; request `i` is `bytes[offsets[i] .. offsets[i + 1])`. */
export type Batch = { readonly count: number; readonly bytes: Buffer; readonly offsets: Uint32Array };

/** Pre-encode `n` requests (done before a measurement starts, so the generator's cost is not in it). */
export const encodeBatch = (n: number, make: (i: number) => string): Batch => {
  const texts: string[] = new Array<string>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    texts[i] = make(i);
    total += 4 + Buffer.byteLength(texts[i]!);
  }
  const bytes = Buffer.allocUnsafe(total);
  const offsets = new Uint32Array(n + 1);
  let off = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = off;
    const len = bytes.write(texts[i]!, off + 4, 'utf8');
    bytes.writeUInt32BE(len, off);
    off += 4 + len;
  }
  offsets[n] = off;
  return { count: n, bytes, offsets };
};

const MSG_TYPE = Buffer.from('"msg-type"');
const QUOTE = 0x22;

/** First letter of the frame's msg-type value: 'c'omplete, 'a'ccept, 'n'otify, 'f'ail (0 if none). */
const msgTypeOf = (buf: Buffer, start: number, end: number): number => {
  const i = buf.indexOf(MSG_TYPE, start);
  if (i < 0 || i >= end) return 0;
  let j = i + MSG_TYPE.length;
  while (j < end && buf[j] !== QUOTE) j++;
  return j + 1 < end ? buf[j + 1]! : 0;
};

/** A ping request (the benchmark's clients, the bystander and the load generator's own warm-up). */
export const pingJson = (taId: number): string => `{"ta-cmd":"ping","ta-id":${taId},"msg-type":"request"}`;

export const hello = (clientId: number): string =>
  `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${clientId},"protocol-minimum-version":2,"protocol-maximum-version":2}`;

/**
 * A pipelining peer. Request/response replies on one connection come in request order, so a reply is matched to the
 * oldest request in flight; `notify` frames are counted (and passed to `onNotify`); a `fail` is fatal.
 */
export class RawPeer {
  /** Replies (`complete` or `accept`) received. */
  replies = 0;
  /** `notify` frames received. */
  notifications = 0;
  onNotify: (() => void) | undefined;
  onReply: (() => void) | undefined;
  private pending: Buffer | undefined;
  private closed = false;
  private failure: ((e: Error) => void) | undefined;

  private constructor(readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => this.feed(chunk));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => {
      if (!this.closed) this.fail(new Error('server closed the connection'));
    });
  }

  static open(addr: Addr): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = netConnect(addr.port, addr.host);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new RawPeer(s));
      });
      s.once('error', reject);
    });
  }

  /** Connect and complete a v2 hello. */
  static async hello(addr: Addr, clientId: number): Promise<RawPeer> {
    const p = await RawPeer.open(addr);
    await p.pipeline(1, 1, () => hello(clientId));
    return p;
  }

  private fail(e: Error): void {
    if (this.failure !== undefined) this.failure(e);
    else if (!this.closed) {
      process.stderr.write(`loadgen peer: ${e.message}\n`);
      process.exit(1);
    }
  }

  private feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let off = 0;
    let replies = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off - 4 < len) break;
      const t = msgTypeOf(buf, off + 4, off + 4 + len);
      if (t === 0x6e /* n */) {
        this.notifications++;
        this.onNotify?.();
      } else if (t === 0x63 /* c */ || t === 0x61 /* a */) {
        replies++;
      } else {
        this.fail(new Error(`unexpected reply: ${buf.toString('latin1', off + 4, off + 4 + len)}`));
        return;
      }
      off += 4 + len;
    }
    if (off < buf.length) this.pending = buf.subarray(off);
    if (replies > 0) {
      this.replies += replies;
      this.onReply?.();
    }
  }

  /**
   * Send every request of `batch` with at most `window` in flight; resolves when all are answered. The window is
   * refilled in one write (a slice of the pre-encoded batch) whenever half of it has been answered.
   */
  send(batch: Batch, window: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const n = batch.count;
      const base = this.replies;
      let sent = 0;
      this.failure = reject;
      const pump = (): void => {
        const done = this.replies - base;
        if (done >= n) {
          this.onReply = undefined;
          this.failure = undefined;
          resolve();
          return;
        }
        if (sent > 0 && sent - done > window / 2) return;
        const upTo = Math.min(n, done + window);
        if (upTo > sent) {
          this.sock.write(batch.bytes.subarray(batch.offsets[sent], batch.offsets[upTo]));
          sent = upTo;
        }
      };
      this.onReply = pump;
      pump();
    });
  }

  /** `send` of a batch encoded on the spot. */
  pipeline(n: number, window: number, make: (i: number) => string): Promise<void> {
    return this.send(encodeBatch(n, make), window);
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/** VmRSS of a process, in bytes (Linux). */
export const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
};

/** CPU time (user + system) a process has used, in seconds (Linux; clock ticks of 10 ms). */
export const cpuOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15)
};

/** Wall time in ms comparable across worker threads. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** The TCP ports a process listens on, from /proc (its socket inodes matched in the tcp tables). */
export const listeningPorts = (pid: number): number[] => {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    }
  } catch {
    return []; // not started yet, or an fd went away: ask again
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
  }
  return ports;
};

export const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** A raw protocol client for integration specs: send JSON text, await parsed messages, observe the close. */
import { parseJson } from '../../lib/codec/json';
import { connect } from '../../lib/transport/connect';
import type { Connection, ConnectOptions } from '../../lib/transport/transport';

export type Msg = Record<string, unknown>;

export class RawClient {
  private readonly queue: Msg[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  closeKind: 'eof' | 'error' | undefined;

  private constructor(readonly conn: Connection) {
    conn.messages$.subscribe({
      next: (b) => {
        const j = parseJson(b);
        this.queue.push(j._tag === 'Right' ? (j.right as Msg) : { unparsable: Buffer.from(b).toString() });
        this.wake();
      },
      complete: () => {
        this.closed = true;
        this.closeKind = 'eof';
        this.wake();
      },
      error: () => {
        this.closed = true;
        this.closeKind = 'error';
        this.wake();
      },
    });
  }

  static async open(addr: string, opts?: ConnectOptions): Promise<RawClient> {
    return new RawClient(await connect(addr, opts));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  send(json: string): void {
    this.conn.send(json);
    this.conn.flush();
  }

  /** The next message, or an error after `ms`. */
  async next(ms = 3000): Promise<Msg> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a message');
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return this.queue.shift()!;
  }

  /** Resolves when the server closes the connection (with what was received until then). */
  async waitClosed(ms = 5000): Promise<Msg[]> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for close');
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return this.queue.splice(0);
  }

  async hello(clientId: number | bigint, min = 2, max = 3, taId = 0): Promise<Msg> {
    this.send(
      `{"ta-cmd":"hello","ta-id":${taId},"msg-type":"request","client-id":${clientId},"protocol-minimum-version":${min},"protocol-maximum-version":${max}}`,
    );
    return this.next();
  }

  close(): void {
    this.conn.close();
  }
}

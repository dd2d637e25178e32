/**
 * What `StreamConnection` uses of a `net.Socket`, for the in-process benchmarks (`bench/shell.ts`, `bench/fanout.ts`):
 * writes are counted and dropped; their callbacks run at once, or on the next tick when `deferCallbacks` (as a
 * socket's do once the kernel took the bytes).
 */
import { EventEmitter } from 'node:events';

export class FakeSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 4711;
  readonly writableLength = 0;
  destroyed = false;
  written = 0;
  writes = 0;
  constructor(
    readonly remotePort: number,
    private readonly deferCallbacks = false,
  ) {
    super();
  }
  write(data: Uint8Array, cb?: () => void): boolean {
    this.written += data.length;
    this.writes++;
    if (cb) {
      if (this.deferCallbacks) process.nextTick(cb);
      else cb();
    }
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

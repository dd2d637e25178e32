/**
 * A size-rotating log file, like Python's `RotatingFileHandler` (used by pafd's `-o`/`-b`/`-x`): when a record
 * would make the file reach `maxBytes`, `file.N-1` → `file.N`, ..., `file` → `file.1`, and a new `file` is
 * started. As in Python, there is no rotation when `maxBytes` or `backups` is 0. The file is opened synchronously
 * (so a bad path fails at startup) and reopened lazily; writes are queued and done asynchronously, never blocking the event loop.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** node:fs/promises (and the readline it loads) only once a log file is written: not in an idle daemon without one. */
const fsp = async (): Promise<typeof import('node:fs/promises')> => import('node:fs/promises');
import { messageOf } from '../errors';

/** Appends lines to a file with rotation. */
export class RotatingFileSink {
  private handle: FileHandle | undefined;
  private size: number;
  private queue: Buffer[] = [];
  private draining: Promise<void> | undefined;
  private failed = false;

  /** Opens (creates) `path` for appending; throws the `fs` error if that is impossible. */
  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly backups: number,
    private readonly onError: (message: string) => void,
  ) {
    const fd = openSync(path, 'a');
    try {
      this.size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  }

  /** Queues one line (a newline is appended). */
  write(line: string): void {
    if (this.failed) return;
    this.queue.push(Buffer.from(`${line}\n`));
    this.draining ??= this.drain()
      .catch((e: unknown) => this.fail(e))
      .finally(() => (this.draining = undefined));
  }

  /** Resolves when everything queued so far has been written. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.failed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const chunk: Buffer[] = [];
      for (const rec of this.queue.splice(0)) {
        if (this.shouldRollover(rec.length)) {
          await this.append(chunk.splice(0));
          await this.rollover();
        }
        chunk.push(rec);
        this.size += rec.length;
      }
      await this.append(chunk);
    }
  }

  private shouldRollover(len: number): boolean {
    return this.maxBytes > 0 && this.backups > 0 && this.size > 0 && this.size + len >= this.maxBytes;
  }

  private async append(bufs: Buffer[]): Promise<void> {
    if (bufs.length === 0) return;
    const handle = await this.fileHandle();
    await handle.appendFile(Buffer.concat(bufs));
  }

  private async fileHandle(): Promise<FileHandle> {
    this.handle ??= await (await fsp()).open(this.path, 'a');
    return this.handle;
  }

  private async rollover(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    for (let i = this.backups - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (await exists(from)) await (await fsp()).rename(from, `${this.path}.${i + 1}`);
    }
    await (await fsp()).rename(this.path, `${this.path}.1`);
    this.size = 0;
  }

  private fail(e: unknown): void {
    this.failed = true;
    this.queue = [];
    this.onError(`writing log file '${this.path}' failed: ${messageOf(e)}`);
  }
}

const exists = async (p: string): Promise<boolean> =>
  (await fsp()).stat(p).then(
    () => true,
    () => false,
  );

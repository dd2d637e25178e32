import { expect } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastValueFrom, toArray } from 'rxjs';

import { readLines$ } from '../../lib/replay';
import { CHUNK, fileChunks, LONG_PREFIX } from '../../lib/replay/replay-run';

describe('reading log lines from bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // lines of every length around and past the chunk size, with multi-byte characters that chunk edges cut in two
  const lines: string[] = [];
  for (let i = 0; lines.join('\n').length < 3.5 * (1 << 20); i++)
    lines.push(`{"i":${i},"s":"${'é€😀x'.repeat(i % 7 === 0 ? 40_000 : (i * 37) % 300)}"}`);
  lines.push('', 'after a blank line', 'a line longer than two chunks: ' + 'ü'.repeat(1_200_000));

  const collect = async (
    file: string,
    offset = 0,
    reuse = false,
  ): Promise<{ lines: string[]; bytes: number; last: boolean[] }> => {
    const out: string[] = [];
    const last: boolean[] = [];
    let bytes = 0;
    for await (const c of fileChunks(file, offset, (b) => (bytes += b), undefined, '', reuse)) {
      out.push(...c.lines);
      last.push(c.last);
    }
    return { lines: out, bytes, last };
  };

  it('gives every line exactly, across chunk edges, with or without a final newline, and from an offset', async () => {
    const ended = join(dir, 'ended.ndjson');
    const text = lines.join('\n') + '\n';
    writeFileSync(ended, text);
    const a = await collect(ended);
    expect(a.lines).toEqual(lines);
    expect(a.bytes).toBe(Buffer.byteLength(text));
    expect(a.last.every((l) => !l)).toBe(true);

    const open = join(dir, 'open.ndjson');
    writeFileSync(open, lines.join('\n'));
    const b = await collect(open);
    expect(b.lines).toEqual(lines);
    expect(b.last[b.last.length - 1]).toBe(true);

    const from = Buffer.byteLength(lines.slice(0, 3).join('\n') + '\n');
    expect((await collect(ended, from)).lines).toEqual(lines.slice(3));
  });

  it('gives the same lines reading every chunk into one buffer again (the start of a line is copied)', async () => {
    const ended = join(dir, 'reused.ndjson');
    writeFileSync(ended, lines.join('\n') + '\n');
    expect((await collect(ended, 0, true)).lines).toEqual(lines);
    const open = join(dir, 'reused-open.ndjson');
    writeFileSync(open, lines.join('\n'));
    expect((await collect(open, 0, true)).lines).toEqual(lines);
    // what `skip` is given is the chunk of its turn: two buffers in turn (the next chunk is read into the other one
    // while the consumer takes this one), a buffer read over only once the chunk after it is asked for
    const seen: Uint8Array[] = [];
    let copy = Buffer.alloc(0);
    let intact = 0;
    for await (const _ of fileChunks(
      ended,
      0,
      () => {},
      (b) => {
        if (seen[seen.length - 1] !== b) {
          seen.push(b);
          copy = Buffer.from(b);
        }
        return false;
      },
      '',
      true,
    )) {
      // (time for the read ahead to land: it must not be in the chunk just given)
      await sleep(2);
      expect(Buffer.compare(seen[seen.length - 1]!, copy)).toBe(0);
      intact++;
    }
    const full = seen.filter((b) => b.length === CHUNK);
    expect(new Set(full).size).toBe(2);
    expect(full.length).toBeGreaterThan(10);
    expect(intact).toBeGreaterThan(10);
  });

  it('gives the same lines whether a chunk is ASCII only (decoded as Latin-1) or not', async () => {
    // ASCII chunks, then chunks with a Latin-1-range character here and there (é, ÿ: two UTF-8 bytes each, which
    // a Latin-1 decoding would turn into two characters), a chunk edge inside one of them, a CRLF line
    const mixed: string[] = [];
    let length = 0; // of mixed.join('\n') + '\n', in UTF-16 units (the bytes are a few more)
    const push = (...ls: string[]): void => {
      mixed.push(...ls);
      for (const l of ls) length += l.length + 1;
    };
    for (let i = 0; length < 3 * CHUNK; i++) push(`{"seq":${i},"at":1.5,"type":"tick"}`);
    push('x'.repeat(CHUNK - (length % CHUNK) - 1) + 'é' + 'ÿ'.repeat(3), 'ascii again\r');
    for (let i = 0; length < 6 * CHUNK; i++) push(i % 500 === 0 ? `"é${i}"` : `"a${i}"`);
    for (let i = 0; length < 8 * CHUNK; i++) push(`plain ${i}`);
    const file = join(dir, 'mixed.ndjson');
    writeFileSync(file, mixed.join('\n') + '\n');
    expect((await collect(file)).lines).toEqual(mixed);
    expect((await collect(file, 0, true)).lines).toEqual(mixed);
  });

  it('reads gzipped files the same, and readLines$ concatenates files', async () => {
    const gz = join(dir, 'old.ndjson.gz');
    writeFileSync(gz, gzipSync(lines.slice(0, 20).join('\n') + '\n'));
    const plain = join(dir, 'new.ndjson');
    writeFileSync(plain, lines.slice(20).join('\n') + '\n');
    expect((await collect(gz)).lines).toEqual(lines.slice(0, 20));
    expect(await lastValueFrom(readLines$([gz, plain]).pipe(toArray()))).toEqual(lines);
  });

  it('skipLong: a line longer than its chunk is asked about once, by its head, after the lines before it were taken; true drops it', async () => {
    // long lines (a snapshot is as long as the directory) starting at every kind of place: mid-chunk, a few bytes
    // before a chunk's end (the head then comes from the next chunk), and a long line cut by the end of the file
    const long = (tag: string, n: number): string => `{"tag":"${tag}","pad":"${'x'.repeat(n)}"}`;
    const ls = [
      'a',
      long('drop1', 3 * CHUNK),
      'b',
      'y'.repeat(CHUNK - 34), // the next line starts 4 bytes before the chunk's end
      long('keep', CHUNK),
      long('drop2', 2 * CHUNK),
      'c',
    ];
    for (const reuse of [false, true])
      for (const cut of [false, true]) {
        const file = join(dir, `long-${reuse}-${cut}.ndjson`);
        const all = cut ? [...ls, long('drop3', 2 * CHUNK)] : ls;
        writeFileSync(file, all.join('\n') + (cut ? '' : '\n'));
        const heads: string[] = [];
        const out: string[] = [];
        for await (const c of fileChunks(
          file,
          0,
          () => {},
          undefined,
          '',
          reuse,
          (b, start, end) => {
            const head = Buffer.from(b.subarray(start, end)).toString('latin1');
            // asked with at least LONG_PREFIX bytes, all of them the line's own
            expect(end - start).toBeGreaterThanOrEqual(LONG_PREFIX);
            expect(all.some((l) => l.startsWith(head))).toBe(true);
            // every line before this one was taken already
            const tag = /"tag":"(\w+)"/.exec(head)![1]!;
            expect(out.length).toBe(all.findIndex((l) => l.includes(`"tag":"${tag}"`)));
            heads.push(tag);
            return tag.startsWith('drop');
          },
        ))
          out.push(...c.lines);
        expect(heads).toEqual(cut ? ['drop1', 'keep', 'drop2', 'drop3'] : ['drop1', 'keep', 'drop2']);
        // dropped lines are empty lines (they keep their numbers); every other line as it is
        expect(out).toEqual(all.map((l) => (/"tag":"drop/.test(l) ? '' : l)));
      }
  });
});

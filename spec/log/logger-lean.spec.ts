/**
 * The logger's lean defaults (idle RSS, bench/README.md): the console line's time is composed from the UTC getters
 * and must equal `toISOString()`; the default stderr writer is a queue of `fs.write` calls that must keep every line,
 * in order, however many are logged while a write is in flight, and report when it has drained.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

import { stderrWriter } from '../../lib/log/logger';
import { isoTime } from '../../lib/log/logger-format';

describe('isoTime', () => {
  it('equals Date.prototype.toISOString for every time in years 0 to 9999', () => {
    const year0 = new Date(0);
    year0.setUTCFullYear(0, 0, 1);
    const from = year0.getTime();
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), (ms) => {
        const t = new Date(ms);
        expect(isoTime(t)).toBe(t.toISOString());
      }),
      { numRuns: 5000 },
    );
    for (const ms of [from, to, 0, -1, 951782400000 /* 2000-02-29 */, Date.UTC(2026, 11, 2, 16, 0, 0, 7)])
      expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it('leaves years outside 0-9999 to toISOString (expanded years)', () => {
    const t = new Date(Date.UTC(10000, 0, 1));
    expect(isoTime(t)).toBe('+010000-01-01T00:00:00.000Z');
    const before = new Date(0);
    before.setUTCFullYear(-1, 11, 31);
    expect(isoTime(before)).toBe(before.toISOString());
    expect(isoTime(before).startsWith('-000001-')).toBe(true);
  });
});

describe('stderrWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every line in order, also those logged while a write is in flight, and end() waits for them', async () => {
    const file = join(dir, 'err.txt');
    const fd = openSync(file, 'w');
    try {
      const w = stderrWriter(fd);
      const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}\n`);
      lines.slice(0, 1000).forEach((l) => w.write(l));
      await new Promise((r) => setImmediate(r));
      lines.slice(1000, 2000).forEach((l) => w.write(l));
      await new Promise((r) => setTimeout(r, 1));
      lines.slice(2000).forEach((l) => w.write(l));
      await w.end();
      expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
      w.write('after end\n');
      await w.end();
      expect(readFileSync(file, 'utf8').endsWith('after end\n')).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('end() resolves at once when nothing is pending, and a failing fd drops the text but keeps going', async () => {
    await expect(stderrWriter(2).end()).resolves.toBeUndefined();
    const fd = openSync(join(dir, 'ro.txt'), 'w');
    closeSync(fd);
    const bad = openSync(join(dir, 'ro.txt'), 'r'); // a read-only fd: every write fails with EBADF
    try {
      const w = stderrWriter(bad);
      w.write('lost\n');
      w.write('also lost\n');
      await w.end();
      w.write('again\n');
      await w.end();
    } finally {
      closeSync(bad);
    }
    expect(readFileSync(join(dir, 'ro.txt'), 'utf8')).toBe('');
  });
});

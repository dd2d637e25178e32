/** Edge rules of the operational logger: nested field values, and a log file that fails while the daemon runs. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RotatingFileSink } from '../../lib/log/logger-file-sink';
import { formatText, formatValue } from '../../lib/log/logger-format';

describe('formatValue: structured values', () => {
  it('writes an Error as its quoted message, also inside objects and arrays', () => {
    expect(formatValue(new Error('disk full'))).toBe('"disk full"');
    expect(formatValue({ cause: new Error('x y'), list: [new Error('z')] })).toBe('{"cause":"x y","list":["z"]}');
  });

  it('cuts nesting deeper than five levels as "[...]" (a cyclic value cannot hang the logger)', () => {
    expect(formatValue({ a: { b: { c: { d: { e: { f: 1 } } } } } })).toBe('{"a":{"b":{"c":{"d":{"e":"[...]"}}}}}');
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    expect(formatValue(cyclic)).toBe(
      '{"n":1,"self":{"n":1,"self":{"n":1,"self":{"n":1,"self":{"n":1,"self":"[...]"}}}}}',
    );
  });

  it('keeps a record on one line: newlines in the message are escaped, fields follow as key=value', () => {
    expect(formatText('a\r\nb\nc', { k: 'v w' })).toBe('a\\nb\\nc k="v w"');
  });
});

describe('RotatingFileSink when writing fails', () => {
  it('reports the failure once through onError and ignores later records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxpaf-log-'));
    const path = join(dir, 'd.log');
    const errors: string[] = [];
    try {
      // rotation at 20 bytes with one backup: the second record renames d.log, which fails once the directory is gone
      const sink = new RotatingFileSink(path, 20, 1, (m) => errors.push(m));
      sink.write('first record here');
      await sink.flush();
      expect(readFileSync(path, 'utf8')).toBe('first record here\n');
      rmSync(dir, { recursive: true, force: true });
      sink.write('second record');
      await sink.flush();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^writing log file '${path}' failed: .*ENOENT`));
      sink.write('third record');
      await sink.flush();
      expect(errors).toHaveLength(1);
      await sink.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

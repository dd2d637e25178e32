import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeLine, type EventRecord, type HeaderRecord } from '../../lib/log/event-codec';
import { createRecorder } from '../../lib/log/record';
import { rotatedFiles } from '../../lib/log/record-rotate';
import { Replayer, replayItems, splitLines } from '../../lib/log/replay';
import { directoryView } from '../../lib/log/replay-directory';

const golden = splitLines(readFileSync(join(__dirname, '../fixtures/logs/orphan-expiry.ndjson'), 'utf8')).map((l) => {
  const r = decodeLine(l);
  if (r._tag === 'Left') throw new Error(r.left);
  return r.right;
});
const header = golden[0] as HeaderRecord;
const events = golden.filter((r): r is EventRecord => r.kind === 'event').map((r) => r.event);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const finalView = (lines: string[]) => {
  const r = new Replayer();
  for (const _ of replayItems(lines, r));
  return directoryView(r.domains.get(0)!.state);
};

describe('recorder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-rotate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('buffers lines and writes them once per event-loop turn', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file });
    rec.header(0, header);
    rec.events(0, events.slice(0, 3));
    expect(statSync(file).size).toBe(0);
    await turn();
    expect(splitLines(readFileSync(file, 'utf8'))).toHaveLength(4);
    await rec.close();
  });

  it('rotates by size; each file starts with the headers and the files replay in order', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file, maxBytes: 700, keep: 50 });
    rec.header(0, header);
    for (const e of events) {
      rec.events(0, [e]);
      await turn();
    }
    await rec.close();
    const files = rotatedFiles(file, 50);
    expect(files.length).toBeGreaterThan(3);
    expect(files[files.length - 1]).toBe(file);
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    for (const [i, t] of texts.entries()) {
      expect(Buffer.byteLength(t)).toBeLessThanOrEqual(700);
      expect(t.startsWith(`{"v":1,"kind":"domain","d":0,"name":"main"`)).toBe(true);
      expect(t.split('\n')[0]!.endsWith(i === 0 ? '}' : ',"rotated":true}')).toBe(true);
    }
    const expected = finalView(
      splitLines(readFileSync(join(__dirname, '../fixtures/logs/orphan-expiry.ndjson'), 'utf8')),
    );
    expect(finalView(texts.flatMap(splitLines))).toEqual(expected);
  });

  it('keeps at most `keep` rotated files; a replay starting in a rotated file is flagged partial', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file, maxBytes: 600, keep: 2 });
    rec.header(0, header);
    for (const e of events) {
      rec.events(0, [e]);
      rec.flush();
    }
    await rec.close();
    expect(rotatedFiles(file, 10)).toEqual([`${file}.2`, `${file}.1`, file]);
    const r = new Replayer();
    for (const _ of replayItems(splitLines(readFileSync(`${file}.2`, 'utf8')), r));
    expect(r.domains.get(0)!.partial).toBe(true);
  });

  it('appends to an existing log: drops a partial last line and continues the numbering', async () => {
    const file = join(dir, 'e.ndjson');
    const first = createRecorder({ file });
    first.header(0, header);
    first.events(0, events.slice(0, 5));
    await first.close();
    appendFileSync(file, '{"v":1,"seq":5,"d":0,"at":10');
    const second = createRecorder({ file });
    second.header(0, header);
    second.events(0, events.slice(0, 2));
    await second.close();
    const lines = splitLines(readFileSync(file, 'utf8'));
    expect(lines).toHaveLength(9);
    expect(lines.slice(7).map((l) => JSON.parse(l).seq)).toEqual([5, 6]);
    expect([...replayItems(lines)].filter((i) => i.kind === 'step')).toHaveLength(7);
  });

  it('ignores records after close', async () => {
    const file = join(dir, 'e.ndjson');
    writeFileSync(file, '');
    const rec = createRecorder({ file });
    rec.header(0, header);
    await rec.close();
    rec.events(0, events);
    rec.flush();
    expect(splitLines(readFileSync(file, 'utf8'))).toHaveLength(1);
  });
});

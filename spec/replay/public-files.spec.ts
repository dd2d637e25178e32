/**
 * `replay$` given `readLines$(files)` as it is reads the files itself and passes over the recorder's outbound lines
 * by their bytes, never decoding them to strings: the same steps, line numbers and errors as `replay$` of the same
 * lines given as strings (the path of any other observable); the periodic snapshots it has passed, longer than a
 * chunk of the file, are not joined from their chunks, with the same steps.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, map, materialize, toArray, type Observable } from 'rxjs';

import { synthLog } from '../../bench/replay-synth';
import { splitLines } from '../../lib/replay/replay';
import { CHUNK } from '../../lib/replay/replay-run';
import { replay$, type ReplayStep } from '../../lib/replay/replay-public';
import { linesOf$, logFilesOf, readLines$ } from '../../lib/replay/replay-read';
import { isOutFrameBytes } from '../../lib/replay/event-codec';

const show = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
/** Every notification of a replay: its steps, then how it ended (an error's class, line and message). */
const run = async (steps$: Observable<ReplayStep>): Promise<string[]> =>
  (await lastValueFrom(steps$.pipe(materialize(), toArray()))).map((n) =>
    n.kind === 'N'
      ? show(n.value)
      : n.kind === 'E'
        ? show({
            error: (n.error as Error).constructor.name,
            line: (n.error as { line?: number }).line,
            m: String(n.error),
          })
        : 'complete',
  );

describe('replay$ of readLines$(files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-public-files-'));
  const file = join(dir, 'synth.ndjson');
  let lines: string[] = [];
  beforeAll(() => {
    synthLog({ file, inputs: 6000, perProducer: 20, snapshotEvery: 1000 });
    lines = splitLines(readFileSync(file, 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is recognised as it is, not once transformed', () => {
    expect(logFilesOf(readLines$([file]))?.files).toEqual([file]);
    expect(logFilesOf(readLines$([file]).pipe(map((l) => l)))).toBeUndefined();
    expect(logFilesOf(from(lines))).toBeUndefined();
  });

  it('passes over the outbound lines unread: empty lines in their places, every other line as it is', async () => {
    const got = await lastValueFrom(linesOf$([file], {}, isOutFrameBytes).pipe(toArray()));
    expect(got.length).toBe(lines.length);
    const outs = lines.filter((l) => l.startsWith('{"out"')).length;
    expect(outs).toBeGreaterThan(5000);
    expect(got.filter((l) => l === '').length).toBe(outs);
    got.forEach((l, i) => expect(l === '' ? lines[i]!.startsWith('{"out"') : l === lines[i]).toBe(true));
  });

  it('the same steps as replay$ of the lines as strings, across files and with a CRLF line', async () => {
    const second = join(dir, 'crlf.ndjson');
    const k = lines.findIndex((l, i) => i > lines.length / 2 && l.startsWith('{"out"'));
    writeFileSync(join(dir, 'first.ndjson'), lines.slice(0, k).join('\n') + '\n');
    writeFileSync(second, lines[k] + '\r\n' + lines.slice(k + 1).join('\n') + '\n');
    const files = [join(dir, 'first.ndjson'), second];
    const want = await run(replay$(from(lines)));
    expect(want.length).toBe(6001);
    expect(await run(replay$(readLines$(files)))).toEqual(want);
    expect(await run(replay$(readLines$([file])))).toEqual(want);
  });

  it.each([
    [
      'an outbound line with a broken frame (an error)',
      '{"out"',
      (l: string) => l.replace('{"out":', '{"out":x'),
      /"error"/,
    ],
    // (outbound lines are checked for their frame only, on either path)
    [
      'an outbound message that is not JSON (passed over)',
      '{"out"',
      (l: string) => l.replace('"msg":{', '"msg":{{'),
      /^complete$/,
    ],
    ['an event line that is not JSON (an error)', '{"seq"', (l: string) => l.slice(0, -1), /"error"/],
  ])('the same steps and end for %s', async (_what, kind, corrupt, end) => {
    const k = lines.findIndex((l, i) => i > 3000 && l.startsWith(kind));
    const bad = [...lines];
    bad[k] = corrupt(bad[k]!);
    const f = join(dir, 'bad.ndjson');
    writeFileSync(f, bad.join('\n') + '\n');
    const want = await run(replay$(from(bad)));
    expect(await run(replay$(readLines$([f])))).toEqual(want);
    expect(want[want.length - 1]).toMatch(end);
  });

  it('the same steps when the snapshots it passes are longer than a chunk (not joined from their chunks)', async () => {
    const big = join(dir, 'big-snapshots.ndjson');
    // 12,000 services: each snapshot is megabytes, several chunks of the file
    synthLog({ file: big, inputs: 30_000, perProducer: 600, snapshotEvery: 10_000 });
    const all = splitLines(readFileSync(big, 'utf8'));
    const long = all.filter((l) => l.includes('"kind":"snapshot"') && Buffer.byteLength(l) > 2 * CHUNK);
    expect(long.length).toBeGreaterThanOrEqual(2);
    const want = await run(replay$(from(all)));
    expect(want.length).toBe(30_001);
    expect(await run(replay$(readLines$([big])))).toEqual(want);
    // a log that starts at a checkpoint (the header, then a snapshot the replay must load, not pass over)
    const at = all.indexOf(long[0]!);
    const cut = join(dir, 'from-checkpoint.ndjson');
    writeFileSync(cut, [all[0]!, ...all.slice(at)].join('\n') + '\n');
    const fromCut = await run(replay$(from([all[0]!, ...all.slice(at)])));
    expect(fromCut.at(-1)).toBe('complete');
    expect(fromCut.length).toBeGreaterThan(10_000);
    expect(await run(replay$(readLines$([cut])))).toEqual(fromCut);
  }, 60_000);
});

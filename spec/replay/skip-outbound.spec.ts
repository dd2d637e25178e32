import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';

import { synthLog } from '../../bench/replay-synth';
import { isOutFrameBytes, isOutLineFrame } from '../../lib/replay/event-codec';
import { replayCli as cli } from '../helpers/replay-cli';

describe('replays that ignore outbound messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-skip-out-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'synth.ndjson');
  synthLog({ file: log, inputs: 400, perProducer: 5, snapshotEvery: 0 });
  const lines = readFileSync(log, 'utf8').split('\n');
  const out = lines.findIndex((l) => l.startsWith('{"out":'));
  const variant = (name: string, line: string): string => {
    const f = join(dir, name);
    writeFileSync(f, [...lines.slice(0, out), line, ...lines.slice(out + 1)].join('\n'));
    return f;
  };

  it('skip the message text of outbound lines, but report a line that is not an outbound frame', async () => {
    expect(out).toBeGreaterThan(0);
    const plain = await cli(log);
    expect(plain.status).toBe(0);
    // the message text is not parsed by a summary: the same report
    const body = variant('body.ndjson', lines[out]!.replace('"msg":{', '"msg":{"x":tru,'));
    expect(await cli(body)).toEqual(plain);
    // --verify reads it, and reports it
    const verify = await cli(body, '--verify');
    expect(verify.status).toBe(1);
    expect(verify.err).toContain(`body.ndjson:${out + 1}:`);
    // a broken frame is reported by every replay
    const frame = variant('frame.ndjson', lines[out]!.slice(0, -1));
    const broken = await cli(frame);
    expect(broken.status).toBe(1);
    expect(broken.err).toContain(`frame.ndjson:${out + 1}:`);
  });
});

describe('isOutFrameBytes', () => {
  // each piece of an outbound line's frame, as written and broken
  const pieces = [
    ['{"out":', '{"out" :', '{"ou":', '{"seq":', ''],
    ['0', '12', '01', '1234567890123456', '12345678901234567', '', '-1'],
    ['', ',"d":3', ',"d":0', ',"d":', ',"d":007', ',"d":12345678901234567'],
    [',"msg":{', ',"msg":', ',"msg" :{', ',"msg":{}'],
    ['"ta-cmd":"ping"', '', 'é"x":["\u00e9"]', '}', '{'],
    ['}}', '}', '}}}', '} }', ''],
    ['', '\r', '\r\r', ' '],
  ];
  it('says what isOutLineFrame says of the decoded line (trailing CR dropped), at any offset of a buffer', () => {
    let frames = 0;
    fc.assert(
      fc.property(
        fc.tuple(...pieces.map((p) => fc.constantFrom(...p))),
        fc.string({ maxLength: 3 }),
        fc.string({ maxLength: 3 }),
        (parts, before, after) => {
          const line = parts.join('');
          const b = Buffer.from(before + line + after);
          const start = Buffer.byteLength(before);
          const end = start + Buffer.byteLength(line);
          const text = line.endsWith('\r') ? line.slice(0, -1) : line;
          const expected = isOutLineFrame(text);
          if (expected) frames++;
          expect(isOutFrameBytes(b, start, end)).toBe(expected);
        },
      ),
      { numRuns: 6000 },
    );
    expect(frames).toBeGreaterThan(10); // both answers were tried
  });
});

import { expect } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { synthLog } from '../../bench/replay-synth';
import { replayCli as cli } from '../helpers/replay-cli';
import { decodeLine, decodeOutFrame } from '../../lib/replay/event-codec';
import { replayItems, splitLines } from '../../lib/replay/replay';
import { Verifier, samePartsBytes } from '../../lib/replay/replay-verify';

/**
 * `--verify` slices a recorded message out of its line by the frame and parses it only when it differs from the
 * replayed one: the same verdicts and the same line errors as parsing every outbound line.
 */
describe('--verify reads recorded messages by their frame', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-verify-'));
  const file = join(dir, 'synth.ndjson');
  let lines: string[] = [];
  beforeAll(() => {
    synthLog({ file, inputs: 3000, perProducer: 20, snapshotEvery: 0 });
    lines = splitLines(readFileSync(file, 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, ls: readonly string[]): string => {
    const f = join(dir, name);
    writeFileSync(f, ls.join('\n') + '\n');
    return f;
  };
  const outAt = (from: number): number => lines.findIndex((l, i) => i >= from && l.startsWith('{"out"'));

  it('slices the message text exactly; lines it does not frame are decoded in full', () => {
    const i = outAt(0);
    const full = decodeLine(lines[i]!);
    expect(full._tag).toBe('Right');
    expect(decodeOutFrame(lines[i]!)).toEqual({ ...(full as { right: object }).right, unchecked: lines[i] });
    expect(decodeOutFrame('{"out":1,"d":2,"msg":{"a":1}}')).toMatchObject({ d: 2, conn: 1, json: '{"a":1}' });
    for (const l of ['{"out": 1,"msg":{}}', '{"out":1,"msg":[1]}', '{"v":1,"kind":"out","d":0,"conn":1,"json":{}}'])
      expect(decodeOutFrame(l)).toBeUndefined();
    expect(decodeOutFrame(lines.find((l) => l.startsWith('{"seq"'))!)).toBeUndefined();
  });

  it('the same count of matched messages as a verifier fed fully decoded lines', async () => {
    const v = new Verifier();
    for (const item of replayItems(lines)) v.add(item);
    expect(v.finish()).toBeUndefined();
    expect(v.matched).toBeGreaterThan(3000);
    const r = await cli(file, '--verify');
    expect(r.status).toBe(0);
    expect(r.out).toBe(`verify: ok, ${v.matched} outbound messages reproduced\n`);
  });

  it('a log of several chunks (one buffer read again and again): the messages waiting are kept as copies', async () => {
    // 10,000 inputs: 2.4 MB, three chunks (the second one reads over all of the first); recorded messages of events
    // not folded yet wait across each chunk's end
    const big = join(dir, 'chunks.ndjson');
    synthLog({ file: big, inputs: 10_000, perProducer: 20, snapshotEvery: 0 });
    const v = new Verifier();
    for (const item of replayItems(splitLines(readFileSync(big, 'utf8')))) v.add(item);
    expect(v.finish()).toBeUndefined();
    const r = await cli(big, '--verify');
    expect(r.out).toBe(`verify: ok, ${v.matched} outbound messages reproduced\n`);
    expect(r.status).toBe(0);
    // and a message changed in the last chunk is still found (the copies are of the right bytes)
    const ls = splitLines(readFileSync(big, 'utf8'));
    const i = ls.findIndex((l, j) => j > ls.length - 500 && l.startsWith('{"out"') && l.includes('"ta-id":'));
    ls[i] = ls[i]!.replace(/"ta-id":(\d+)/, (_m, d: string) => `"ta-id":${Number(d) + 1}`);
    const bad = await cli(write('chunks-bad.ndjson', ls), '--verify');
    expect(bad.status).toBe(1);
    expect(bad.out).toContain(`line ${i + 1}`);
  });

  it.each([
    ['its ta-id (the head of the pieces compared)', /"ta-id":(\d+)/, (d: string) => `"ta-id":${Number(d) + 1}`],
    [
      'a props value (the tail shared with the other notifications)',
      /"port":\[(\d+)\]/,
      (d: string) => `"port":[${d}9]`,
    ],
    ['a non-ASCII character', /"area":\["a(\d+)"\]/, (d: string) => `"area":["\u00e4${d}"]`],
  ])('a notification whose recorded text differs in %s is a divergence at its line', async (_what, re, to) => {
    const ls = [...lines];
    const i = ls.findIndex((l, j) => j > 2000 && l.startsWith('{"out"') && l.includes('"notify"') && re.test(l));
    ls[i] = ls[i]!.replace(re, (_m, d: string) => to(d));
    const r = await cli(write('notify-bad.ndjson', ls), '--verify');
    expect(r.status).toBe(1);
    expect(r.out).toContain(`line ${i + 1}`);
  });

  it('a message in pieces is compared with recorded bytes exactly, whatever tails came before it', () => {
    // the shared tail's bytes are kept from one notification to the next: a longer tail, then a shorter one, a
    // non-ASCII one, one past the kept buffer's size; each against its own bytes, a byte more, a byte less, a byte off
    const tails = [
      '"b":2}',
      '"msg-type":"notify","x":"' + 'y'.repeat(300) + '"}',
      '"c":"é€😀"}',
      'z'.repeat(5000) + '}',
      '"b":2}',
    ];
    for (const tail of tails) {
      const head = '{"ta-id":7,';
      const bytes = Buffer.from('xx' + head + tail + 'yy', 'utf8');
      const end = bytes.length - 2;
      expect(samePartsBytes(head, tail, bytes, 2, end)).toBe(true);
      expect(samePartsBytes(head, tail, bytes, 2, end + 1)).toBe(false);
      expect(samePartsBytes(head, tail, bytes, 2, end - 1)).toBe(false);
      expect(samePartsBytes(head, tail, bytes, 1, end)).toBe(false);
      const off = Buffer.from(bytes);
      off[end - 1] = 0x20;
      expect(samePartsBytes(head, tail, off, 2, end)).toBe(false);
      expect(samePartsBytes(head + tail, '', bytes, 2, end)).toBe(true);
    }
  });

  it('a recorded message written differently but with the same JSON still matches', async () => {
    const ls = [...lines];
    const i = outAt(100);
    ls[i] = ls[i]!.replace('"msg":{"ta-cmd":', '"msg":{ "ta-cmd" :');
    expect(ls[i]).not.toBe(lines[i]);
    const r = await cli(write('spaced.ndjson', ls), '--verify');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^verify: ok/);
  });

  it('a recorded message that is not JSON is the line error it was, where it is compared or left at the end', async () => {
    const ls = [...lines];
    const i = outAt(200);
    ls[i] = ls[i]!.replace(/\}\}$/, ',}}');
    const reason = (decodeLine(ls[i]) as { left: string }).left;
    expect(reason).toMatch(/^invalid JSON/);
    const bad = write('bad.ndjson', ls);
    const r = await cli(bad, '--verify');
    expect(r.status).toBe(1);
    expect(r.err).toBe(`rxpaf-replay: ${bad}:${i + 1}: ${reason} (everything before it was replayed)\n`);
    expect(r.out).toMatch(/^verify: ok, \d+ outbound messages reproduced \(up to the bad line\)\n$/);

    // a message nothing replayed answers: checked at the end of the log
    const extra = '{"out":1,"msg":{"ta-cmd":"ping","ta-id":1,}}';
    const tail = write('tail.ndjson', [...lines, extra]);
    const t = await cli(tail, '--verify');
    expect(t.status).toBe(1);
    expect(t.err).toBe(
      `rxpaf-replay: ${tail}:${lines.length + 1}: ${(decodeLine(extra) as { left: string }).left} (everything before it was replayed)\n`,
    );
    // a valid one is a divergence
    const valid = write('valid.ndjson', [...lines, extra.replace(',}}', '}}')]);
    const d = await cli(valid, '--verify');
    expect(d.status).toBe(1);
    expect(d.out).toMatch(/^verify: divergence after \d+ matching messages\n/);
    expect(d.out).toContain('actual:   (nothing)');
  });
});

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { from } from 'rxjs';

import { replay$, replayLines, ReplayError, splitLines } from '../../lib/replay/replay';

const text = readFileSync(join(__dirname, '../fixtures/logs/orphan-expiry.ndjson'), 'utf8');
const lines = splitLines(text);
const reference = [...replayLines(lines)].map((s) => ({ seq: s.seq, line: s.line }));

/** Replay to the end or the first bad line; anything thrown other than a ReplayError fails the test. */
const replay = (ls: string[]): { seqs: Array<{ seq: number; line: number }>; error?: ReplayError } => {
  const seqs: Array<{ seq: number; line: number }> = [];
  try {
    for (const s of replayLines(ls)) seqs.push({ seq: s.seq, line: s.line });
  } catch (e) {
    if (!(e instanceof ReplayError)) throw e;
    return { seqs, error: e };
  }
  return { seqs };
};
const before = (line: number) => reference.filter((s) => s.line < line);
/** 1-based line containing character offset `k`. */
const lineOf = (k: number): number => text.slice(0, k).split('\n').length;

describe('fuzzed log corruption', () => {
  it('truncation at any byte: every complete line is replayed, a partial last line is reported', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length }), (k) => {
        const cut = text.slice(0, k);
        const cutLines = splitLines(cut);
        const r = replay(cutLines);
        // a cut just before a newline leaves a complete last line
        const partial = cut !== '' && !cut.endsWith('\n') && text[k] !== '\n';
        if (!partial) return expect(r).toEqual({ seqs: before(cutLines.length + 1) });
        expect(r.error?.line).toBe(cutLines.length);
        expect(r.seqs).toEqual(before(cutLines.length));
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped byte is reported at its line or later, after replaying every line before it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 0, max: 127 }), (k, c) => {
        const mutated = text.slice(0, k) + String.fromCharCode(c) + text.slice(k + 1);
        const r = replay(splitLines(mutated));
        const line = lineOf(k);
        expect(r.seqs.filter((s) => s.line < line)).toEqual(before(line));
        if (r.error !== undefined) {
          expect(r.error.line).toBeGreaterThanOrEqual(line);
          expect(r.seqs.every((s) => s.line < r.error!.line)).toBe(true);
          expect(r.error.reason).not.toMatch(/^reducer failed/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('an inserted garbage line is reported with its exact line number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: lines.length }),
        fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\n') && s.trim() !== ''),
        (i, garbage) => {
          const r = replay([...lines.slice(0, i), garbage, ...lines.slice(i)]);
          expect(r.error).toBeInstanceOf(ReplayError);
          expect(r.error!.line).toBe(i + 1);
          expect(r.seqs).toEqual(before(i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('replay$ delivers the same steps, then the ReplayError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: lines.length }), async (i) => {
        const seqs: number[] = [];
        const err = await new Promise<unknown>((resolve) =>
          replay$(from([...lines.slice(0, i), '{"v":1,"seq":', ...lines.slice(i)])).subscribe({
            next: (s) => seqs.push(s.seq),
            error: resolve,
            complete: () => resolve(undefined),
          }),
        );
        expect(err).toMatchObject({ name: 'PafReplayError', line: i + 1 });
        expect(seqs).toEqual(before(i + 1).map((s) => s.seq));
      }),
      { numRuns: 50 },
    );
  });
});

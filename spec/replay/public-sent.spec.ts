/**
 * `replay$`'s steps (rxpaf/replay): `sent` is what the server sent for the input, in order (the recorded outbound
 * messages of a log recorded with them), and a plain-object view of a step (spread, JSON, toEqual) shows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';

import { encodeMessage } from '../../lib/codec/encode';
import { replayLines, splitLines } from '../../lib/replay/replay';
import { replay$, type ReplayStep } from '../../lib/replay/replay-public';

const fixtures = join(__dirname, '../fixtures/logs');

describe('replay$ steps: sent', () => {
  it.each(['orphan-expiry.ndjson', 'v3-sliced-close.ndjson'])('is what the server sent, in order, on %s', async (f) => {
    const lines = splitLines(readFileSync(join(fixtures, f), 'utf8'));
    const steps = await lastValueFrom(replay$(from(lines)).pipe(toArray()));
    const core = [...replayLines(lines)];
    expect(steps.map((s) => s.seq)).toEqual(core.map((s) => s.seq));
    let messages = 0;
    steps.forEach((s, i) => {
      const expected = core[i]!.delivered.map((d) => ({ connection: d.conn, json: encodeMessage(d.msg) }));
      expect(s.sent).toEqual(expected);
      expect(s.sent).toBe(s.sent); // encoded once
      messages += s.sent.length;
    });
    expect(messages).toBeGreaterThan(5);
    // the recorded outbound lines are exactly the messages sent, in order
    const recorded = lines
      .map((l) => (l.trim() === '' ? {} : (JSON.parse(l) as { out?: number; kind?: string; conn?: number })))
      .flatMap((o) => (o.out !== undefined ? [o.out] : o.kind === 'out' ? [o.conn] : []));
    expect(steps.flatMap((s) => s.sent.map((m) => m.connection))).toEqual(recorded);
  });

  it('shows as a plain field: spread, JSON and equality see the messages', async () => {
    const lines = splitLines(readFileSync(join(fixtures, 'orphan-expiry.ndjson'), 'utf8'));
    const steps: ReplayStep[] = await lastValueFrom(replay$(from(lines)).pipe(toArray()));
    const step = steps.find((s) => s.sent.length > 0)!;
    const copy = { ...step };
    expect(Object.keys(copy)).toEqual(['seq', 'line', 'domain', 'at', 'input', 'changes', 'sent', 'counts']);
    expect(copy.sent).toEqual(step.sent);
    expect((JSON.parse(JSON.stringify(step)) as ReplayStep).sent).toEqual(step.sent);
    expect(step).toEqual(copy);
  });
});

/**
 * The summary folds events 256 per reducer call and reads each one's outcome as it is folded (`each`): its report is
 * the one built from per-event steps, on the benchmark's synthetic log and on every fixture log.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { synthLog } from '../../bench/replay-synth';
import { Replayer } from '../../lib/replay/replay-core';
import { runFiles, type ReplaySink } from '../../lib/replay/replay-run';
import { Summary } from '../../lib/replay/replay-summary';

const report = async (file: string, batched: boolean): Promise<string> => {
  const s = new Summary();
  const sink: ReplaySink = {
    batchable: () => batched,
    outbound: false,
    item: (i) => {
      if (i.kind === 'domain') s.domain(i.header.d, i.header.name, i.header.now);
      else if (i.kind === 'snapshot' && i.adopted) s.resume(i.snapshot.d, i.snapshot.state.now);
      else if (i.kind === 'step') s.add(i.step);
    },
    ...(batched ? { each: s.each } : {}),
    batch: () => {},
  };
  try {
    await runFiles([{ file }], new Replayer(), sink);
  } catch (e) {
    return `${s.render()}error: ${String(e)}`;
  }
  return s.render();
};

describe('summary of batched events', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-summary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the per-step summary on the synthetic benchmark log (publishes, fan-out, storm, expiries)', async () => {
    const log = join(dir, 'synth.ndjson');
    synthLog({ file: log, inputs: 12_000, perProducer: 10, snapshotEvery: 1000 });
    const perStep = await report(log, false);
    expect(perStep).toMatch(/expired [1-9]/);
    expect(perStep).toMatch(/modified [1-9]/);
    expect(await report(log, true)).toBe(perStep);
  });

  const fixtures = join(__dirname, '../fixtures/logs');
  it.each(readdirSync(fixtures).filter((f) => f.endsWith('.ndjson')))('is the per-step summary on %s', async (f) => {
    const perStep = await report(join(fixtures, f), false);
    expect(await report(join(fixtures, f), true)).toBe(perStep);
  });
});

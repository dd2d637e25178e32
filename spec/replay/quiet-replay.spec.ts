/**
 * Replays that read no messages (the summary, `--at`, histories) fold their batches quietly: the reducer builds no
 * message objects (`ReplaySink.quiet`, `reduceAll`'s `quiet`). On the benchmark's synthetic log (publishes, fan-out,
 * a storm, expiries, `work` events) the quiet replay reaches the same state after every batch, with the same
 * effects but the sends, the same summary and the same `--at` answer as the replay that builds every message. The
 * reducer-level property (fast-check logs, held messages, small work budgets) is in spec/state/invariants.spec.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { synthLog } from '../../bench/replay-synth';
import { Replayer } from '../../lib/replay/replay-core';
import { runFiles, type ReplaySink } from '../../lib/replay/replay-run';
import { directoryJson, directoryView } from '../../lib/replay/replay-directory';
import { Summary } from '../../lib/replay/replay-summary';
import type { DomainState } from '../../lib/state/model';
import { replayCli } from '../helpers/replay-cli';
import { projectState, showEffect } from './state-projection';

interface Trace {
  readonly states: string[];
  readonly effects: string[];
  readonly sends: number;
  readonly delivered: number;
  readonly summary: string;
}

const trace = async (file: string, quiet: boolean): Promise<Trace> => {
  const s = new Summary();
  const states: string[] = [];
  const effects: string[] = [];
  let sends = 0;
  let delivered = 0;
  const sink: ReplaySink = {
    batchable: () => true,
    outbound: false,
    quiet,
    item: (i) => {
      if (i.kind === 'domain') s.domain(i.header.d, i.header.name, i.header.now);
      else if (i.kind === 'snapshot' && i.adopted) s.resume(i.snapshot.d, i.snapshot.state.now);
      else if (i.kind === 'step') s.add(i.step);
    },
    each: s.each,
    batch: (b) => {
      states.push(projectState(b.state));
      for (const f of b.effects)
        if (f.type === 'send') sends++;
        else effects.push(showEffect(f));
      delivered += b.delivered.length;
    },
  };
  await runFiles([{ file }], new Replayer(), sink);
  return { states, effects, sends, delivered, summary: s.render() };
};

describe('quiet replay (no messages built)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-quiet-'));
  const log = join(dir, 'synth.ndjson');
  beforeAll(() => synthLog({ file: log, inputs: 12_000, perProducer: 10, snapshotEvery: 1000 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches the same state after every batch, with the same effects but the sends, on the benchmark log', async () => {
    const loud = await trace(log, false);
    const quiet = await trace(log, true);
    expect(loud.sends).toBeGreaterThan(5_000); // the fan-out the quiet replay does not build
    expect(loud.delivered).toBeGreaterThan(5_000);
    expect(loud.effects.some((e) => e.includes('removed'))).toBe(true); // expiries happened
    expect(quiet.sends).toBe(0);
    expect(quiet.delivered).toBe(0);
    expect(quiet.states.length).toBe(loud.states.length);
    for (let i = 0; i < loud.states.length; i++) expect(quiet.states[i]).toBe(loud.states[i]);
    expect(quiet.effects).toEqual(loud.effects);
    expect(quiet.summary).toBe(loud.summary);
  });

  it('the CLI summary and --at (quiet) equal those of the replay that builds every message', async () => {
    const summary = await replayCli(log);
    expect(summary.status).toBe(0);
    expect(summary.out).toBe((await trace(log, false)).summary);
    for (const seq of [0, 4321, 7777, 11_999]) {
      // the state after `seq`, event by event and building every message
      let state: DomainState | undefined;
      const replayer = new Replayer();
      await runFiles([{ file: log }], replayer, {
        batchable: () => false,
        outbound: false,
        stop: (r) => r.kind === 'event' && r.seq > seq,
        item: (i) => {
          if (i.kind === 'step') state = i.step.state;
        },
        batch: () => {},
      });
      const at = await replayCli(log, '--at', String(seq), '--json');
      expect(at.status).toBe(0);
      expect(at.out).toBe(directoryJson(directoryView(state!), { domain: 0, seq }));
    }
  });
});

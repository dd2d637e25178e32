/**
 * `replay$` folds up to 256 events per reducer call and reads each event's step as it is folded (issue 15 item 5):
 * the steps are those of a replay event by event (the core's steps in the public model), and they are emitted
 * without waiting for the input to complete.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';

import { synthLog } from '../../bench/replay-synth';
import { encodeMessage } from '../../lib/codec/encode';
import { replayLines, splitLines } from '../../lib/replay/replay';
import { publicChange, replay$, type ReplayStep } from '../../lib/replay/replay-public';

describe('replay$ in batches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-public-batched-'));
  const file = join(dir, 'synth.ndjson');
  let lines: string[] = [];
  beforeAll(() => {
    synthLog({ file, inputs: 4000, perProducer: 20, snapshotEvery: 1000 });
    lines = splitLines(readFileSync(file, 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the steps of an event-by-event replay: input, changes, sent, counts', async () => {
    const steps = await lastValueFrom(replay$(from(lines)).pipe(toArray()));
    const core = [...replayLines(lines)];
    expect(steps.length).toBe(4000);
    expect(steps.map((s) => [s.seq, s.line, s.domain, s.at])).toEqual(core.map((s) => [s.seq, s.line, s.domain, s.at]));
    let sent = 0;
    let changes = 0;
    steps.forEach((s, i) => {
      const c = core[i]!;
      expect(s.input.type).toBe(c.event.type);
      expect(s.changes).toEqual(c.changes.map(publicChange));
      expect(s.sent).toEqual(c.delivered.map((d) => ({ connection: d.conn, json: encodeMessage(d.msg) })));
      expect(s.counts).toEqual({
        connections: c.state.conns.size,
        clients: c.state.clients.size,
        services: c.state.services.size,
        subscriptions: c.state.subscriptions.size,
      });
      sent += s.sent.length;
      changes += s.changes.length;
    });
    expect(sent).toBeGreaterThan(3000);
    expect(changes).toBeGreaterThan(500);
  });

  it('emits the steps of the lines received so far without waiting for the input to end', async () => {
    const input = new Subject<string>();
    const got: ReplayStep[] = [];
    replay$(input).subscribe((s) => got.push(s));
    const events = (ls: readonly string[]): number => ls.filter((l) => l.startsWith('{"seq"')).length;
    const cut = 300;
    for (const l of lines.slice(0, cut)) input.next(l);
    await Promise.resolve();
    expect(got.length).toBe(events(lines.slice(0, cut)));
    expect(got.length).toBeGreaterThan(10);
    for (const l of lines.slice(cut, cut + 5)) input.next(l);
    await Promise.resolve();
    expect(got.length).toBe(events(lines.slice(0, cut + 5)));
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as E from 'fp-ts/Either';

import { runReplayCli } from '../../lib/cli/replay-main';
import { decodeClientMessage } from '../../lib/codec/decode';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { encodeSnapshotLine } from '../../lib/replay/event-codec';
import { readIndex } from '../../lib/replay/log-index';
import { domainStateParts, isLazyList } from '../../lib/replay/state-codec';
import { createRecorder } from '../../lib/replay/record';
import { snapshotSlices } from '../../lib/replay/snapshot-slices';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';

const msg = (conn: number, now: number, json: string): Event => {
  const r = decodeClientMessage(json);
  if (E.isLeft(r)) throw new Error(r.left.reason);
  return { type: 'message', now, conn, msg: r.right };
};

/** A directory of `n` services (published on one connection, half of them orphaned by a second one closing). */
const bigState = (n: number): { state: DomainState; events: Event[] } => {
  let now = 1_700_000_000;
  const events: Event[] = [];
  for (const conn of [1, 2]) {
    events.push({ type: 'accepted', now, conn, address: `tcp:127.0.0.1:${conn}`, user: 'u', transport: 'tcp' });
    events.push(
      msg(
        conn,
        now,
        `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${conn},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
      ),
    );
  }
  for (let i = 0; i < n; i++)
    events.push(
      msg(
        1 + (i % 2),
        (now += 0.0001),
        `{"ta-cmd":"publish","ta-id":${i + 1},"msg-type":"request","service-id":${i},"generation":0,` +
          `"service-props":{"name":["s${i}"],"port":[${i % 1000}]},"ttl":60}`,
      ),
    );
  events.push({ type: 'closed', now: (now += 0.001), conn: 2, cause: 'eof' });
  let state = initialDomainState(defaultSettings, 7, 1_700_000_000);
  for (let i = 0; i < events.length; i += 500) state = reduceAll(state, events.slice(i, i + 500))[0];
  return { state, events };
};

/** How many elements the state's growing collections hold (what the slices are counted in). */
const elements = (s: DomainState): number => {
  let n = 0;
  for (const v of Object.values(domainStateParts(s)))
    if (isLazyList(v)) for (const it = v.items(); it.next().done !== true;) n++;
  return n;
};

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('snapshots written in slices', () => {
  const { state, events } = bigState(6000);

  it('the pieces join to the snapshot line; each piece encodes at most `units` elements', () => {
    const pieces = [...snapshotSlices(0, 41, state, 100)];
    expect(pieces.join('')).toBe(encodeSnapshotLine(0, 41, state));
    // 6,000 services and what else the state holds: at most 100 elements per piece
    expect(elements(state)).toBeGreaterThan(6000);
    expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(elements(state) / 100));
    for (const p of pieces) expect(p.split('"generation":').length - 1).toBeLessThanOrEqual(100);
    // a record of 3,000 services is one element: its list is cut too (no piece much longer than 100 services)
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(100 * 200);
    expect(pieces.slice(0, -1).every((p) => p.length > 0)).toBe(true);
  });

  it('the recorder encodes a checkpoint across turns, a bounded slice each, and keeps writing the events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxpaf-slices-'));
    const file = join(dir, 'e.ndjson');
    // a clock that advances 1 ms per reading: a turn encodes one slice (64 elements) and returns
    let clock = 0;
    const now = jest.spyOn(performance, 'now').mockImplementation(() => clock++);
    try {
      // the first checkpoint is due right after the directory is built
      const rec = createRecorder({ file, snapshotEvery: events.length, snapshotSeconds: 0 });
      let live = initialDomainState(defaultSettings, 7, 1_700_000_000);
      rec.header(0, { settings: defaultSettings, seed: 7, now: live.now, state: () => live });
      const step = (batch: Event[]): void => {
        rec.events(0, batch);
        live = reduceAll(live, batch)[0];
      };
      for (let i = 0; i < events.length; i += 500) step(events.slice(i, i + 500));
      const atCheckpoint = live;
      const lastSeq = events.length - 1;
      // the next batch starts a checkpoint of the state after `lastSeq`
      let turns = 0;
      let t = live.now;
      const snapshotWritten = (): boolean => readFileSync(file, 'utf8').includes('"kind":"snapshot"');
      do {
        step([{ type: 'tick', now: (t += 0.01) }]);
        await turn();
        turns++;
        // the tick of this turn is on disk already, snapshot or not
        expect(readFileSync(file, 'utf8').includes(`\n{"seq":${lastSeq + turns},`)).toBe(true);
      } while (!snapshotWritten() && turns < 1000);
      // at most 64 elements per turn
      expect(turns).toBeGreaterThanOrEqual(Math.ceil(elements(atCheckpoint) / 64));
      expect(turns).toBeLessThan(1000);
      await rec.close();
      const idx = readIndex(file, statSync(file).size)!;
      expect(idx).toHaveLength(1);
      expect(idx[0]!.seq).toBe(lastSeq);
      const line = readFileSync(file, 'utf8').split('\n')[idx[0]!.snapshots![0]![2] - 1]!;
      expect(line === encodeSnapshotLine(0, lastSeq, atCheckpoint)).toBe(true);
      // --at the checkpoint: the state the snapshot holds, read from it (not from a replay of the events)
      let out = '';
      const status = await runReplayCli([file, '--at', String(lastSeq), '--json'], {
        stdout: { write: (x: string) => (out += x) },
        stderr: { write: () => true, isTTY: false },
      });
      expect(status).toBe(0);
      expect(out).toContain(`"seq": ${lastSeq}`);
    } finally {
      now.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The recorder's default checkpoint cadence (issue 15 item 3, seeking): a checkpoint every 25,000 events, so that a
 * seek replays at most that many events after its snapshot; but by default not before the log has grown by 4 times
 * the last checkpoint's snapshots since it, so that a large directory's snapshots stay a fifth of the log at most. An
 * explicit `snapshotEvery` is exact.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as E from 'fp-ts/Either';

import { decodeClientMessage } from '../../lib/codec/decode';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { readIndex, type IndexEntry } from '../../lib/replay/log-index';
import { createRecorder, DEFAULT_SNAPSHOT_EVERY, SNAPSHOT_RATIO } from '../../lib/replay/record';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';

const T0 = 1_700_000_000;

/** A domain with `n` services (one client publishing them). */
const directory = (n: number): DomainState => {
  const msg = (json: string): Event => {
    const r = decodeClientMessage(json);
    if (E.isLeft(r)) throw new Error(r.left.reason);
    return { type: 'message', now: T0, conn: 1, msg: r.right };
  };
  const events: Event[] = [
    { type: 'accepted', now: T0, conn: 1, address: 'tcp:127.0.0.1:1', user: 'ip:127.0.0.1', transport: 'tcp' },
    msg(
      '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":7,"protocol-minimum-version":2,"protocol-maximum-version":3}',
    ),
  ];
  for (let i = 0; i < n; i++)
    events.push(
      msg(
        `{"ta-cmd":"publish","ta-id":${i + 1},"msg-type":"request","service-id":${i + 1},"generation":0,` +
          `"service-props":{"name":["service-${i}"],"area":["a${i % 20}"],"port":[${4000 + i}]},"ttl":60}`,
      ),
    );
  return reduceAll(initialDomainState(defaultSettings, 1, T0), events)[0];
};

/** Record `ticks` tick events (100 per batch, a turn each) of a domain whose state is `state`; its index. */
const record = async (
  file: string,
  state: DomainState,
  ticks: number,
  snapshotEvery?: number,
): Promise<IndexEntry[]> => {
  const rec = createRecorder({ file, ...(snapshotEvery !== undefined ? { snapshotEvery } : {}) });
  rec.header(0, { settings: defaultSettings, seed: 1, now: T0, state: () => state });
  let now = T0;
  for (let i = 0; i < ticks; i += 100) {
    const batch: Event[] = Array.from({ length: 100 }, () => ({ type: 'tick', now: (now += 0.0001) }));
    rec.events(0, batch);
    rec.flush();
  }
  await rec.close();
  return readIndex(file, readFileSync(file).length) ?? [];
};

/** The length of the line at a byte offset. */
const lineBytes = (file: string, offset: number): number => {
  const b = readFileSync(file);
  return b.indexOf(0x0a, offset) - offset + 1;
};

describe('checkpoint cadence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-cadence-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`a small directory: a checkpoint every ${DEFAULT_SNAPSHOT_EVERY} events by default`, async () => {
    const idx = await record(join(dir, 'small.ndjson'), directory(10), 60_000);
    expect(idx.map((e) => e.seq)).toEqual([DEFAULT_SNAPSHOT_EVERY - 1, 2 * DEFAULT_SNAPSHOT_EVERY - 1]);
  });

  it('a large directory: by default no sooner than the log has grown by 4x the last snapshots', async () => {
    const big = directory(4000);
    const file = join(dir, 'big.ndjson');
    const idx = await record(file, big, 150_000);
    expect(idx.length).toBeGreaterThanOrEqual(2);
    expect(idx[0]!.seq).toBe(DEFAULT_SNAPSHOT_EVERY - 1);
    for (let k = 1; k < idx.length; k++) {
      const snapshot = lineBytes(file, idx[k - 1]!.snapshots![0]![1]);
      expect(snapshot).toBeGreaterThan(200_000);
      // the log grew by the snapshot and at least 4 times as much after it, and not much more (one batch of ticks)
      const grown = idx[k]!.offset - idx[k - 1]!.offset;
      expect(grown).toBeGreaterThanOrEqual((SNAPSHOT_RATIO + 1) * snapshot - 100 * 60);
      expect(grown).toBeLessThan((SNAPSHOT_RATIO + 1) * snapshot + 2 * 100 * 60);
      expect(idx[k]!.seq - idx[k - 1]!.seq).toBeGreaterThan(DEFAULT_SNAPSHOT_EVERY);
    }
    // an explicit interval is exact, however large the snapshots
    const exact = await record(join(dir, 'exact.ndjson'), big, 60_000, DEFAULT_SNAPSHOT_EVERY);
    expect(exact.map((e) => e.seq)).toEqual([DEFAULT_SNAPSHOT_EVERY - 1, 2 * DEFAULT_SNAPSHOT_EVERY - 1]);
  });
});

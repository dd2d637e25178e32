/**
 * Logs recorded before sliced work (schema version 2, no `work` events) replay with an unlimited work budget: a big
 * close (100 services, over the 64 units a close does itself) is orphaned at once and its orphans expire on time.
 * The fixture was written by encoding events under a version 2 header (spec/fixtures/logs/v2-big-close.ndjson:
 * a watcher subscribed to everything, a client with 100 services of TTL 5 s closing at +1 s, a tick at +6 s).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { LOG_VERSION } from '../../lib/replay/event-codec';
import { replayLines, splitLines } from '../../lib/replay/replay';
import type { DomainState } from '../../lib/state/model';
import { T0 } from '../helpers/builders';

const v2 = splitLines(readFileSync(join(__dirname, '../fixtures/logs/v2-big-close.ndjson'), 'utf8'));

const run = (lines: readonly string[]) => {
  const orphaned: bigint[] = [];
  const expired: Array<[bigint, number]> = [];
  let last: DomainState | undefined;
  for (const step of replayLines(lines)) {
    for (const c of step.changes) {
      if (c.kind === 'modified' && c.after.orphanSince !== undefined) orphaned.push(c.after.id);
      if (c.kind === 'removed') expired.push([c.before.id, step.at]);
    }
    last = step.state;
  }
  if (last === undefined) throw new Error('no event replayed');
  return { orphaned, expired, last };
};

describe('replaying logs of an earlier schema version', () => {
  it('writes version 3', () => {
    expect(LOG_VERSION).toBe(3);
    expect(v2[0]).toMatch(/^\{"v":2,"kind":"domain"/);
    expect(v2.some((l) => l.includes('"type":"work"'))).toBe(false);
  });

  it('a v2 log with a big close: every orphan appears at the close and expires at its TTL', () => {
    const { orphaned, expired, last } = run(v2);
    expect(orphaned).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(1000 + i)));
    expect(expired.map(([id]) => id)).toEqual(orphaned);
    expect(expired.every(([, at]) => at === T0 + 6)).toBe(true);
    expect(last.services.size).toBe(0);
    expect(last.work.size).toBe(0);
  });

  it('the same events under a version 3 header are replayed sliced: without work events the close is not done', () => {
    const v3 = [v2[0]!.replace('{"v":2,', '{"v":3,'), ...v2.slice(1)];
    const { orphaned, last } = run(v3);
    expect(orphaned.length).toBeLessThan(100);
    expect(last.work.size).toBe(1);
  });
});

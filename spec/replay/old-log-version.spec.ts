/**
 * Logs recorded before sliced work (schema version 2, no `work` events) replay with an unlimited work budget: a big
 * close (100 services, over the 64 units a close does itself) is orphaned at once and its orphans expire on time.
 * The fixture was written by encoding events under a version 2 header (spec/fixtures/logs/v2-big-close.ndjson:
 * a watcher subscribed to everything, a client with 100 services of TTL 5 s closing at +1 s, a tick at +6 s).
 *
 * Logs of version 3 were recorded with work slices of 512 units per event (version 4: 128) and replay with 512.
 * spec/fixtures/logs/v3-sliced-close.ndjson was recorded by rxpafd (`--record --record-outbound`) built from main of
 * 3 December 2026 (schema version 3): a watcher subscribed to everything, a client publishing 150 services of TTL
 * 1 s that then closes; its orphaning (300 units: 150 services visited, 150 notifications) was one `work` event, the
 * expiry one `tick`, then the watcher's `services` listing and its close.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { encodeEventLine, encodeHeaderLine, LOG_VERSION } from '../../lib/replay/event-codec';
import { defaultSettings } from '../../lib/protocol/reducer';
import type { Event } from '../../lib/state/events';
import { replayItems, replayLines, splitLines } from '../../lib/replay/replay';
import { closeRule, SLICE_V3, workBudget } from '../../lib/replay/replay-core';
import { Verifier } from '../../lib/replay/replay-verify';
import { compaction } from '../../lib/state/compaction';
import { SLICE } from '../../lib/state/work';
import type { DomainState } from '../../lib/state/model';
import { request, T0, wire } from '../helpers/builders';

const v2 = splitLines(readFileSync(join(__dirname, '../fixtures/logs/v2-big-close.ndjson'), 'utf8'));
const v3 = splitLines(readFileSync(join(__dirname, '../fixtures/logs/v3-sliced-close.ndjson'), 'utf8'));
const asVersion = (lines: readonly string[], v: number): string[] => [
  lines[0]!.replace(/^\{"v":\d+,/, `{"v":${v},`),
  ...lines.slice(1),
];
const verify = (lines: readonly string[]) => {
  const v = new Verifier();
  for (const item of replayItems(lines)) v.add(item);
  return v.finish();
};

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

/**
 * The start of a wave-of-closes log: connections 9 (the watcher), 1, 2 and 3 accepted and said hello at T0, and 9
 * subscribed to everything; `at` appends a message.
 */
const waveSetup = (): { ev: Event[]; at: (now: number, conn: number, json: string) => void } => {
  const ev: Event[] = [];
  const at = (now: number, conn: number, json: string): void => {
    ev.push({ type: 'message', now, conn, msg: wire(json) });
  };
  for (const c of [9, 1, 2, 3]) {
    ev.push({
      type: 'accepted',
      now: T0,
      conn: c,
      address: `tcp:127.0.0.1:${5000 + c}`,
      user: 'ip:127.0.0.1',
      transport: 'tcp',
    });
    at(
      T0,
      c,
      request('hello', 0, { 'client-id': 100 + c, 'protocol-minimum-version': 2, 'protocol-maximum-version': 2 }),
    );
  }
  at(T0, 9, request('subscribe', 1, { 'subscription-id': 9 }));
  return { ev, at };
};

describe('replaying logs of an earlier schema version', () => {
  it('writes version 9; the budget per event and the close rule follow the version read', () => {
    expect(LOG_VERSION).toBe(9);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((version) => workBudget({ version }))).toEqual([
      Infinity,
      Infinity,
      SLICE_V3,
      SLICE,
      SLICE,
      SLICE,
      SLICE,
      SLICE,
      SLICE,
    ]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((version) => closeRule({ version }))).toEqual([
      'at-once',
      'at-once',
      'at-once',
      'at-once',
      'after-queued',
      'close-first',
      'close-first',
      'sliced-unsubscribe',
      'gradual-compaction',
    ]);
    expect([SLICE_V3, SLICE]).toEqual([512, 128]);
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
    const { orphaned, last } = run(asVersion(v2, 3));
    expect(orphaned.length).toBeLessThan(100);
    expect(last.work.size).toBe(1);
  });

  it('a v3 recording replays with slices of 512: every recorded message reproduced, orphaned in its one work event', () => {
    expect(v3[0]).toMatch(/^\{"v":3,"kind":"domain"/);
    expect(v3.filter((l) => l.includes('"type":"work"'))).toHaveLength(1);
    expect(verify(v3)).toBeUndefined();
    const { orphaned, expired, last } = run(v3);
    const ids = Array.from({ length: 150 }, (_, i) => BigInt(1000 + i));
    expect(orphaned).toEqual(ids);
    expect(expired.map(([id]) => id)).toEqual(ids);
    expect(last.services.size).toBe(0);
    expect(last.work.size).toBe(0);
  });

  it('the same recording under a version 4 header (slices of 128) is not what the server did: verify fails', () => {
    const { orphaned } = run(asVersion(v3, 4));
    // the one work event orphans what 128 units allow (a service visited and its notification: 2 units each)
    expect(orphaned).toHaveLength(64);
    const d = verify(asVersion(v3, 4));
    expect(d).toBeDefined();
    expect(d!.conn).toBe(1);
  });

  /**
   * A wave of closes (encoded under a version 4 header, then the same lines under version 5): a watcher subscribed to
   * everything; client 1 with 100 services (too big to orphan at once: queued), clients 2 and 3 with one service and a
   * subscription each; 1, 2 and 3 close at the same time, then `work` events. Version 4 replays 2's close as the
   * server of version 4 did it, orphaned at once (notifying the watcher and 3, which is closing too); version 5 queues
   * it behind 1's job, and nothing is built for 3.
   */
  it('a wave of closes: version 4 orphans the small closes at once, version 5 after the queued work', () => {
    const { ev, at } = waveSetup();
    for (let i = 0; i < 100; i++)
      at(T0, 1, request('publish', 10 + i, { 'service-id': 1000 + i, generation: 0, 'service-props': {}, ttl: 60 }));
    for (const c of [2, 3]) {
      at(T0, c, request('publish', 1, { 'service-id': 2000 + c, generation: 0, 'service-props': {}, ttl: 60 }));
      at(T0, c, request('subscribe', 2, { 'subscription-id': c }));
    }
    // the subscriptions' initial listings (103 services) are sliced work: done before the wave
    for (let i = 0; i < 4; i++) ev.push({ type: 'work', now: T0 });
    for (const c of [1, 2, 3]) ev.push({ type: 'closed', now: T0 + 1, conn: c, cause: 'eof' });
    for (let i = 0; i < 4; i++) ev.push({ type: 'work', now: T0 + 1 });
    const header = encodeHeaderLine(0, { settings: defaultSettings, seed: 42, now: T0 });
    const lines = [header, ...ev.map((e, i) => encodeEventLine(i, 0, e))];
    const sendsAtClose = (v: number): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (const step of replayLines(asVersion(lines, v)))
        if (step.event.type === 'closed')
          for (const f of step.effects) if (f.type === 'send') out.push([step.event.conn, f.conn]);
      return out;
    };
    // version 4: 2's close notifies the watcher and 3 (closing in the same wave), 3's the watcher
    expect(sendsAtClose(4)).toEqual([
      [2, 9],
      [2, 3],
      [3, 9],
    ]);
    // version 5: no close orphans anything (1's job is queued first); the work events do, for the watcher only
    expect(sendsAtClose(5)).toEqual([]);
    for (const v of [4, 5]) {
      const { orphaned, last } = run(asVersion(lines, v));
      expect(orphaned).toHaveLength(102);
      expect(last.work.size).toBe(0);
    }
    const toClosed: number[] = [];
    for (const step of replayLines(asVersion(lines, 5)))
      if (step.event.type === 'work' && step.event.now === T0 + 1)
        for (const f of step.effects) if (f.type === 'send') toClosed.push(f.conn);
    expect(new Set(toClosed)).toEqual(new Set([9]));
    expect(toClosed).toHaveLength(102);
  });
  /**
   * Expiries due during a wave of closes (encoded under a version 5 header, then the same lines under version 6): a
   * watcher subscribed to everything; client 1 with 3 services of TTL 1 closes at +1 s; clients 2 and 3 (a service
   * and a subscription each) close at +3 s, when the 3 orphans are overdue. Version 5 replays each close as the
   * server of version 5 did, expiring the overdue orphans first (telling the watcher, 2 and 3: both are closing);
   * version 6 folds the closes first and expires nothing in them; the `work` event after the wave does, for the
   * watcher only.
   */
  it('expiries during a wave of closes: version 5 expires before each close, version 6 after the wave', () => {
    const { ev, at } = waveSetup();
    for (let i = 0; i < 3; i++)
      at(T0, 1, request('publish', 10 + i, { 'service-id': 1000 + i, generation: 0, 'service-props': {}, ttl: 1 }));
    for (const c of [2, 3]) {
      at(T0, c, request('publish', 1, { 'service-id': 2000 + c, generation: 0, 'service-props': {}, ttl: 60 }));
      at(T0, c, request('subscribe', 2, { 'subscription-id': c }));
    }
    ev.push({ type: 'work', now: T0 });
    ev.push({ type: 'closed', now: T0 + 1, conn: 1, cause: 'eof' });
    for (const c of [2, 3]) ev.push({ type: 'closed', now: T0 + 3, conn: c, cause: 'eof' });
    for (let i = 0; i < 2; i++) ev.push({ type: 'work', now: T0 + 3 });
    const header = encodeHeaderLine(0, { settings: defaultSettings, seed: 42, now: T0 });
    const lines = [header, ...ev.map((e, i) => encodeEventLine(i, 0, e))];
    const sends = (v: number, type: Event['type']): Array<[number, number, string]> => {
      const out: Array<[number, number, string]> = [];
      for (const step of replayLines(asVersion(lines, v)))
        if (step.event.type === type && step.at === T0 + 3)
          for (const f of step.effects)
            if (f.type === 'send')
              out.push([
                step.event.type === 'closed' ? step.event.conn : 0,
                f.conn,
                String(f.msg['match-type' as keyof typeof f.msg]),
              ]);
      return out;
    };
    const expiries = (v: number, type: Event['type']) => sends(v, type).filter(([, , m]) => m === 'disappeared');
    // version 5: 2's close expires the 3 overdue orphans first, for the watcher, 2 and 3
    expect(expiries(5, 'closed')).toEqual([0, 1, 2].flatMap(() => [9, 2, 3].map((to) => [2, to, 'disappeared'])));
    // version 6: no expiry is built in the closes; the work event expires them, for the watcher only
    expect(expiries(6, 'closed')).toEqual([]);
    expect(expiries(6, 'work')).toEqual([0, 1, 2].map(() => [0, 9, 'disappeared']));
    // (2's own orphaning, small and with no work queued, is still done at its close in both: told to 3, closing too)
    expect(sends(6, 'closed').filter(([, to]) => to !== 9)).toEqual([[2, 3, 'modified']]);
    for (const v of [5, 6]) {
      const { expired, last } = run(asVersion(lines, v));
      expect(expired.map(([id]) => id)).toEqual([1000n, 1001n, 1002n]);
      expect(last.services.size).toBe(2);
      expect(last.work.size).toBe(0);
    }
  });

  /**
   * A producer of 2,400 services unpublishing every other one (encoded under a version 8 header, then the same lines
   * under version 9), then a watcher's `services` listing carried by `work` events. The unpublish that leaves half of
   * the directory's positions holes renumbers them at once under version 8 (one O(n) event; 124 ms for 50,000 of
   * 100,000 services); under version 9 it starts a gradual compaction, which no later event here advances (only
   * changes of the directory do), so the listing walks the holes too, one budget unit each, and ends in a later
   * `work` event: a log replays exactly only with its version's rule.
   */
  it('an unpublish leaving half the positions holes: version 8 compacts at once, version 9 gradually', () => {
    const { ev, at } = waveSetup();
    const n = 2_400;
    for (let i = 0; i < n; i++)
      at(T0, 1, request('publish', 10, { 'service-id': 1000 + i, generation: 0, 'service-props': {}, ttl: 60 }));
    for (let i = 1; i < n - 1; i += 2) at(T0, 1, request('unpublish', 11, { 'service-id': 1000 + i }));
    // (1,201 services on 2,400 positions: this one leaves half of them holes)
    at(T0, 1, request('unpublish', 11, { 'service-id': 1002 }));
    at(T0, 9, request('services', 2, {}));
    for (let i = 0; i < 40; i++) ev.push({ type: 'work', now: T0 });
    const header = encodeHeaderLine(0, { settings: defaultSettings, seed: 42, now: T0 });
    const lines = [header, ...ev.map((e, i) => encodeEventLine(i, 0, e))];
    /** The directory's positions and size at the end, and the `work` event (its index) that completed the listing. */
    const replayed = (v: number): { slots: number; size: number; completedAt: number; listed: number } => {
      let works = 0;
      let completedAt = -1;
      let listed = 0;
      let last: DomainState | undefined;
      for (const step of replayLines(asVersion(lines, v))) {
        if (step.event.type === 'work') works++;
        for (const f of step.effects)
          if (f.type === 'send' && f.conn === 9 && f.msg['ta-cmd'] === 'services') {
            if (f.msg['msg-type'] === 'complete') completedAt = works;
            else if (f.msg['msg-type'] === 'notify') listed++;
          }
        last = step.state;
      }
      return { slots: last!.services.slots - last!.services.firstSlot, size: last!.services.size, completedAt, listed };
    };
    const v8 = replayed(8);
    const v9 = replayed(9);
    expect(v8.size).toBe(n / 2);
    expect(v9.size).toBe(n / 2);
    expect(v8.slots).toBe(v8.size);
    expect(v9.slots).toBe(n);
    // the same listing (every service of the directory), in more work events
    expect(v8.listed).toBe(n / 2);
    expect(v9.listed).toBe(n / 2);
    expect(v8.completedAt).toBeGreaterThan(0);
    expect(v9.completedAt).toBeGreaterThan(v8.completedAt);
    // the rule is the replayed log's only while it folds its events
    expect(compaction()).toBe('gradual');
  });
});

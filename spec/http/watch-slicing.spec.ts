import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Subject } from 'rxjs';

import { DomainFeed } from '../../lib/http/feed';
import { streamJsonArray } from '../../lib/http/listing';
import { Slicer } from '../../lib/http/slicer';
import { matchTypeOf, serveWatch } from '../../lib/http/watch';
import type { Filter } from '../../lib/filter/ast';
import { parseFilter } from '../../lib/filter/parse';
import type { DirectoryChange } from '../../lib/state/effects';
import { Domain } from '../helpers/builders';
import { parseSse } from './helpers';

/** A response that records writes; `full` makes write() report a full buffer. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  full = false;
  ended = false;
  destroyed = false;
  socket = { setNoDelay: () => undefined };
  writeHead(): this {
    return this;
  }
  write(s: string): boolean {
    this.chunks.push(s);
    return !this.full;
  }
  end(s?: string): void {
    if (s !== undefined) this.chunks.push(s);
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** A slicer whose turns run only when the test says so. */
const manualSlicer = () => {
  const turns: Array<() => void> = [];
  const slicer = new Slicer({ budgetMs: 1e9, schedule: (fn) => turns.push(fn) });
  return {
    slicer,
    /** Run one turn; false when nothing was scheduled. */
    turn: (): boolean => {
      const fn = turns.shift();
      fn?.();
      return fn !== undefined;
    },
  };
};

const filter = (text: string): Filter => {
  const r = parseFilter(text);
  if (r._tag === 'Left') throw new Error(`bad filter ${text}`);
  return r.right;
};

const bigDomain = (n: number): Domain => {
  const d = new Domain();
  d.connect(1, 100);
  for (let i = 1; i <= n; i++) d.publish(1, i, 0, { name: [i % 2 === 0 ? 'even' : 'odd'], i: [i] }, 60, i);
  return d;
};

describe('watch slicing', () => {
  const d = bigDomain(5000);

  it('streams a large initial sync in bounded steps across turns', () => {
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, d.state, 100, 'e');
    const { slicer, turn } = manualSlicer();
    const res = new FakeResponse();
    serveWatch(res as unknown as ServerResponse, undefined, undefined, {
      feed,
      state: () => d.state,
      slicer,
      now: () => 1,
      heartbeatMs: 1e6,
      maxBlockedMs: 1e6,
      onDrop: () => undefined,
    });
    const before = res.chunks.length;
    expect(parseSse(res.text).events.map((e) => e.event)).toEqual(['reset']); // nothing more before the first turn
    let turns = 0;
    while (turn()) turns++;
    const largest = Math.max(...res.chunks.map((c) => parseSse(c).events.length));
    const events = parseSse(res.text).events;
    expect(events).toHaveLength(1 + 5000 + 1);
    expect(events.at(-1)).toMatchObject({ event: 'synced', id: 'e.0' });
    expect(res.chunks.length - before).toBeGreaterThanOrEqual(20);
    expect(largest).toBeLessThanOrEqual(257); // one step, one write: at most 256 services (+ the synced event)
    expect(turns).toBe(1); // a manual slicer with an unlimited budget runs every step in one turn ...
    feed.close();
  });

  it('spreads the steps over many turns when each turn has a small budget', () => {
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, d.state, 100, 'e');
    const turns: Array<() => void> = [];
    let clock = 0;
    const slicer = new Slicer({ budgetMs: 3, schedule: (fn) => turns.push(fn), clock: () => (clock += 1) });
    const res = new FakeResponse();
    serveWatch(res as unknown as ServerResponse, filter('(name=even)'), undefined, {
      feed,
      state: () => d.state,
      slicer,
      now: () => 1,
      heartbeatMs: 1e6,
      maxBlockedMs: 1e6,
      onDrop: () => undefined,
    });
    let n = 0;
    while (turns.length > 0) {
      turns.shift()!();
      n++;
    }
    const events = parseSse(res.text).events;
    expect(events).toHaveLength(1 + 2500 + 1);
    expect(n).toBeGreaterThan(3); // ... and here every turn stops after about 3 steps
    feed.close();
  });

  it('pauses while the client is not draining and resumes on drain', () => {
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, d.state, 100, 'e');
    const { slicer, turn } = manualSlicer();
    const res = new FakeResponse();
    let dropped = '';
    serveWatch(res as unknown as ServerResponse, undefined, undefined, {
      feed,
      state: () => d.state,
      slicer,
      now: () => 1,
      heartbeatMs: 1e6,
      maxBlockedMs: 1e6,
      onDrop: (r) => (dropped = r),
    });
    res.full = true;
    turn();
    const written = res.chunks.length;
    expect(turn()).toBe(false); // blocked: nothing scheduled
    expect(res.chunks.length).toBe(written);
    res.full = false;
    res.emit('drain');
    while (turn());
    expect(parseSse(res.text).events.at(-1)?.event).toBe('synced');
    // blocked again, and the history moves past the position: the client is dropped
    res.full = true;
    const remove = (i: number) => changes$.next({ kind: 'removed', before: d.state.services.get(BigInt(i))! });
    remove(1);
    while (turn()); // writes the disappeared event: the buffer is full now
    for (let i = 2; i <= 101; i++) remove(i);
    expect(dropped).toBe(''); // changes 2..101 are still in the history (100 kept)
    remove(102);
    expect(dropped).toBe('fell out of the watch history while not reading');
    expect(res.destroyed).toBe(true);
    feed.close();
  });

  it('lists a large directory in bounded steps', () => {
    const { slicer, turn } = manualSlicer();
    const res = new FakeResponse();
    streamJsonArray(res as unknown as ServerResponse, d.state.services.values(), {
      slicer,
      render: (s) => (s.id % 2n === 0n ? String(s.id) : undefined),
      maxBlockedMs: 1e6,
      onDrop: () => undefined,
    });
    expect(res.chunks).toEqual([]);
    turn();
    expect(res.ended).toBe(true);
    expect(res.chunks.length).toBeGreaterThanOrEqual(5000 / 256);
    const ids = JSON.parse(res.text) as number[];
    expect(ids).toHaveLength(2500);
    expect(ids[0]).toBe(2);
    expect(ids.at(-1)).toBe(5000);
  });
});

describe('listing a client that does not read', () => {
  const d = bigDomain(3000);
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const listing = (maxBlockedMs: number) => {
    const { slicer, turn } = manualSlicer();
    const res = new FakeResponse();
    const drops: string[] = [];
    streamJsonArray(res as unknown as ServerResponse, d.state.services.values(), {
      slicer,
      render: (s) => String(s.id),
      maxBlockedMs,
      onDrop: (r) => drops.push(r),
    });
    return { res, drops, turn };
  };

  it('stops writing while the buffer is full, and drops the client after maxBlockedMs', () => {
    const { res, drops, turn } = listing(500);
    res.full = true;
    turn();
    const written = res.chunks.length;
    expect(written).toBe(1); // one step, then it waits for a drain
    expect(turn()).toBe(false);
    jest.advanceTimersByTime(499);
    expect(drops).toEqual([]);
    expect(res.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(drops).toEqual(['did not read for 500 ms']);
    expect(res.destroyed).toBe(true);
    expect(res.chunks.length).toBe(written);
    expect(res.ended).toBe(false);
  });

  it('goes on after a drain within the limit, and finishes the array', () => {
    const { res, drops, turn } = listing(500);
    res.full = true;
    turn();
    jest.advanceTimersByTime(400);
    res.full = false;
    res.emit('drain');
    while (turn());
    jest.advanceTimersByTime(10_000);
    expect(drops).toEqual([]);
    expect(res.ended).toBe(true);
    expect(JSON.parse(res.text)).toHaveLength(3000);
  });
});

describe('matchTypeOf', () => {
  const s = (props: Record<string, string[]>) => ({
    ...bigDomain(1).state.services.get(1n)!,
    props: new Map(Object.entries(props)),
  });
  it.each([
    ['added, matching', { kind: 'added', after: s({ a: ['1'] }) }, 'appeared'],
    ['added, not matching', { kind: 'added', after: s({ a: ['2'] }) }, undefined],
    [
      'modified, still matching',
      { kind: 'modified', before: s({ a: ['1'] }), after: s({ a: ['1'], b: ['x'] }) },
      'modified',
    ],
    ['modified into the filter', { kind: 'modified', before: s({ a: ['2'] }), after: s({ a: ['1'] }) }, 'appeared'],
    [
      'modified out of the filter',
      { kind: 'modified', before: s({ a: ['1'] }), after: s({ a: ['2'] }) },
      'disappeared',
    ],
    ['removed, matching', { kind: 'removed', before: s({ a: ['1'] }) }, 'disappeared'],
    ['removed, not matching', { kind: 'removed', before: s({ a: ['3'] }) }, undefined],
  ] as Array<[string, DirectoryChange, string | undefined]>)('%s', (_name, change, want) =>
    expect(matchTypeOf(filter('(a=1)'), change)).toBe(want),
  );
  it('matches everything without a filter', () =>
    expect(matchTypeOf(undefined, { kind: 'removed', before: s({}) })).toBe('disappeared'));
});

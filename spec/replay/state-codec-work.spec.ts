/**
 * A state snapshot taken while sliced work is pending (issue 12: listings, initial subscription matches and
 * orphaning walk the directory across `work` events; a connection with a listing in progress has its later
 * requests and notifications held). The decoded state must finish that work exactly as the original does.
 */
import * as E from 'fp-ts/Either';

import { parseJson, stringifyJson } from '../../lib/codec/json';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { reduceAll } from '../../lib/protocol/reducer';
import { hasWork } from '../../lib/state/work';
import { Domain } from '../helpers/builders';
import { projectState, showEffect } from './state-projection';

const roundTrip = (s: DomainState): DomainState => {
  const back = E.chain(decodeDomainState)(parseJson(stringifyJson(encodeDomainState(s))));
  if (E.isLeft(back)) throw new Error(back.left);
  return back.right;
};

/** Feed `events` one reducer call each with a work budget of 1; the effects and the final state. */
const run = (s: DomainState, events: readonly Event[]): { effects: string[]; final: string; done: boolean } => {
  const effects: string[] = [];
  for (const e of events) {
    const [next, fx] = reduceAll(s, [e], 1);
    s = next;
    effects.push(...fx.map(showEffect));
  }
  return { effects, final: projectState(s), done: !hasWork(s) };
};

/** A domain in the middle of every kind of sliced work. */
const busy = (): Domain => {
  const d = new Domain({}, 7, 1);
  d.connect(1, 1).connect(2, 2).connect(3, 3);
  for (let i = 1; i <= 5; i++) d.publish(1, i, 0, { a: [String(i % 2)], n: [i] }, 30, 100 + i);
  d.subscribe(2, 7, '(a=1)', 200).drain();
  d.req(2, 'services', 500, { filter: '(a=*)' }); // a listing, walked one service per work event
  d.req(2, 'subscriptions', 501); // held behind the listing
  d.req(2, 'ping', 502); // held too
  d.publish(3, 10, 0, { a: ['1'] }, 5, 103); // its notify to subscription 7 waits behind the listing
  d.subscribe(3, 9, '(n>2)', 203); // initial matches, sliced
  d.close(1); // five services to orphan, sliced
  return d;
};

describe('state snapshot with pending sliced work', () => {
  it('holds every kind of pending job and held message', () => {
    const s = busy().state;
    expect(new Set(s.work.map((j) => j.kind))).toEqual(new Set(['services', 'subscribe', 'orphan']));
    expect(hasWork(s)).toBe(true);
    expect(s.held.get(2)?.inbox.size).toBe(2);
    expect(s.held.get(2)?.outbox.size).toBeGreaterThan(0);
    // decoded, it holds the same jobs (listings keep only what they will still show)
    expect(
      roundTrip(s)
        .work.map((j) => j.kind)
        .toArray(),
    ).toEqual(s.work.map((j) => j.kind).toArray());
  });

  it('the decoded state finishes the listings, held replies and orphaning exactly like the original', () => {
    const d = busy();
    const s = d.state;
    const work = (t: number): Event[] => Array.from({ length: 60 }, (_, i) => ({ type: 'work', now: t + i * 0.01 }));
    // the orphans' TTL (30 s) runs out at the tick: their expiry is sliced work too
    const events: Event[] = [...work(d.now), { type: 'tick', now: d.now + 40 }, ...work(d.now + 40)];
    const original = run(s, events);
    const decoded = run(roundTrip(s), events);
    expect(original.done).toBe(true);
    expect(decoded.effects).toEqual(original.effects);
    expect(decoded.final).toBe(original.final);
    // the work really was pending: the listing, held replies, notify and orphans come out of the work events
    const text = original.effects.join('\n');
    for (const want of [/services.*notify/, /subscriptions.*notify/, /ping.*complete/, /orphan-since/]) {
      expect(text).toMatch(want);
    }
  });

  it('a snapshot mid-way through a subscriptions listing goes on the same way', () => {
    const d = new Domain({}, 7, 1);
    d.connect(1, 1).connect(2, 2);
    for (let i = 1; i <= 4; i++) d.subscribe(1, i, `(a=${i})`, 200 + i);
    d.drain();
    d.req(2, 'subscriptions', 600).work();
    const s = d.state;
    expect(s.work.map((j) => j.kind).toArray()).toEqual(['subscriptions']);
    const events: Event[] = Array.from({ length: 10 }, (_, i) => ({ type: 'work', now: d.now + i }));
    const original = run(s, events);
    expect(original.effects.filter((f) => f.includes('notify')).length).toBeGreaterThan(0);
    expect(run(roundTrip(s), events)).toEqual(original);
  });

  it('rejects a snapshot whose ids collide or whose held messages do not decode', () => {
    const s = busy().state;
    const json = encodeDomainState(s) as Record<string, unknown>;
    const dup = (k: string): Record<string, unknown> => {
      const xs = json[k] as unknown[];
      return { ...json, [k]: [...xs, xs[0]] };
    };
    expect(decodeDomainState(dup('services'))).toEqual(E.left(expect.stringMatching(/duplicate service id/)));
    expect(decodeDomainState(dup('conns'))).toEqual(E.left(expect.stringMatching(/duplicate connection/)));
    expect(decodeDomainState(dup('subscriptions'))).toEqual(E.left(expect.stringMatching(/duplicate subscription/)));
    // held: [conn, inbox, outbox]
    const held = json.held as Array<[unknown, unknown[], unknown[]]>;
    expect(held.length).toBeGreaterThan(0);
    const spoil = (field: 1 | 2): unknown => ({
      ...json,
      held: held.map((h) => h.map((x, i) => (i === field ? [{ 'ta-cmd': 'ping' }] : x))),
    });
    expect(decodeDomainState(spoil(1))).toEqual(E.left(expect.stringMatching(/held request/)));
    expect(decodeDomainState(spoil(2))).toEqual(E.left(expect.stringMatching(/held message ping/)));
  });
});

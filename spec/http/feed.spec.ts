import { Subject } from 'rxjs';

import { DomainFeed, formatEventId, parseEventId } from '../../lib/http/feed';
import { publicService as httpPublicService } from '../../lib/http/public-model';
import { toJson } from '../../lib/json';
import { publicService as cachedPublicService } from '../../lib/state/public-model';
import type { DirectoryChange } from '../../lib/state/effects';
import { Domain } from '../helpers/builders';

describe('DomainFeed', () => {
  const d = new Domain();
  d.connect(1, 100)
    .publish(1, 1, 0, { a: ['1'] }, 60)
    .publish(1, 2, 0, { a: ['2'] }, 60);
  const s1 = d.state.services.get(1n)!;
  const s2 = d.state.services.get(2n)!;

  it('numbers changes and keeps the last `capacity` of them', () => {
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, d.state, 3, 'abc');
    expect([feed.head, feed.oldest]).toEqual([0, 1]);
    expect(feed.canResumeAfter(0)).toBe(true);
    const seen: number[] = [];
    feed.onChange(() => seen.push(feed.head));
    for (let i = 0; i < 5; i++) changes$.next({ kind: 'added', after: i % 2 === 0 ? s1 : s2 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect([feed.head, feed.oldest]).toEqual([5, 3]);
    expect(feed.entry(2)).toBeUndefined();
    expect(feed.entry(3)?.seq).toBe(3);
    expect(feed.entry(5)?.change).toEqual({ kind: 'added', after: s1 });
    expect(feed.entry(6)).toBeUndefined();
    expect([1, 2, 3, 4, 5, 6].map((n) => feed.canResumeAfter(n))).toEqual([false, true, true, true, true, false]);
    feed.close();
    changes$.next({ kind: 'added', after: s1 });
    expect(feed.head).toBe(5);
  });

  it('serialises a record once, in the public model', () => {
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, d.state, 3);
    changes$.next({ kind: 'modified', before: s1, after: { ...s1, generation: 1n } });
    const e = feed.entry(1)!;
    expect(e.beforeJson).toBe('{"id":1,"generation":0,"props":{"a":["1"]},"ttl":60,"clientId":100}');
    expect(e.afterJson).toBe('{"id":1,"generation":1,"props":{"a":["1"]},"ttl":60,"clientId":100}');
    expect(e.afterJson).toBe(e.afterJson);
    expect(feed.epoch).toMatch(/^[0-9a-f]{12}$/);
  });

  it('counts orphans from the changes, starting from the state it is given', () => {
    const o = new Domain();
    o.connect(1, 100)
      .publish(1, 1, 0, { a: ['1'] }, 60)
      .close(1);
    const changes$ = new Subject<DirectoryChange>();
    const feed = new DomainFeed(changes$, o.state, 10);
    expect(feed.orphans).toBe(1);
    const orphan = o.state.services.get(1n)!;
    changes$.next({ kind: 'modified', before: orphan, after: { ...orphan, orphanSince: undefined } });
    expect(feed.orphans).toBe(0);
    changes$.next({ kind: 'modified', before: s1, after: { ...s1, orphanSince: 5 } });
    changes$.next({ kind: 'added', after: { ...s2, orphanSince: 5 } });
    expect(feed.orphans).toBe(2);
    changes$.next({ kind: 'removed', before: { ...s2, orphanSince: 5 } });
    changes$.next({ kind: 'removed', before: s1 });
    expect(feed.orphans).toBe(1);
  });
});

describe('event ids', () => {
  it('round-trips positions and sync ids', () => {
    expect(formatEventId({ epoch: 'ab12', seq: 7 })).toBe('ab12.7');
    expect(formatEventId({ epoch: 'ab12', seq: 7, syncIndex: 3 })).toBe('ab12.7.3');
    expect(parseEventId('ab12.7')).toEqual({ epoch: 'ab12', seq: 7 });
    expect(parseEventId(' ab12.7.3 ')).toEqual({ epoch: 'ab12', seq: 7, syncIndex: 3 });
  });
  it.each(['', 'ab12', 'ab12.', 'AB.1', 'ab.-1', 'ab.1.2.3', 'ab.1e3', 'a b.1'])('rejects %j', (t) =>
    expect(parseEventId(t)).toBeUndefined(),
  );
});

describe('the public model on the HTTP side', () => {
  it("converts afresh, not through the library's per-record cache (listings would fill it with the whole directory)", () => {
    const d = new Domain();
    d.connect(1, 100).publish(1, 7, 3, { name: ['db'], port: [5432] }, 15);
    const s = d.state.services.get(7n)!;
    const fresh = httpPublicService(s);
    expect(fresh).toEqual(cachedPublicService(s)); // the same model
    expect(toJson(fresh)).toBe('{"id":7,"generation":3,"props":{"name":["db"],"port":[5432]},"ttl":15,"clientId":100}');
    expect(httpPublicService(s)).not.toBe(fresh); // a new object each time: nothing kept per record
    expect(cachedPublicService(s)).toBe(cachedPublicService(s)); // the library's API keeps its identity
  });
});

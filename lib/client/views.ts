/**
 * Subscriptions as observables. Every filter (by canonical form) has one shared source of batches — the merged
 * view after each step and the matches that led to it — opened on the servers when its first consumer subscribes
 * and closed on the wire when the last one leaves (`share` with ref-count, the latest batch replayed). Each
 * consumer turns batches into its own observable: `matches$` (a late consumer starts with `appeared` for every
 * service currently matching), `services$` (the current set, once per batch) and `membership$` (online/orphan/gone,
 * a `gone` entry reported once and then dropped).
 *
 * @example
 * const groups = new SubscriptionGroups(open, close, () => undefined);
 * matchesOf(groups.batches$('(name=db)')).subscribe((m) => console.log(m.type, m.service.id));
 */
import { Map as IMap } from 'immutable';
import { defer, filter, map, Observable, ReplaySubject, scan, share, Subject, throwError } from 'rxjs';

import { PafFilterError, type PafError } from '../errors';
import { parseFilter } from '../filter/parse';
import { printFilter } from '../filter/print';
import type { Match, Service } from '../model';
import type { MergeMap } from './core/merge';
import type { Membership } from './core/types';
import { mapView, serviceView } from './core/view';

/** A subscription's merged view after one step, and the matches of that step. */
export interface GroupBatch {
  readonly view: MergeMap;
  readonly changes: readonly Match[];
}

/** The key that identifies a subscription: the filter's canonical form ('' for none); throws PafFilterError. */
export const filterKey = (filterText: string | undefined): string => {
  if (filterText === undefined) return '';
  const r = parseFilter(filterText);
  if (r._tag === 'Left') throw new PafFilterError(filterText, r.left.reason, r.left.position);
  return printFilter(r.right);
};

export class SubscriptionGroups {
  private readonly shared = new Map<string, Observable<GroupBatch>>();
  private readonly sinks = new Map<string, Subject<GroupBatch>>();

  constructor(
    /** Open subscription `key` on the servers. */
    private readonly open: (key: string, filter: string | undefined) => void,
    /** Close it on the servers. */
    private readonly close: (key: string) => void,
    /** Why new subscriptions are refused (the client is closed), if they are. */
    private readonly refused: () => PafError | undefined,
  ) {}

  /** The shared batches of `filter`'s subscription (cold: nothing happens before a subscription). */
  batches$(filterText: string | undefined): Observable<GroupBatch> {
    return defer(() => {
      const refused = this.refused();
      if (refused !== undefined) return throwError(() => refused);
      const key = filterKey(filterText);
      let shared = this.shared.get(key);
      if (shared === undefined) {
        shared = this.create(key, filterText);
        this.shared.set(key, shared);
      }
      return shared;
    });
  }

  private create(key: string, filterText: string | undefined): Observable<GroupBatch> {
    const source = new Observable<GroupBatch>((subscriber) => {
      const sink = new Subject<GroupBatch>();
      this.sinks.set(key, sink);
      const sub = sink.subscribe(subscriber);
      this.open(key, filterText);
      return () => {
        sub.unsubscribe();
        if (this.sinks.get(key) !== sink) return;
        this.sinks.delete(key);
        this.shared.delete(key);
        this.close(key);
      };
    });
    return source.pipe(share({ connector: () => new ReplaySubject<GroupBatch>(1) }));
  }

  /** The core reports a step of subscription `key`. */
  deliver(key: string, view: MergeMap, changes: readonly Match[]): void {
    this.sinks.get(key)?.next({ view, changes });
  }

  /** Subscription `key` ended (failed on a server, or the client closed). */
  end(key: string, error?: PafError): void {
    const sink = this.sinks.get(key);
    if (sink === undefined) return;
    this.sinks.delete(key);
    this.shared.delete(key);
    if (error === undefined) sink.complete();
    else sink.error(error);
  }

  /** The keys of the subscriptions open now. */
  keys(): string[] {
    return [...this.sinks.keys()];
  }

  /** Every subscription ends (the client closed). */
  endAll(): void {
    for (const key of [...this.sinks.keys()]) this.end(key);
  }
}

/** Matches: `appeared` for every service of the first (possibly replayed) view, then each step's matches. */
export const matchesOf = (batches$: Observable<GroupBatch>): Observable<Match> =>
  new Observable<Match>((subscriber) => {
    let first = true;
    return batches$.subscribe({
      next: (b) => {
        if (first) {
          first = false;
          for (const m of b.view.values()) {
            if (subscriber.closed) return;
            subscriber.next({ type: 'appeared', service: m.record });
          }
          return;
        }
        for (const m of b.changes) {
          if (subscriber.closed) return;
          subscriber.next(m);
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
  });

/** The current set: the first view, then the view after every step that changed it. */
export const servicesOf = (batches$: Observable<GroupBatch>): Observable<ReadonlyMap<bigint, Service>> =>
  batches$.pipe(
    filter((b, i) => i === 0 || b.changes.length > 0),
    map((b) => serviceView(b.view)),
  );

const stateOf = (s: Service): Membership => (s.orphanSince === undefined ? 'online' : 'orphan');

interface MembershipAcc {
  readonly members: IMap<bigint, Membership>;
  /** Entries reported `gone` in the last emission (dropped from the next). */
  readonly gone: readonly bigint[];
  readonly first: boolean;
}

/** Membership per service; a `gone` entry appears in one emission only, so memory stays bounded. */
export const membershipOf = (batches$: Observable<GroupBatch>): Observable<ReadonlyMap<bigint, Membership>> =>
  batches$.pipe(
    filter((b, i) => i === 0 || b.changes.length > 0),
    scan(
      (acc: MembershipAcc, b: GroupBatch): MembershipAcc => {
        if (acc.first) {
          const members = IMap<bigint, Membership>().withMutations((w) => {
            for (const [id, m] of b.view) w.set(id, stateOf(m.record));
          });
          return { members, gone: [], first: false };
        }
        const gone: bigint[] = [];
        const members = acc.members.withMutations((w) => {
          for (const id of acc.gone) if (w.get(id) === 'gone') w.delete(id);
          for (const m of b.changes) {
            if (m.type === 'disappeared') {
              w.set(m.service.id, 'gone');
              gone.push(m.service.id);
            } else w.set(m.service.id, stateOf(m.service));
          }
        });
        return { members, gone, first: false };
      },
      { members: IMap<bigint, Membership>(), gone: [], first: true },
    ),
    map((acc) => mapView(acc.members)),
  );

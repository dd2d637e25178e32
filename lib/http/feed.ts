/**
 * The per-domain change feed behind watches: every directory change gets the next sequence number and is kept in a
 * bounded ring (the history), so a watcher that reconnects with the id of the last event it saw receives exactly the
 * changes after it. The epoch (random per feed, i.e. per daemon run and domain) is part of every event id, so an id
 * from before a restart is recognised as foreign instead of being misread as a position in the new history.
 *
 * The feed also counts orphans (from the changes, O(1) each), for metrics and the dashboard.
 */
import { randomBytes } from 'node:crypto';
import type { Observable, Subscription } from 'rxjs';

import { toJson } from '../json';
import type { DirectoryChange } from '../state/effects';
import type { DomainState, Service } from '../state/model';
import { servicesInOrder } from '../state/selectors';
import { publicService } from './public-model';

/** One change of the history, with its record(s) serialised at most once for every watcher. */
export class FeedEntry {
  private afterText: string | undefined;
  private beforeText: string | undefined;

  constructor(
    readonly seq: number,
    readonly change: DirectoryChange,
  ) {}

  /** JSON of the record after the change (absent for a removal). */
  get afterJson(): string {
    const c = this.change;
    if (c.kind === 'removed') throw new Error('a removal has no record after it');
    return (this.afterText ??= toJson(publicService(c.after)));
  }

  /** JSON of the record before the change (absent for an addition). */
  get beforeJson(): string {
    const c = this.change;
    if (c.kind === 'added') throw new Error('an addition has no record before it');
    return (this.beforeText ??= toJson(publicService(c.before)));
  }
}

/** An event id: `<epoch>.<seq>` (a position in the feed) or `<epoch>.<seq>.<n>` (the n-th event of a sync at seq). */
export interface EventId {
  readonly epoch: string;
  readonly seq: number;
  /** Set for ids of events sent during an initial sync (not a resumable position). */
  readonly syncIndex?: number;
}

export const formatEventId = (id: EventId): string =>
  id.syncIndex === undefined ? `${id.epoch}.${id.seq}` : `${id.epoch}.${id.seq}.${id.syncIndex}`;

export const parseEventId = (text: string): EventId | undefined => {
  const m = /^([0-9a-z]{1,32})\.(\d{1,15})(?:\.(\d{1,15}))?$/.exec(text.trim());
  if (m === null) return undefined;
  return { epoch: m[1]!, seq: Number(m[2]), ...(m[3] !== undefined ? { syncIndex: Number(m[3]) } : {}) };
};

const isOrphan = (s: Service | undefined): boolean => s !== undefined && s.orphanSince !== undefined;

export class DomainFeed {
  readonly epoch: string;
  private readonly ring: Array<FeedEntry | undefined>;
  private last = 0;
  private orphanCount: number;
  private readonly listeners = new Set<() => void>();
  private readonly sub: Subscription;

  /**
   * @param state the domain's current state (read once here to count the orphans that already exist)
   * @param capacity changes kept for resumption
   */
  constructor(
    changes$: Observable<DirectoryChange>,
    state: DomainState,
    readonly capacity: number,
    epoch: string = randomBytes(6).toString('hex'),
  ) {
    this.epoch = epoch;
    this.ring = new Array<FeedEntry | undefined>(capacity);
    let n = 0;
    for (const s of servicesInOrder(state)) if (s.orphanSince !== undefined) n++;
    this.orphanCount = n;
    this.sub = changes$.subscribe((c) => this.push(c));
  }

  /** Sequence number of the newest change (0 before any). */
  get head(): number {
    return this.last;
  }

  /** The oldest sequence number still in the history (head + 1 when the history is empty). */
  get oldest(): number {
    return Math.max(1, this.last - this.capacity + 1);
  }

  /** Services currently orphaned. */
  get orphans(): number {
    return this.orphanCount;
  }

  /** The change with sequence number `seq`, if it is still in the history. */
  entry(seq: number): FeedEntry | undefined {
    if (seq < this.oldest || seq > this.last) return undefined;
    return this.ring[seq % this.capacity];
  }

  /** Can a watcher that has seen everything up to `seq` (inclusive) be resumed from the history? */
  canResumeAfter(seq: number): boolean {
    return seq <= this.last && seq >= this.oldest - 1;
  }

  /** Call `fn` after every change (synchronously: keep it O(1)); returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get watchers(): number {
    return this.listeners.size;
  }

  close(): void {
    this.sub.unsubscribe();
    this.listeners.clear();
  }

  private push(c: DirectoryChange): void {
    const seq = ++this.last;
    this.ring[seq % this.capacity] = new FeedEntry(seq, c);
    const before = c.kind === 'added' ? undefined : c.before;
    const after = c.kind === 'removed' ? undefined : c.after;
    this.orphanCount += Number(isOrphan(after)) - Number(isOrphan(before));
    for (const fn of this.listeners) fn();
  }
}

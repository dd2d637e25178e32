/**
 * `GET /v1/domains/{domain}/watch?filter=...`: a Server-Sent-Events stream of the services matching a filter.
 *
 *   reset      the client must forget what it has (data: why); followed by a full sync
 *   appeared   once per service matching now (the sync), then live; also modified / disappeared (data: a Match)
 *   synced     end of the sync; its id is the first resumable position
 *   resumed    a reconnect with a `Last-Event-ID` still in the history: only the missed events follow
 *   progress   sent with a heartbeat when changes that did not match moved the position on
 *
 * Ids are `<epoch>.<seq>` (a position: every change up to `seq` was delivered) or `<epoch>.<seq>.<n>` during a
 * sync. All work is sliced (a few hundred services per step, see Slicer), a client that stops reading is not
 * buffered for: writing pauses until it drains, and it is dropped when it stays blocked too long or falls out of
 * the history.
 */
import type { ServerResponse } from 'node:http';

import type { Filter } from '../filter/ast';
import { matchFilter } from '../filter/match';
import type { Props } from '../filter/props';
import type { DirectoryChange } from '../state/effects';
import type { DomainState, Service } from '../state/model';
import { servicesInOrder } from '../state/selectors';
import { toJson } from '../json';
import { type DomainFeed, formatEventId, parseEventId } from './feed';
import { publicService } from './public-model';
import type { Slicer } from './slicer';

export interface WatchDeps {
  readonly feed: DomainFeed;
  /** The domain's current state (consistent with `feed.head`). */
  readonly state: () => DomainState;
  readonly slicer: Slicer;
  /** Wall-clock seconds since the epoch (sent so clients can count orphan TTLs down). */
  readonly now: () => number;
  /** Interval of heartbeats (comments or progress events), ms. */
  readonly heartbeatMs: number;
  /** A client that has not drained its socket buffer for this long is dropped, ms. */
  readonly maxBlockedMs: number;
  /** A slow client was dropped. */
  readonly onDrop: (reason: string) => void;
}

export type ResetReason = 'initial' | 'invalid-id' | 'other-epoch' | 'sync-interrupted' | 'expired';

/** Services examined per step of a sync, and changes per step when catching up. */
const SYNC_SCAN = 1024;
const SYNC_EMIT = 256;
const LIVE_STEP = 256;

const matches = (f: Filter | undefined, p: Props): boolean => f === undefined || matchFilter(f, p);

/** The match a change means for a filter (the subscription diff of §7.8), or undefined. */
export const matchTypeOf = (
  f: Filter | undefined,
  c: DirectoryChange,
): 'appeared' | 'modified' | 'disappeared' | undefined => {
  const before = c.kind !== 'added' && matches(f, c.before.props);
  const after =
    c.kind !== 'removed' &&
    (c.kind === 'modified' && c.before.props === c.after.props ? before : matches(f, c.after.props));
  if (after) return before ? 'modified' : 'appeared';
  return before ? 'disappeared' : undefined;
};

const sse = (event: string, id: string | undefined, data: string): string =>
  `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;

class Watch {
  private phase: 'sync' | 'live' = 'sync';
  private iter: Iterator<Service> | undefined;
  private syncSeq = 0;
  private syncIndex = 0;
  private cursor = 0;
  /** The last position (`seq`) announced with an id. */
  private announced = -1;
  private queued = false;
  private blocked = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private blockedTimer: NodeJS.Timeout | undefined;
  private readonly unlisten: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly filter: Filter | undefined,
    lastEventId: string | undefined,
    private readonly deps: WatchDeps,
  ) {
    this.unlisten = deps.feed.onChange(() => this.onChange());
    res.on('close', () => this.close());
    res.on('drain', () => {
      this.blocked = false;
      clearTimeout(this.blockedTimer);
      this.schedule();
    });
    this.write('retry: 1000\n\n');
    const hb = setInterval(() => this.heartbeat(), deps.heartbeatMs);
    hb.unref();
    this.timers.push(hb);
    const resumeFrom = this.resumable(lastEventId);
    if (typeof resumeFrom === 'number') {
      this.phase = 'live';
      this.cursor = resumeFrom;
      this.announced = resumeFrom;
      const id = formatEventId({ epoch: deps.feed.epoch, seq: resumeFrom });
      this.write(sse('resumed', id, toJson({ after: id, changes: deps.feed.head - resumeFrom, now: deps.now() })));
    } else this.startSync(resumeFrom);
    this.schedule();
  }

  /** The position to resume after, or why a full sync is needed. */
  private resumable(lastEventId: string | undefined): number | ResetReason {
    if (lastEventId === undefined || lastEventId === '') return 'initial';
    const id = parseEventId(lastEventId);
    if (id === undefined) return 'invalid-id';
    if (id.epoch !== this.deps.feed.epoch) return 'other-epoch';
    if (id.seq > this.deps.feed.head) return 'invalid-id';
    if (id.syncIndex !== undefined) return 'sync-interrupted';
    return this.deps.feed.canResumeAfter(id.seq) ? id.seq : 'expired';
  }

  private startSync(reason: ResetReason): void {
    const { feed } = this.deps;
    this.phase = 'sync';
    this.syncSeq = feed.head;
    this.syncIndex = 0;
    this.iter = servicesInOrder(this.deps.state())[Symbol.iterator]();
    const id = formatEventId({ epoch: feed.epoch, seq: this.syncSeq, syncIndex: 0 });
    this.write(sse('reset', id, toJson({ reason, now: this.deps.now() })));
  }

  private onChange(): void {
    if (this.blocked) {
      const after = this.phase === 'live' ? this.cursor : this.syncSeq;
      if (!this.deps.feed.canResumeAfter(after)) this.drop('fell out of the watch history while not reading');
      return;
    }
    if (this.phase === 'live') this.schedule();
  }

  private schedule(): void {
    if (this.queued || this.closed || this.blocked) return;
    this.queued = true;
    this.deps.slicer.add(() => {
      const more = this.step();
      if (!more) this.queued = false;
      return more;
    });
  }

  /** One bounded slice of work; true while more is ready right now. */
  private step(): boolean {
    if (this.closed || this.blocked) return false;
    let out = '';
    if (this.phase === 'sync') out = this.syncStep();
    else if (!this.deps.feed.canResumeAfter(this.cursor)) this.startSync('expired');
    else out = this.liveStep();
    if (out !== '') this.write(out);
    if (this.closed || this.blocked) return false;
    return this.phase === 'sync' || this.cursor < this.deps.feed.head;
  }

  private syncStep(): string {
    const { feed } = this.deps;
    let out = '';
    let emitted = 0;
    for (let scanned = 0; scanned < SYNC_SCAN && emitted < SYNC_EMIT; scanned++) {
      const r = this.iter!.next();
      if (r.done === true) {
        this.iter = undefined;
        this.phase = 'live';
        this.cursor = this.syncSeq;
        this.announced = this.syncSeq;
        const id = formatEventId({ epoch: feed.epoch, seq: this.syncSeq });
        return out + sse('synced', id, toJson({ services: this.syncIndex, now: this.deps.now() }));
      }
      const s = r.value;
      if (!matches(this.filter, s.props)) continue;
      emitted++;
      const id = formatEventId({ epoch: feed.epoch, seq: this.syncSeq, syncIndex: ++this.syncIndex });
      out += sse('appeared', id, `{"type":"appeared","service":${toJson(publicService(s))}}`);
    }
    return out;
  }

  private liveStep(): string {
    const { feed } = this.deps;
    let out = '';
    const end = Math.min(feed.head, this.cursor + LIVE_STEP);
    for (let seq = this.cursor + 1; seq <= end; seq++) {
      const e = feed.entry(seq)!;
      const mt = matchTypeOf(this.filter, e.change);
      if (mt === undefined) continue;
      const json = mt === 'disappeared' ? e.beforeJson : e.afterJson;
      const id = formatEventId({ epoch: feed.epoch, seq });
      out += sse(mt, id, `{"type":"${mt}","service":${json}}`);
      this.announced = seq;
    }
    this.cursor = end;
    return out;
  }

  private heartbeat(): void {
    if (this.closed || this.blocked) return;
    if (this.phase === 'live' && this.cursor > this.announced) {
      this.announced = this.cursor;
      const id = formatEventId({ epoch: this.deps.feed.epoch, seq: this.cursor });
      this.write(sse('progress', id, toJson({ now: this.deps.now() })));
    } else this.write(': keepalive\n\n');
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.res.write(text)) return;
    this.blocked = true;
    clearTimeout(this.blockedTimer);
    this.blockedTimer = setTimeout(
      () => this.drop(`did not read for ${this.deps.maxBlockedMs} ms`),
      this.deps.maxBlockedMs,
    );
    this.blockedTimer.unref();
  }

  private drop(reason: string): void {
    if (this.closed) return;
    this.deps.onDrop(reason);
    this.res.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    this.timers.forEach(clearInterval);
    clearTimeout(this.blockedTimer);
  }
}

/** Serve a watch on `res` (headers not yet sent). `lastEventId`: the `Last-Event-ID` header, if any. */
export const serveWatch = (
  res: ServerResponse,
  filter: Filter | undefined,
  lastEventId: string | undefined,
  deps: WatchDeps,
): void => {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  new Watch(res, filter, lastEventId, deps);
};

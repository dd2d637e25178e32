/**
 * The orphan expiry queue (§7.6; issues 12 and 13): entries `(at, seq, service id)` popped by `at`, then `seq`, as
 * the persistent heap of ../util/heap.ts pops them, and cheaper for the way orphans come: a disconnect orphans its
 * services one after the other with the same orphan-since and, mostly, the same TTL, so their expiries are pushed in
 * order. Such entries are appended to a sorted run (a slot list, ./slot-list.ts: an append copies at most its
 * 32-entry tail, or none inside a reducer call's edit), and popped by moving the run's start: no walk of cold nodes,
 * where a leftist heap copies ~log2 n nodes per push and per pop.
 *
 * A push goes to the run whose last entry is the latest not after it (patience sorting: a wave of orphans with a few
 * distinct TTLs makes a few runs); when none fits and {@link MAX_RUNS} runs exist, to a leftist heap (the overflow),
 * so any order of pushes stays correct and a pop scans at most {@link MAX_RUNS} heads. Every version stays valid.
 *
 * @example
 * let q = orphanQueueEmpty();
 * q = orphanQueuePush(q, 12, 0, 7n);
 * q = orphanQueuePush(q, 10, 1, 8n);
 * orphanQueuePeek(q)?.value; // 8n
 * orphanQueuePeek(orphanQueuePop(q))?.value; // 7n
 */
import { type Heap, heapEmpty, heapPeek, heapPop, heapPush } from '../util/heap';
import { SLOT_LIMIT, SlotList } from './slot-list';

/** One queued expiry: service `value` is due at `at`; `seq` orders equal `at`s (lower first). */
export interface OrphanEntry {
  readonly at: number;
  readonly seq: number;
  readonly value: bigint;
}

/** Entries at positions `[start, end)` of `list`, sorted (by `at`, then `seq`), no holes; its first and last. */
interface Run {
  readonly list: SlotList<OrphanEntry>;
  readonly head: OrphanEntry;
  readonly last: OrphanEntry;
}

/** A queue version. Treat as opaque. */
export interface OrphanQueue {
  readonly size: number;
  /** @internal */
  readonly runs: readonly Run[];
  /** @internal entries that fitted no run */
  readonly overflow: Heap<bigint>;
  /** @internal the earliest entry */
  readonly first: OrphanEntry | undefined;
  /** @internal where the earliest entry is: its run's index, or -1 for the overflow heap */
  readonly firstRun: number;
}

/** Runs kept at most; further out-of-order entries go to the overflow heap. */
const MAX_RUNS = 8;

const EMPTY: OrphanQueue = { size: 0, runs: [], overflow: heapEmpty(), first: undefined, firstRun: -1 };

/** The empty queue. */
export const orphanQueueEmpty = (): OrphanQueue => EMPTY;

/** Whether `a` pops before `b` (as the heap orders them). */
const before = (a: OrphanEntry, b: OrphanEntry): boolean => a.at < b.at || (a.at === b.at && a.seq <= b.seq);

/** Queue service `value` to expire at `at`; `seq` breaks ties (lower first). */
export const orphanQueuePush = (q: OrphanQueue, at: number, seq: number, value: bigint): OrphanQueue => {
  const e: OrphanEntry = { at, seq, value };
  const runs = q.runs;
  // the run whose last entry is the latest one not after `e`
  let best = -1;
  for (let i = 0; i < runs.length; i++) {
    const last = runs[i]!.last;
    if (before(last, e) && (best < 0 || before(runs[best]!.last, last))) best = i;
  }
  let next: readonly Run[] = runs;
  let overflow = q.overflow;
  if (best >= 0) {
    const copy = runs.slice();
    const r = runs[best]!;
    // positions stay below the slot list's limit: a run that reaches it starts again from 0
    const list = r.list.end < SLOT_LIMIT ? r.list : SlotList.of(r.list.from(r.list.start));
    copy[best] = { list: list.push(e), head: r.head, last: e };
    next = copy;
  } else if (runs.length < MAX_RUNS) {
    next = [...runs, { list: SlotList.of([e]), head: e, last: e }];
    best = runs.length;
  } else overflow = heapPush(overflow, at, seq, value);
  const isFirst = q.first === undefined || !before(q.first, e);
  return {
    size: q.size + 1,
    runs: next,
    overflow,
    first: isFirst ? e : q.first,
    firstRun: isFirst ? best : q.firstRun,
  };
};

/** The earliest entry, or `undefined` when empty. */
export const orphanQueuePeek = (q: OrphanQueue): OrphanEntry | undefined => q.first;

/** The queue without its earliest entry. */
export const orphanQueuePop = (q: OrphanQueue): OrphanQueue => {
  if (q.first === undefined) return q;
  if (q.size === 1) return EMPTY;
  let runs = q.runs;
  let overflow = q.overflow;
  if (q.firstRun < 0) overflow = heapPop(overflow);
  else {
    const i = q.firstRun;
    const r = runs[i]!;
    const copy = runs.slice();
    if (r.list.size === 1) copy.splice(i, 1);
    else {
      const list = r.list.without(r.list.start);
      copy[i] = { list, head: list.get(list.start)!, last: r.last };
    }
    runs = copy;
  }
  let first: OrphanEntry | undefined = heapPeek(overflow) as (OrphanEntry & { seq: number }) | undefined;
  let firstRun = -1;
  for (let i = 0; i < runs.length; i++) {
    const h = runs[i]!.head;
    if (first === undefined || !before(first, h)) {
      first = h;
      firstRun = i;
    }
  }
  return { size: q.size - 1, runs, overflow, first, firstRun };
};

/** The entries `[at, seq, value]` in pop order. */
export const orphanQueueEntries = (q: OrphanQueue): Array<readonly [number, number, bigint]> => {
  const out: Array<readonly [number, number, bigint]> = [];
  for (let n = q; n.first !== undefined; n = orphanQueuePop(n)) out.push([n.first.at, n.first.seq, n.first.value]);
  return out;
};

/** The queue of `entries` (`[at, seq, value]`, in any order; in pop order they make one run). */
export const orphanQueueOf = (entries: ReadonlyArray<readonly [number, number, bigint]>): OrphanQueue =>
  entries.reduce((q, [at, seq, v]) => orphanQueuePush(q, at, seq, v), EMPTY);

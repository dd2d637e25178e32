/**
 * The orphan expiry queue (§7.6; issues 12 and 13): entries `(at, seq, service id)` popped by `at`, then `seq`, as
 * the persistent heap of ../util/heap.ts pops them, and cheaper for the way orphans come: a disconnect orphans its
 * services one after the other with the same orphan-since and, mostly, the same TTL, so their expiries are pushed in
 * order. Such entries are appended to a sorted run (an array shared by the versions: an append writes past the end
 * of every older version, which never read there), and popped by moving the run's head: no allocation per level, no
 * walk of cold nodes, where a leftist heap copies ~log2 n nodes per push and per pop.
 *
 * A push goes to the run whose last entry is the latest not after it (patience sorting: a wave of orphans with a few
 * distinct TTLs makes a few runs); when none fits and {@link MAX_RUNS} runs exist, to a leftist heap (the overflow),
 * so any order of pushes stays correct and a pop scans at most {@link MAX_RUNS} heads. Every version stays valid: a
 * version reads only its own `[head, end)` of a run's array, and an append in place happens only at the array's end
 * (a second branch from the same version finds the array longer than its end and copies).
 *
 * @example
 * let q = orphanQueueEmpty();
 * q = orphanQueuePush(q, 12, 0, 7n);
 * q = orphanQueuePush(q, 10, 1, 8n);
 * orphanQueuePeek(q)?.value; // 8n
 * orphanQueuePeek(orphanQueuePop(q))?.value; // 7n
 */
import { type Heap, heapEmpty, heapPeek, heapPop, heapPush } from '../util/heap';

/** One queued expiry: service `value` is due at `at`; `seq` orders equal `at`s (lower first). */
export interface OrphanEntry {
  readonly at: number;
  readonly seq: number;
  readonly value: bigint;
}

/** Entries `arr[head .. end)`, sorted (by `at`, then `seq`). */
interface Run {
  readonly arr: OrphanEntry[];
  readonly head: number;
  readonly end: number;
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
/** A run's popped prefix is dropped (the rest copied) once it is this long and at least as long as the rest. */
const COMPACT_FROM = 32;

const EMPTY: OrphanQueue = { size: 0, runs: [], overflow: heapEmpty(), first: undefined, firstRun: -1 };

/** The empty queue. */
export const orphanQueueEmpty = (): OrphanQueue => EMPTY;

/** Whether `a` pops before `b` (as the heap orders them). */
const before = (a: OrphanEntry, b: OrphanEntry): boolean => a.at < b.at || (a.at === b.at && a.seq <= b.seq);

const lastOf = (r: Run): OrphanEntry => r.arr[r.end - 1]!;

/** `r` with `e` (not before its last entry) appended: in place at the array's end, or in a copy. */
const appended = (r: Run, e: OrphanEntry): Run => {
  if (r.arr.length === r.end) {
    r.arr.push(e);
    return { arr: r.arr, head: r.head, end: r.end + 1 };
  }
  const arr = r.arr.slice(r.head, r.end);
  arr.push(e);
  return { arr, head: 0, end: arr.length };
};

/** Queue service `value` to expire at `at`; `seq` breaks ties (lower first). */
export const orphanQueuePush = (q: OrphanQueue, at: number, seq: number, value: bigint): OrphanQueue => {
  const e: OrphanEntry = { at, seq, value };
  const runs = q.runs;
  // the run whose last entry is the latest one not after `e`
  let best = -1;
  for (let i = 0; i < runs.length; i++) {
    const last = lastOf(runs[i]!);
    if (before(last, e) && (best < 0 || before(lastOf(runs[best]!), last))) best = i;
  }
  let next: readonly Run[] = runs;
  let overflow = q.overflow;
  if (best >= 0) {
    const copy = runs.slice();
    copy[best] = appended(runs[best]!, e);
    next = copy;
  } else if (runs.length < MAX_RUNS) {
    next = [...runs, { arr: [e], head: 0, end: 1 }];
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
    const head = r.head + 1;
    const copy = runs.slice();
    if (head === r.end) copy.splice(i, 1);
    else if (head >= COMPACT_FROM && head >= r.end - head)
      copy[i] = { arr: r.arr.slice(head, r.end), head: 0, end: r.end - head };
    else copy[i] = { arr: r.arr, head, end: r.end };
    runs = copy;
  }
  let first: OrphanEntry | undefined = heapPeek(overflow) as (OrphanEntry & { seq: number }) | undefined;
  let firstRun = -1;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    const h = r.arr[r.head]!;
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

/**
 * A persistent (immutable) leftist min-heap: insert and pop in O(log n), and every version stays valid, so deadline
 * queues can live inside immutable state (a reducer call copies only the root that points at them). Both pure cores
 * use it: the server's domain state (orphan expiry and connection timers, lib/state/) and the client's state (its one
 * queue of greeting, back-off, track, request and orphan deadlines, lib/client/core/).
 *
 * Entries are ordered by `at`, then by `seq`: the server passes a sequence number, so equal deadlines pop in the
 * order they were scheduled (§7.6: orphans with equal expiry may go in any order; insertion order is the natural one).
 * The client passes 0: its equal deadlines pop in an unspecified (but deterministic) order, which it does not rely on.
 *
 * @example
 * let h = heapEmpty<string>();
 * h = heapPush(h, 2, 0, 'b'); h = heapPush(h, 1, 1, 'a');
 * heapPeek(h)?.value // 'a'
 */

interface Node<T> {
  readonly at: number;
  readonly seq: number;
  readonly value: T;
  readonly rank: number;
  readonly left: Node<T> | null;
  readonly right: Node<T> | null;
}

/** A heap is its root node, or `null` when empty. */
export type Heap<T> = Node<T> | null;

/** The empty heap. */
export const heapEmpty = <T>(): Heap<T> => null;

/** `a` goes on top: earlier, or as early with a lower `seq`; on a full tie the heap merged into (`a`) keeps its root. */
const before = <T>(a: Node<T>, b: Node<T>): boolean => a.at < b.at || (a.at === b.at && a.seq <= b.seq);
const rank = <T>(h: Heap<T>): number => (h === null ? 0 : h.rank);

const make = <T>(top: Node<T>, a: Heap<T>, b: Heap<T>): Node<T> => {
  const ra = rank(a);
  const rb = rank(b);
  // no [l, r] pair: one allocation per node of the merge path (a push per orphan, issue 12)
  return ra >= rb
    ? { at: top.at, seq: top.seq, value: top.value, rank: rb + 1, left: a, right: b }
    : { at: top.at, seq: top.seq, value: top.value, rank: ra + 1, left: b, right: a };
};

const merge = <T>(a: Heap<T>, b: Heap<T>): Heap<T> => {
  if (a === null) return b;
  if (b === null) return a;
  return before(a, b) ? make(a, a.left, merge(a.right, b)) : make(b, b.left, merge(a, b.right));
};

/** Add `value` due at `at`; `seq` breaks ties (lower first). */
export const heapPush = <T>(h: Heap<T>, at: number, seq: number, value: T): Heap<T> =>
  merge(h, { at, seq, value, rank: 1, left: null, right: null });

/** The earliest entry, or `undefined`. */
export const heapPeek = <T>(h: Heap<T>): { readonly at: number; readonly value: T } | undefined =>
  h === null ? undefined : h;

/** The heap without its earliest entry. */
export const heapPop = <T>(h: Heap<T>): Heap<T> => (h === null ? null : merge(h.left, h.right));

/**
 * A persistent min-heap (leftist heap): insert, peek and pop in O(log n), every version stays valid, so it can live
 * in the client state that `scan` folds. The client keeps its deadlines in one (greeting, back-off, track probes and
 * replies, request timeouts, client-side orphan expiry) and removes stale entries lazily when they come due.
 *
 * @example
 * let h = heapInsert(heapInsert(EMPTY_HEAP, 5, 'b'), 1, 'a');
 * heapPeek(h); // { at: 1, value: 'a' }
 * h = heapPop(h); // heapPeek(h)?.value === 'b'
 */

/** A heap node: the smallest `at` is at the root. */
export interface Heap<T> {
  readonly at: number;
  readonly value: T;
  /** Distance to the nearest empty child (the leftist rank). */
  readonly rank: number;
  readonly left: Heap<T> | undefined;
  readonly right: Heap<T> | undefined;
}

/** The empty heap. */
export const EMPTY_HEAP = undefined;

const rank = <T>(h: Heap<T> | undefined): number => (h === undefined ? 0 : h.rank);

const node = <T>(at: number, value: T, a: Heap<T> | undefined, b: Heap<T> | undefined): Heap<T> =>
  rank(a) >= rank(b)
    ? { at, value, rank: rank(b) + 1, left: a, right: b }
    : { at, value, rank: rank(a) + 1, left: b, right: a };

/** The union of two heaps. Ties keep `a`'s entries first. */
export const heapMerge = <T>(a: Heap<T> | undefined, b: Heap<T> | undefined): Heap<T> | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (b.at < a.at) return node(b.at, b.value, b.left, heapMerge(a, b.right));
  return node(a.at, a.value, a.left, heapMerge(a.right, b));
};

/** `h` with `value` due at `at`. */
export const heapInsert = <T>(h: Heap<T> | undefined, at: number, value: T): Heap<T> =>
  heapMerge(h, { at, value, rank: 1, left: undefined, right: undefined })!;

/** The earliest entry, if any. */
export const heapPeek = <T>(h: Heap<T> | undefined): { readonly at: number; readonly value: T } | undefined => h;

/** `h` without its earliest entry. */
export const heapPop = <T>(h: Heap<T> | undefined): Heap<T> | undefined =>
  h === undefined ? undefined : heapMerge(h.left, h.right);

import { OrderedMap } from 'immutable';
import { type Hamt, hamtDelete, hamtEmpty, hamtGet, hamtHas, hamtSet } from '../util/hamt';
import type { Filter } from './ast';
import { forEachPropValue } from './compact-props';
import type { PropValue, Props } from './props';

/** Subscriptions: seq -> id (seqs normally arrive in increasing order). */
type Ordered<K> = OrderedMap<number, K>;

/**
 * The one subscription of an anchor that only one has (the usual case: a subscription per distinct name): a bucket
 * without a map. A bucket is a `Single` exactly when it holds one subscription.
 */
class Single<K> {
  constructor(
    readonly seq: number,
    readonly id: K,
  ) {}
}

/** Subscriptions sharing one anchor. */
type Bucket<K> = Ordered<K> | Single<K>;

/** `b` (absent: empty) with (`seq`, `id`) added. */
const bucketAdd = <K>(b: Bucket<K> | undefined, seq: number, id: K): Bucket<K> => {
  if (b === undefined) return new Single(seq, id);
  if (b instanceof Single) return OrderedMap<number, K>([[b.seq, b.id]]).set(seq, id);
  return b.set(seq, id);
};

/** `b` without `seq` (`undefined` when empty; `b` itself when it has no `seq`). */
const bucketDelete = <K>(b: Bucket<K>, seq: number): Bucket<K> | undefined => {
  if (b instanceof Single) return b.seq === seq ? undefined : b;
  const rest = b.delete(seq);
  if (rest.size === 0) return undefined;
  if (rest.size > 1 || rest === b) return rest;
  const [only] = rest.entries();
  return new Single(only![0], only![1]);
};

/** Each (id, seq) of a bucket, in its order. */
const bucketForEach = <K>(b: Bucket<K>, fn: (id: K, seq: number) => void): void => {
  if (b instanceof Single) fn(b.id, b.seq);
  else b.forEach(fn);
};

/**
 * A persistent (immutable) index of subscription filters, used to find the subscriptions that a
 * changed service might match without testing every subscription (§7.8). Treat it as opaque; update
 * it only with `indexAdd`/`indexRemove`. Every update returns a new value and leaves the old one
 * intact; a no-op update returns the same reference.
 *
 * @example
 * let ix = emptyFilterIndex<bigint>();
 * ix = indexAdd(ix, 17n, 0, { op: 'eq', key: 'name', value: 'foo' });
 * indexCandidates(ix, new Map([['name', ['foo']]])); // [17n]
 */
export interface FilterIndex<K> {
  /** All indexed subscriptions: seq -> id. */
  readonly members: Hamt<number, K>;
  /** Anchors (key, value): key -> value -> bucket. `eq` filters. */
  readonly byValue: Hamt<string, Hamt<string, Bucket<K>>>;
  /** Anchors (key, any value): key -> bucket. `present`, `substring`, `gt`, `lt` filters. */
  readonly byKey: Hamt<string, Bucket<K>>;
  /** Subscriptions that must be evaluated for every change (no filter, `not`, unindexable). */
  readonly always: Ordered<K>;
}

type Anchor = { readonly key: string; readonly value: string | undefined };

const EMPTY: FilterIndex<unknown> = {
  members: hamtEmpty(),
  byValue: hamtEmpty(),
  byKey: hamtEmpty(),
  always: OrderedMap(),
};

/**
 * The empty index.
 *
 * @example
 * indexSize(emptyFilterIndex<string>()); // 0
 */
export const emptyFilterIndex = <K>(): FilterIndex<K> => EMPTY as FilterIndex<K>;

/** Anchors are compared by score: value-only anchor sets first, then smaller sets. */
const score = (anchors: readonly Anchor[]): number =>
  (anchors.some((a) => a.value === undefined) ? 1e9 : 0) + anchors.length;

/**
 * The anchors of a filter: a set of (key, value) / (key, any) such that every props map matched by
 * the filter contains at least one of them; `undefined` if there is no such finite set.
 */
const anchorsOf = (f: Filter): readonly Anchor[] | undefined => {
  switch (f.op) {
    case 'eq':
      // §6.3: Equal matches only if some value's string form is exactly `value`
      return [{ key: f.key, value: f.value }];
    case 'present':
    case 'substring':
    case 'gt':
    case 'lt':
      // §6.3: these match only if key `k` has at least one value
      return [{ key: f.key, value: undefined }];
    case 'not':
      return undefined;
    case 'and': {
      // every operand must match, so the anchors of any single operand will do: take the best one
      let best: readonly Anchor[] | undefined;
      for (const g of f.operands) {
        const a = anchorsOf(g);
        if (a !== undefined && (best === undefined || score(a) < score(best))) best = a;
      }
      return best;
    }
    case 'or': {
      // some operand must match, so we need the anchors of all of them
      const keys = new Set<string>();
      const values = new Map<string, Set<string>>();
      for (const g of f.operands) {
        const a = anchorsOf(g);
        if (a === undefined) return undefined;
        for (const { key, value } of a) {
          if (value === undefined) keys.add(key);
          else {
            const vs = values.get(key) ?? new Set<string>();
            vs.add(value);
            values.set(key, vs);
          }
        }
      }
      const out: Anchor[] = [...keys].map((key) => ({ key, value: undefined }));
      // a (key, any) anchor subsumes every (key, value) anchor of the same key
      for (const [key, vs] of values) if (!keys.has(key)) for (const value of vs) out.push({ key, value });
      return out;
    }
  }
};

const anchorsOrAlways = (filter: Filter | undefined): readonly Anchor[] | undefined =>
  filter === undefined ? undefined : anchorsOf(filter);

/**
 * Add subscription `id` with creation order number `seq` (unique, increasing) and optional filter
 * (`undefined` = match everything). Adding a `seq` that is already indexed returns `ix` unchanged.
 *
 * @example
 * const ix = indexAdd(emptyFilterIndex<bigint>(), 1n, 0, undefined); // matches everything
 * indexSize(ix); // 1
 */
export function indexAdd<K>(ix: FilterIndex<K>, id: K, seq: number, filter: Filter | undefined): FilterIndex<K> {
  if (hamtHas(ix.members, seq)) return ix;
  const members = hamtSet(ix.members, seq, id);
  const anchors = anchorsOrAlways(filter);
  if (anchors === undefined) return { ...ix, members, always: ix.always.set(seq, id) };
  let { byValue, byKey } = ix;
  for (const { key, value } of anchors) {
    if (value === undefined) {
      byKey = hamtSet(byKey, key, bucketAdd(hamtGet(byKey, key), seq, id));
    } else {
      const inner = hamtGet(byValue, key) ?? hamtEmpty<string, Bucket<K>>();
      byValue = hamtSet(byValue, key, hamtSet(inner, value, bucketAdd(hamtGet(inner, value), seq, id)));
    }
  }
  return { members, byValue, byKey, always: ix.always };
}

/**
 * Remove subscription (`id`, `seq`), which must have been added with the same `filter`. Removing a
 * subscription that is not indexed returns `ix` unchanged.
 *
 * @example
 * const f: Filter = { op: 'present', key: 'name' };
 * const ix = indexAdd(emptyFilterIndex<bigint>(), 1n, 0, f);
 * indexSize(indexRemove(ix, 1n, 0, f)); // 0
 */
export function indexRemove<K>(ix: FilterIndex<K>, id: K, seq: number, filter: Filter | undefined): FilterIndex<K> {
  if (hamtGet(ix.members, seq) !== id) return ix;
  const members = hamtDelete(ix.members, seq);
  const anchors = anchorsOrAlways(filter);
  if (anchors === undefined) return { ...ix, members, always: ix.always.delete(seq) };
  let { byValue, byKey } = ix;
  for (const { key, value } of anchors) {
    if (value === undefined) {
      const bucket = hamtGet(byKey, key);
      if (bucket === undefined) continue;
      const rest = bucketDelete(bucket, seq);
      // drop empty buckets so the index does not grow with churn
      byKey = rest === undefined ? hamtDelete(byKey, key) : hamtSet(byKey, key, rest);
    } else {
      const inner = hamtGet(byValue, key);
      const bucket = inner === undefined ? undefined : hamtGet(inner, value);
      if (inner === undefined || bucket === undefined) continue;
      const rest = bucketDelete(bucket, seq);
      const innerRest = rest === undefined ? hamtDelete(inner, value) : hamtSet(inner, value, rest);
      byValue = innerRest.size === 0 ? hamtDelete(byValue, key) : hamtSet(byValue, key, innerRest);
    }
  }
  return { members, byValue, byKey, always: ix.always };
}

/**
 * The index of `subs`, each its own id, added in the order given (their `seq` order, so that every bucket lists them
 * as adding them one by one over time does): a snapshot's index, or what is left when most of it goes at once.
 *
 * @example
 * indexSize(indexFrom([{ seq: 0, filter: undefined }, { seq: 1, filter: undefined }])); // 2
 */
export function indexFrom<K extends { readonly seq: number; readonly filter: Filter | undefined }>(
  subs: Iterable<K>,
): FilterIndex<K> {
  let ix = emptyFilterIndex<K>();
  for (const s of subs) ix = indexAdd(ix, s, s.seq, s.filter);
  return ix;
}

/**
 * {@link indexRemove} of each of `subs` in turn: the index it returns is the one the removals one by one would return.
 * Inside a reducer call's transient edit (../util/hamt.ts) the tries' nodes it created are changed in place, and a
 * bucket of several subscriptions is edited as one transient immutable.js map (`asMutable`) rather than copied at every
 * removal: a connection closing with many subscriptions removes them a slice per event (lib/state/work.ts, issue 12).
 *
 * @example
 * const f: Filter = { op: 'eq', key: 'name', value: 'foo' };
 * let ix = indexAdd(indexAdd(emptyFilterIndex<bigint>(), 1n, 0, f), 2n, 1, undefined);
 * indexSize(indexRemoveAll(ix, [{ id: 1n, seq: 0, filter: f }, { id: 2n, seq: 1, filter: undefined }])); // 0
 */
export function indexRemoveAll<K>(
  ix: FilterIndex<K>,
  subs: ReadonlyArray<{ readonly id: K; readonly seq: number; readonly filter: Filter | undefined }>,
): FilterIndex<K> {
  if (subs.length <= 1) return subs.length === 0 ? ix : indexRemove(ix, subs[0]!.id, subs[0]!.seq, subs[0]!.filter);
  let { members, byKey, byValue } = ix;
  let always: Ordered<K> | undefined;
  // buckets of several subscriptions edited: their transient copies, and where each is (a key, and a value for byValue)
  const edited = new Set<Ordered<K>>();
  const places: Array<readonly [string, string | undefined]> = [];
  const bucketDel = (b: Bucket<K>, seq: number, key: string, value: string | undefined): Bucket<K> | undefined => {
    if (b instanceof Single) return b.seq === seq ? undefined : b;
    let m = b;
    if (!edited.has(m)) {
      m = b.asMutable();
      edited.add(m);
      places.push([key, value]);
    }
    m.delete(seq);
    return m.size === 0 ? undefined : m;
  };
  for (const { id, seq, filter } of subs) {
    if (hamtGet(members, seq) !== id) continue;
    members = hamtDelete(members, seq);
    const anchors = anchorsOrAlways(filter);
    if (anchors === undefined) {
      always ??= ix.always.asMutable();
      always.delete(seq);
      continue;
    }
    for (const { key, value } of anchors) {
      if (value === undefined) {
        const bucket = hamtGet(byKey, key);
        if (bucket === undefined) continue;
        const rest = bucketDel(bucket, seq, key, undefined);
        if (rest === undefined) byKey = hamtDelete(byKey, key);
        else if (rest !== bucket) byKey = hamtSet(byKey, key, rest);
      } else {
        const inner = hamtGet(byValue, key);
        const bucket = inner === undefined ? undefined : hamtGet(inner, value);
        if (inner === undefined || bucket === undefined) continue;
        const rest = bucketDel(bucket, seq, key, value);
        if (rest === bucket) continue;
        const innerRest = rest === undefined ? hamtDelete(inner, value) : hamtSet(inner, value, rest);
        byValue = innerRest.size === 0 ? hamtDelete(byValue, key) : hamtSet(byValue, key, innerRest);
      }
    }
  }
  // a bucket left with one subscription is a Single, as after removals one by one; the others persistent again
  const settled = (b: Ordered<K>): Bucket<K> => {
    if (b.size > 1) return b.asImmutable();
    const [only] = b.entries();
    return new Single(only![0], only![1]);
  };
  for (const [key, value] of places) {
    if (value === undefined) {
      const b = hamtGet(byKey, key);
      if (b !== undefined && !(b instanceof Single) && edited.has(b)) byKey = hamtSet(byKey, key, settled(b));
    } else {
      const inner = hamtGet(byValue, key);
      const b = inner === undefined ? undefined : hamtGet(inner, value);
      if (b !== undefined && !(b instanceof Single) && edited.has(b))
        byValue = hamtSet(byValue, key, hamtSet(inner!, value, settled(b)));
    }
  }
  return { members, byValue, byKey, always: always === undefined ? ix.always : always.asImmutable() };
}

/**
 * The buckets found for one {@link indexCandidates} call, `found[0, nFound)`, each at most once (compared by
 * reference: a change finds a few buckets). Module scratch, no `Set` per change; counted, not emptied (setting an
 * array's length is a call into the engine).
 */
const found: Array<Bucket<unknown> | undefined> = [];
let nFound = 0;
const addBucket = (b: Bucket<unknown>): void => {
  for (let i = 0; i < nFound; i++) if (found[i] === b) return;
  found[nFound++] = b;
};

/** The index being looked up by {@link collectValue} (set for one {@link collectBuckets} call). */
let lookup: FilterIndex<unknown> = EMPTY;
/** The `byValue` anchors of the key whose values {@link collectValue} is being given. */
let valuesOfKey: Hamt<string, Bucket<unknown>> | undefined;

const collectValue = (key: string, v: PropValue, first: boolean): void => {
  if (first) {
    const keyBucket = hamtGet(lookup.byKey, key);
    if (keyBucket !== undefined) addBucket(keyBucket);
    valuesOfKey = hamtGet(lookup.byValue, key);
  }
  if (valuesOfKey === undefined) return;
  // §6.3: integers are compared through their decimal string
  const bucket = hamtGet(valuesOfKey, typeof v === 'string' ? v : v.toString());
  if (bucket !== undefined) addBucket(bucket);
};

/** Add the buckets whose anchors occur in `props` to {@link found} (a key without values, §3.2, has none). */
const collectBuckets = <K>(ix: FilterIndex<K>, props: Props): void => {
  if (ix.byKey.size === 0 && ix.byValue.size === 0) return;
  lookup = ix;
  forEachPropValue(props, collectValue);
  lookup = EMPTY;
  valuesOfKey = undefined;
  valuesOfKey = undefined;
};

/**
 * The candidates of a single bucket of at least {@link CACHE_FROM} subscriptions, by bucket, with the members they were
 * checked against: the changes of a publisher fanned out to the same match-all subscribers find the same bucket
 * change after change (the index is persistent: an unchanged bucket is the same object), and their candidates are
 * then one lookup, not a walk, a map, a sort and an array per change. Smaller buckets (one subscription per name) are
 * cheaper to walk than to remember.
 */
const bucketCache = new WeakMap<object, { readonly members: object; readonly ids: readonly unknown[] }>();
const CACHE_FROM = 8;

/** The live ids of one bucket, sorted by seq (see {@link indexCandidates}); the array may be shared: never mutated. */
const bucketCandidates = <K>(ix: FilterIndex<K>, bucket: Bucket<K>): readonly K[] => {
  // membership check: a caller that removed with a different filter must not resurrect the id
  if (bucket instanceof Single) return hamtHas(ix.members, bucket.seq) ? [bucket.id] : [];
  const cache = bucket.size >= CACHE_FROM;
  if (cache) {
    const hit = bucketCache.get(bucket);
    if (hit !== undefined && hit.members === ix.members) return hit.ids as readonly K[];
  }
  const seqs: number[] = [];
  const ids: K[] = [];
  let sorted = true;
  bucket.forEach((id, seq) => {
    if (!hamtHas(ix.members, seq)) return;
    if (seqs.length > 0 && seq < seqs[seqs.length - 1]!) sorted = false;
    seqs.push(seq);
    ids.push(id);
  });
  let out: readonly K[] = ids;
  if (!sorted) {
    const order = seqs.map((_, i) => i).sort((x, y) => seqs[x]! - seqs[y]!);
    out = order.map((i) => ids[i]!);
  }
  if (cache) bucketCache.set(bucket, { members: ix.members, ids: out });
  return out;
};

/**
 * Ids of all subscriptions that might match `a` or `b` (b optional), deduplicated, sorted by seq
 * ascending. A superset of the true matches; callers evaluate `matchFilter`. The cost is proportional
 * to the number of properties plus the number of candidates, not to the number of subscriptions. The array may be
 * shared between calls (a large single bucket's candidates are kept): never mutate it.
 *
 * @example
 * const ix = indexAdd(emptyFilterIndex<bigint>(), 7n, 0, { op: 'eq', key: 'name', value: 'foo' });
 * indexCandidates(ix, new Map([['name', ['bar']]]), new Map([['name', ['foo']]])); // [7n]
 */
export function indexCandidates<K>(ix: FilterIndex<K>, a: Props, b?: Props): readonly K[] {
  nFound = 0;
  if (ix.members.size === 0) return NO_IDS as readonly K[];
  if (ix.always.size > 0) addBucket(ix.always);
  collectBuckets(ix, a);
  if (b !== undefined) collectBuckets(ix, b);
  if (nFound === 0) return NO_IDS as readonly K[];
  const out =
    nFound === 1
      ? bucketCandidates(ix, found[0] as Bucket<K>)
      : ((nFound <= SMALL ? smallUnion(ix) : largeUnion(ix)) as readonly K[]);
  // the scratch keeps no bucket alive (nor, through the candidates cache, an index's members): an idle server after
  // a storm of subscribers would keep their buckets until the next look-up
  for (let i = 0; i < nFound; i++) found[i] = undefined;
  return out;
}

const NO_IDS: readonly unknown[] = Object.freeze([]);

/** Up to this many buckets of one subscription each, their union is sorted by insertion (no map, no sort). */
const SMALL = 8;
/** Seqs and ids of {@link smallUnion}'s result so far, sorted by seq (module scratch, counted as {@link found}). */
const unionSeqs: number[] = [];
const unionIds: unknown[] = [];

/** The union of {@link found}'s buckets when they are few, sorted by seq; {@link largeUnion} if one is not a `Single`. */
const smallUnion = (ix: FilterIndex<unknown>): readonly unknown[] => {
  for (let i = 0; i < nFound; i++) if (!(found[i] instanceof Single)) return largeUnion(ix);
  let m = 0;
  for (let i = 0; i < nFound; i++) {
    const { seq, id } = found[i] as Single<unknown>;
    // membership check: a caller that removed with a different filter must not resurrect the id
    if (!hamtHas(ix.members, seq)) continue;
    let j = m;
    while (j > 0 && unionSeqs[j - 1]! > seq) j--;
    if (j > 0 && unionSeqs[j - 1] === seq) continue; // (two anchors of one subscription)
    for (let k = m; k > j; k--) {
      unionIds[k] = unionIds[k - 1];
      unionSeqs[k] = unionSeqs[k - 1]!;
    }
    unionIds[j] = id;
    unionSeqs[j] = seq;
    m++;
  }
  // an array of its own, of its exact size (one grown by `push` is allocated for 17 elements)
  return m === 0 ? NO_IDS : unionIds.slice(0, m);
};

/** The union of {@link found}'s buckets, deduplicated, sorted by seq. */
const largeUnion = (ix: FilterIndex<unknown>): readonly unknown[] => {
  const seqs: number[] = [];
  const ids = new Map<number, unknown>();
  for (let i = 0; i < nFound; i++) {
    bucketForEach(found[i]!, (id, seq) => {
      // membership check: a caller that removed with a different filter must not resurrect the id
      if (!ids.has(seq) && hamtHas(ix.members, seq)) {
        ids.set(seq, id);
        seqs.push(seq);
      }
    });
  }
  // buckets are (normally) already in seq order, which makes this sort a cheap run merge
  seqs.sort((x, y) => x - y);
  return seqs.map((seq) => ids.get(seq));
};

/**
 * Number of subscriptions in the index.
 *
 * @example
 * indexSize(indexAdd(emptyFilterIndex<number>(), 5, 0, undefined)); // 1
 */
export function indexSize<K>(ix: FilterIndex<K>): number {
  return ix.members.size;
}

/**
 * A persistent (immutable) index of the services' properties: key -> value (string form, §6.3) -> the ids of the
 * services having that value. It lets a `subscribe` find the candidates of its initial listing (§5.4) without
 * walking the whole directory (issue 12): the reverse of ../filter/filter-index.ts, which indexes the filters.
 *
 * Every update returns a new value and leaves the old one valid, so a listing keeps the index as it was at request
 * time. Memory: keys and string values are the props' own strings (never copied); a value held by one service (the
 * common case for names) stores that service's id directly, a set only when shared, and a value shared by very many
 * services (a common `color`) only their count.
 *
 * @example
 * let ix = emptyServiceIndex();
 * ix = serviceIndexUpdate(ix, 7n, undefined, new Map([['name', ['foo']]]));
 * serviceCandidates(ix, { op: 'eq', key: 'name', value: 'foo' }, 100); // Set {7n}
 */
import type { Filter } from '../filter/ast';
import type { PropValue, Props } from '../filter/props';
import {
  type Hamt,
  hamtDelete,
  hamtEmpty,
  hamtFirstKey,
  hamtForEach,
  hamtGet,
  hamtOf,
  hamtSet,
  hamtUpdate,
} from '../util/hamt';

/** A service id (`ServiceId` of ./model.ts, which imports this module). */
type ServiceId = bigint;

/**
 * The services with one value: a single id, a set of two or more, or, once more than {@link SATURATED} services
 * shared the value, only their count (such a value is useless as an anchor: a listing through it would cost more
 * than the full walk, see `INDEX_LIMIT` in ./work.ts; it stays a count until no service has it).
 */
type Bucket = ServiceId | Hamt<ServiceId, true> | number;

/** The size above which a bucket keeps a count instead of the ids. */
export const SATURATED = 2048;

/**
 * key -> value -> bucket. Treat as opaque. The values of a key (one per service for a name) are a lean trie
 * (../util/hamt.ts: about 30 bytes an entry where an immutable.js Map takes about 140), as are the ids of a shared value
 * and the keys.
 */
export type ServiceIndex = Hamt<string, Hamt<string, Bucket>>;

const EMPTY: ServiceIndex = hamtEmpty();

/** The empty index. */
export const emptyServiceIndex = (): ServiceIndex => EMPTY;

/** §6.3: integers are compared through their decimal string. */
const str = (v: PropValue): string => (typeof v === 'string' ? v : v.toString());

/** How many candidates a bucket gives: a saturated one cannot give its ids (Infinity). */
const bucketSize = (b: Bucket | undefined): number =>
  b === undefined ? 0 : typeof b === 'bigint' ? 1 : typeof b === 'number' ? Infinity : b.size;

const bucketAdd = (b: Bucket | undefined, id: ServiceId): Bucket => {
  if (b === undefined) return id;
  if (typeof b === 'bigint') return b === id ? b : hamtSet(hamtSet(hamtEmpty<ServiceId, true>(), b, true), id, true);
  if (typeof b === 'number') return b + 1;
  return b.size >= SATURATED ? b.size + 1 : hamtSet(b, id, true);
};

/** `b` holds `id`: the caller removes what it indexed (the service's props before the change). */
const bucketDelete = (b: Bucket, id: ServiceId): Bucket | undefined => {
  if (typeof b === 'bigint') return undefined;
  if (typeof b === 'number') return b === 1 ? undefined : b - 1;
  const rest = hamtDelete(b, id);
  return rest.size === 1 ? hamtFirstKey(rest)! : rest;
};

/**
 * The operands of the update in progress, read by the functions below: `hamtUpdate` calls its function exactly once
 * and at once, so the nested updates (key -> value -> bucket) walk each trie once without a closure per call.
 */
let opId: ServiceId = 0n;
let opValue = '';

const addToBucket = (b: Bucket | undefined): Bucket => bucketAdd(b, opId);
const addToValues = (inner: Hamt<string, Bucket> | undefined): Hamt<string, Bucket> =>
  hamtUpdate(inner ?? hamtEmpty<string, Bucket>(), opValue, addToBucket);
// the pair is there: the caller removes what it indexed (the service's props before the change)
const removeFromBucket = (b: Bucket | undefined): Bucket | undefined => bucketDelete(b!, opId);
const removeFromValues = (inner: Hamt<string, Bucket> | undefined): Hamt<string, Bucket> | undefined => {
  const rest = hamtUpdate(inner!, opValue, removeFromBucket);
  return rest.size === 0 ? undefined : rest; // drop empty maps so the index does not grow with churn
};

const add = (ix: ServiceIndex, id: ServiceId, key: string, value: string): ServiceIndex => {
  opId = id;
  opValue = value;
  return hamtUpdate(ix, key, addToValues);
};

const remove = (ix: ServiceIndex, id: ServiceId, key: string, value: string): ServiceIndex => {
  opId = id;
  opValue = value;
  return hamtUpdate(ix, key, removeFromValues);
};

/** Whether an earlier value of `values` than index `i` has the string form `s` (a string and an integer may). */
const seenBefore = (values: readonly PropValue[], i: number, s: string): boolean => {
  for (let j = 0; j < i; j++) if (str(values[j]!) === s) return true;
  return false;
};

/** For a list of `n` values, the set {@link firstOfForm} deduplicates through (a long list; pairwise below 9). */
const formsSeen = (n: number): Set<string> | undefined => (n > 8 ? new Set<string>() : undefined);

/** Whether `s`, the string form of `values[i]`, is the first value of that form in `values` (`seen`: see {@link formsSeen}). */
const firstOfForm = (values: readonly PropValue[], i: number, s: string, seen: Set<string> | undefined): boolean => {
  if (seen === undefined) return i === 0 || !seenBefore(values, i, s);
  if (seen.has(s)) return false;
  seen.add(s);
  return true;
};

/** Whether `values` has a value of string form `s`. */
const hasForm = (values: readonly PropValue[] | undefined, s: string): boolean => {
  if (values === undefined) return false;
  for (const v of values) if (str(v) === s) return true;
  return false;
};

/** Add (`into`) or remove the distinct string forms of `values` not in `other`'s values of the same key. */
const apply = (
  ix: ServiceIndex,
  id: ServiceId,
  key: string,
  values: readonly PropValue[],
  other: readonly PropValue[] | undefined,
  into: boolean,
): ServiceIndex => {
  let out = ix;
  const n = values.length;
  const seen = formsSeen(n);
  const others = other !== undefined && other.length > 8 ? new Set(other.map(str)) : undefined;
  for (let i = 0; i < n; i++) {
    const s = str(values[i]!);
    if (!firstOfForm(values, i, s, seen)) continue;
    if (others !== undefined ? others.has(s) : hasForm(other, s)) continue;
    out = into ? add(out, id, key, s) : remove(out, id, key, s);
  }
  return out;
};

/**
 * The index after service `id` changed its properties from `before` to `after` (`undefined`: absent). Pairs in
 * both are left alone, so a modify that keeps the props costs a comparison only.
 */
export const serviceIndexUpdate = (
  ix: ServiceIndex,
  id: ServiceId,
  before: Props | undefined,
  after: Props | undefined,
): ServiceIndex => {
  if (before === after) return ix;
  let out = ix;
  if (before !== undefined)
    before.forEach((values, key) => {
      const kept = after?.get(key);
      if (kept !== values) out = apply(out, id, key, values, kept, false);
    });
  if (after !== undefined)
    after.forEach((values, key) => {
      const had = before?.get(key);
      if (had !== values) out = apply(out, id, key, values, had, true);
    });
  return out;
};

/**
 * The index of `services` at once (a snapshot's directory, lib/replay/state-codec.ts): what their updates one by one
 * from the empty index give (the distinct string forms of each key's values; a value shared by more than
 * {@link SATURATED} services as its count), each trie built in one pass instead of 2 path copies per service and key.
 */
export const serviceIndexOf = (services: Iterable<{ readonly id: ServiceId; readonly props: Props }>): ServiceIndex => {
  const keys = new Map<string, Map<string, ServiceId[]>>();
  for (const { id, props } of services)
    props.forEach((values, key) => {
      const n = values.length;
      const seen = formsSeen(n);
      for (let i = 0; i < n; i++) {
        const s = str(values[i]!);
        if (!firstOfForm(values, i, s, seen)) continue;
        let forms = keys.get(key);
        if (forms === undefined) keys.set(key, (forms = new Map<string, ServiceId[]>()));
        const ids = forms.get(s);
        if (ids === undefined) forms.set(s, [id]);
        else ids.push(id);
      }
    });
  const bucket = (ids: ServiceId[]): Bucket =>
    ids.length === 1
      ? ids[0]!
      : ids.length > SATURATED
        ? ids.length
        : hamtOf(
            ids,
            ids.map(() => true as const),
          );
  return hamtOf(
    [...keys.keys()],
    [...keys.values()].map((forms) => hamtOf([...forms.keys()], [...forms.values()].map(bucket))),
  );
};

const bucketOf = (ix: ServiceIndex, key: string, value: string): Bucket | undefined => {
  const inner = hamtGet(ix, key);
  return inner === undefined ? undefined : hamtGet(inner, value);
};

type Anchors = ReadonlyArray<readonly [string, string]>;

const anchorsSize = (ix: ServiceIndex, a: Anchors): number => {
  let n = 0;
  for (const [k, v] of a) n += bucketSize(bucketOf(ix, k, v));
  return n;
};

/**
 * (key, value) pairs such that every service matching `f` has at least one of them; `undefined` when there is no
 * such set (presence, substring, ordering, negation: those need the full walk).
 */
const anchorsOf = (ix: ServiceIndex, f: Filter): Anchors | undefined => {
  switch (f.op) {
    case 'eq':
      return [[f.key, f.value]];
    case 'and': {
      // every operand must match: the operand with the fewest candidates will do
      let best: Anchors | undefined;
      let bestSize = Infinity;
      for (const g of f.operands) {
        const a = anchorsOf(ix, g);
        if (a === undefined) continue;
        const n = anchorsSize(ix, a);
        if (n < bestSize) [best, bestSize] = [a, n];
      }
      return best;
    }
    case 'or': {
      // some operand must match: all of their anchors are needed
      const out: Array<readonly [string, string]> = [];
      for (const g of f.operands) {
        const a = anchorsOf(ix, g);
        if (a === undefined) return undefined;
        out.push(...a);
      }
      return out;
    }
    default:
      return undefined;
  }
};

/**
 * The ids of the services that may match `f` (a superset of the matches, unordered), or `undefined` when the index
 * cannot narrow the search or the candidates would be more than `limit` (then a full walk is the better plan; a
 * saturated value always counts as more).
 */
export const serviceCandidates = (
  ix: ServiceIndex,
  f: Filter | undefined,
  limit: number,
): ReadonlySet<ServiceId> | undefined => {
  if (f === undefined) return undefined;
  const anchors = anchorsOf(ix, f);
  if (anchors === undefined) return undefined;
  // each anchor's bucket looked up once (a subscribe of one name: two trie walks in all)
  const buckets: Bucket[] = [];
  let n = 0;
  for (const [k, v] of anchors) {
    const b = bucketOf(ix, k, v);
    if (b === undefined) continue;
    n += bucketSize(b);
    buckets.push(b);
  }
  if (n > limit) return undefined;
  const out = new Set<ServiceId>();
  for (const b of buckets) {
    if (typeof b === 'bigint') out.add(b);
    else if (typeof b !== 'number') hamtForEach(b, (_, id) => void out.add(id));
  }
  return out;
};

/**
 * The whole index as plain data, keys and values sorted, each bucket as its sorted ids or (saturated) its count:
 * for checks and state comparisons (two equal indexes built in different orders give the same).
 */
export const serviceIndexEntries = (ix: ServiceIndex): Array<[string, Array<[string, ServiceId[] | number]>]> => {
  const byText = <T>(a: [string, T], b: [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const out: Array<[string, Array<[string, ServiceId[] | number]>]> = [];
  hamtForEach(ix, (inner, key) => {
    const values: Array<[string, ServiceId[] | number]> = [];
    hamtForEach(inner, (b, value) => {
      const ids: ServiceId[] | number = typeof b === 'number' ? b : typeof b === 'bigint' ? [b] : [];
      if (typeof b === 'object') hamtForEach(b, (_, id) => void (ids as ServiceId[]).push(id));
      if (Array.isArray(ids)) ids.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      values.push([value, ids]);
    });
    out.push([key, values.sort(byText)]);
  });
  return out.sort(byText);
};

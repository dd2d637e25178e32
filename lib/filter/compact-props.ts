/**
 * A service's properties as the directory keeps them (issue 12, memory per service): a {@link Props} that takes
 * 64 bytes for up to three keys where a `Map` takes about 184 (its hash table is allocated for four entries even
 * when it holds one), and no list for a key with a single value (a list is 56 bytes; a name is unique to its
 * service, so its list is not shared with others).
 *
 * The key sequence is shared: services published with the same keys in the same order (the common case: every
 * instance of a service type has the same props) point to one frozen key list, found through a bounded cache (cleared
 * when full, like the codec's value lists, so no table of ours grows with the keys clients send). The first three
 * values sit in the record's own fields (a single value as it is, its one-element list made when read), any further
 * ones in one array. Lookups compare the key with each key
 * in turn, which for the few keys a service has is as fast as hashing.
 *
 * Read it through the `ReadonlyMap` interface only; `Map` methods such as `set` do not exist.
 *
 * @example
 * const p = compactProps(new Map([['name', ['foo']], ['port', [4711n]]]));
 * p.get('port'); // [4711n]
 * [...p.keys()]; // ['name', 'port']
 */
import type { PropValue, Props } from './props';

type Values = readonly PropValue[];

/** Key sequences recently seen, by their keys joined with NUL (a key is a JSON string and may hold anything). */
const shapes = new Map<string, readonly string[]>();
const SHAPES = 1024;

/** The key sequence returned last: a run of publishes with the same keys finds it without a look-up. */
let lastShape: readonly string[] = [];

const shapeOf = (keys: string[]): readonly string[] => {
  const last = lastShape;
  if (last.length === keys.length) {
    let i = 0;
    while (i < keys.length && last[i] === keys[i]) i++;
    if (i === keys.length) return last;
  }
  return (lastShape = lookUpShape(keys));
};

const lookUpShape = (keys: string[]): readonly string[] => {
  const id = keys.length === 1 ? keys[0]! : keys.join('\u0000');
  let shape = shapes.get(id);
  if (shape === undefined || shape.length !== keys.length || shape.some((k, i) => k !== keys[i])) {
    if (shapes.size >= SHAPES) shapes.clear();
    shape = Object.freeze(keys);
    shapes.set(id, shape);
  }
  return shape;
};

/** A key's values as kept: a single value as it is (no array of its own), several as their list. */
export type Slot = PropValue | Values;

const slotOf = (vs: Values): Slot => (vs.length === 1 ? vs[0]! : vs);
/** The list of a slot: a single value's list is made when asked for (a few ns; no service keeps it). */
const listOf = (s: Slot): Values => (typeof s === 'object' ? s : [s]);

/** {@link Props} in a shared key list and four fields. Build with {@link compactProps}. */
export class CompactProps implements ReadonlyMap<string, Values> {
  /** The keys, in order; shared with other records of the same key sequence. */
  private readonly k: readonly string[];
  private readonly v0: Slot;
  private readonly v1: Slot;
  private readonly v2: Slot;
  /** Value lists of the fourth key on, or `undefined` (the common case). */
  private readonly more: readonly Slot[] | undefined;

  private constructor(keys: readonly string[], slots: readonly Slot[]) {
    this.k = keys;
    this.v0 = slots.length > 0 ? slots[0]! : '';
    this.v1 = slots.length > 1 ? slots[1]! : '';
    this.v2 = slots.length > 2 ? slots[2]! : '';
    this.more = slots.length > 3 ? Object.freeze(slots.slice(3)) : undefined;
  }

  /** The compact form of `p` (`p` itself when it is one already). */
  static of(p: Props): CompactProps {
    if (p instanceof CompactProps) return p;
    // no entry arrays of an iterator (the keys stay a packed array: a new sequence is kept as the shared one)
    const keys: string[] = [];
    const slots: Slot[] = [];
    p.forEach((vs, k) => {
      keys.push(k);
      slots.push(slotOf(vs));
    });
    return new CompactProps(shapeOf(keys), slots);
  }

  /**
   * The props with `keys[i]` holding `slots[i]`: a single value as it is, two or more as their frozen list (distinct
   * keys, no key without values; the decoder's, which builds no map first). Takes both arrays.
   */
  static ofSlots(keys: string[], slots: readonly Slot[]): CompactProps {
    return new CompactProps(shapeOf(keys), slots);
  }

  get size(): number {
    return this.k.length;
  }

  private at(i: number): Values {
    return listOf(i === 0 ? this.v0 : i === 1 ? this.v1 : i === 2 ? this.v2 : this.more![i - 3]!);
  }

  get(key: string): Values | undefined {
    const i = this.k.indexOf(key);
    return i < 0 ? undefined : this.at(i);
  }

  /** The values of `key` as kept: a single value as it is (no list made), several as their list. */
  slot(key: string): PropValue | Values | undefined {
    const i = this.k.indexOf(key);
    return i < 0 ? undefined : i === 0 ? this.v0 : i === 1 ? this.v1 : i === 2 ? this.v2 : this.more![i - 3]!;
  }

  has(key: string): boolean {
    return this.k.includes(key);
  }

  forEach(fn: (value: Values, key: string, map: ReadonlyMap<string, Values>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.k.length; i++) fn.call(thisArg, this.at(i), this.k[i]!, this);
  }

  *entries(): MapIterator<[string, Values]> {
    for (let i = 0; i < this.k.length; i++) yield [this.k[i]!, this.at(i)];
  }

  *keys(): MapIterator<string> {
    yield* this.k;
  }

  *values(): MapIterator<Values> {
    for (let i = 0; i < this.k.length; i++) yield this.at(i);
  }

  [Symbol.iterator](): MapIterator<[string, Values]> {
    return this.entries();
  }

  /** Each (key, value) pair in order, `first` for a key's first value; no list is made for a single value. */
  forEachValue(fn: (key: string, value: PropValue, first: boolean) => void): void {
    for (let i = 0; i < this.k.length; i++) {
      const s = i === 0 ? this.v0 : i === 1 ? this.v1 : i === 2 ? this.v2 : this.more![i - 3]!;
      const key = this.k[i]!;
      if (typeof s !== 'object') fn(key, s, true);
      else for (let j = 0; j < s.length; j++) fn(key, s[j]!, j === 0);
    }
  }

  /**
   * Whether `p` has the same keys in the same order, each with the same values in the same order (what a notification
   * would show), read without an iterator or entry arrays.
   */
  sameAs(p: Props): boolean {
    if (p === this) return true;
    if (p.size !== this.k.length) return false;
    let i = 0;
    let same = true;
    p.forEach((vs, key) => {
      if (!same) return;
      const s = i === 0 ? this.v0 : i === 1 ? this.v1 : i === 2 ? this.v2 : this.more![i - 3]!;
      if (key !== this.k[i]) same = false;
      else if (typeof s !== 'object') same = vs.length === 1 && vs[0] === s;
      else if (s.length !== vs.length) same = false;
      else for (let j = 0; same && j < s.length; j++) same = s[j] === vs[j];
      i++;
    });
    return same;
  }

  /** For `toJson` (../json.ts): the `Map` this stands for, which it writes as an object with the keys in order. */
  toJSON(): ReadonlyMap<string, Values> {
    return new Map(this.entries());
  }
}

/** The compact form of `p`, for a record that keeps it (`p` itself when it is one already). */
export const compactProps = (p: Props): Props => CompactProps.of(p);

/**
 * The values of `key` in `p` without a list made for them: a {@link CompactProps}'s single value as it is, else the
 * list (of any length; an empty one: the key has no values), `undefined` without the key. For a filter's match.
 */
export const propSlot = (p: Props, key: string): PropValue | Values | undefined =>
  p instanceof CompactProps ? p.slot(key) : p.get(key);

/** Whether `u` is a {@link Props}: a `Map` (as the codec decodes) or a {@link CompactProps} (as the directory keeps). */
export const isProps = (u: unknown): u is Props => u instanceof Map || u instanceof CompactProps;

/**
 * Each (key, value) pair of `p` in order, `first` for a key's first value (a key without values has none, §3.2):
 * for lookups by value (../filter/filter-index.ts), without the `[key, values]` entries and the one-element lists
 * that iterating a {@link CompactProps} as a `Map` makes.
 */
export const forEachPropValue = (p: Props, fn: (key: string, value: PropValue, first: boolean) => void): void => {
  if (p instanceof CompactProps) return p.forEachValue(fn);
  p.forEach((vs, key) => {
    for (let j = 0; j < vs.length; j++) fn(key, vs[j]!, j === 0);
  });
};

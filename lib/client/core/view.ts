/**
 * Read-only map snapshots over persistent maps: what `services$` and `membership$` emit. Each snapshot is
 * immutable and costs O(1) to make (it shares structure with the previous one), so emitting the current set after
 * every batch of matches does not copy the set. They implement `ReadonlyMap` (iteration, `get`, `has`, `size`,
 * `forEach`), and `toJSON` gives a plain object keyed by decimal id (what `toJson` writes).
 *
 * @example
 * const view = serviceView(merge); // ReadonlyMap<bigint, Service>
 * view.get(42n)?.props.name;
 */
import type { Map as IMap } from 'immutable';

import type { Service } from '../../model';
import type { Merged } from './merge';

/** A `ReadonlyMap` over a persistent map, with values projected by `value`. */
class PersistentView<K, S, V> implements ReadonlyMap<K, V> {
  constructor(
    private readonly map: IMap<K, S>,
    private readonly value: (s: S) => V,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const s = this.map.get(key);
    return s === undefined ? undefined : this.value(s);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    this.map.forEach((s, k) => {
      callback.call(thisArg, this.value(s), k, this);
    });
  }

  *entries(): MapIterator<[K, V]> {
    for (const [k, s] of this.map) yield [k, this.value(s)];
  }

  *keys(): MapIterator<K> {
    for (const k of this.map.keys()) yield k;
  }

  *values(): MapIterator<V> {
    for (const s of this.map.values()) yield this.value(s);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'ReadonlyMap';
  }

  /** A plain object keyed by the keys' decimal strings (for `toJson`/`JSON.stringify`). */
  toJSON(): Record<string, V> {
    const o: Record<string, V> = {};
    for (const [k, s] of this.map) o[String(k)] = this.value(s);
    return o;
  }
}

const record = (m: Merged): Service => m.record;
const same = <V>(v: V): V => v;

/** The services of a merge as a `ReadonlyMap<bigint, Service>`. */
export const serviceView = (m: IMap<bigint, Merged>): ReadonlyMap<bigint, Service> => new PersistentView(m, record);

/** A persistent map as a `ReadonlyMap`. */
export const mapView = <K, V>(m: IMap<K, V>): ReadonlyMap<K, V> => new PersistentView<K, V, V>(m, same);

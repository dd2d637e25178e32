/**
 * A plain, comparable projection of a whole DomainState for the snapshot specs: every field, bigints told from
 * strings, `undefined` told from absent, ordered collections (OrderedMap, OrderedSet, arrays, JS Maps) in their
 * order, unordered immutable Maps by key (their iteration order depends on their insertion history, and the reducer
 * never depends on it: it sorts wherever order shows, e.g. `clients` listings by handshake order). The two rebuilt
 * structures are projected by what they hold rather than their internal shape: the heaps as their entries in pop
 * order, the filter index as its members by seq and its buckets (bucket contents in their own order), the service
 * index by key, value and sorted ids.
 */
import { isImmutable, isKeyed, isOrdered } from 'immutable';

import type { Effect } from '../../lib/state/effects';
import { encodeMessage } from '../../lib/codec/encode';
import { CompactProps } from '../../lib/filter/compact-props';
import type { FilterIndex } from '../../lib/filter/filter-index';
import { heapEntries } from '../../lib/replay/state-codec';
import { orphanQueueEntries } from '../../lib/state/orphan-queue';
import type { DomainState, Subscription } from '../../lib/state/model';
import { OrderedById } from '../../lib/state/ordered-by-id';
import { OrderedIds } from '../../lib/state/ordered-ids';
import { OrderedSlots } from '../../lib/state/ordered-slots';
import { SlotList } from '../../lib/state/slot-list';
import { type ServiceIndex, serviceIndexEntries } from '../../lib/state/service-index';
import { type Hamt, type HamtKey, hamtEntries } from '../../lib/util/hamt';

const special = (n: number): unknown => (Object.is(n, -0) ? '-0' : Number.isFinite(n) ? n : String(n));

const byText = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** A trie of lib/util/hamt.ts (a plain `{ size, root }` object): compared by its entries, not its nodes. */
const isHamt = (v: object): v is Hamt<HamtKey, unknown> =>
  Object.keys(v).length === 2 && 'size' in v && 'root' in v && Array.isArray(v.root);

export const plain = (v: unknown): unknown => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return special(v);
  if (v === undefined) return '<undefined>';
  if (v === null || typeof v !== 'object') return v;
  if (isImmutable(v)) {
    const it = v as unknown as { entries(): Iterable<[unknown, unknown]>; values(): Iterable<unknown> };
    if (!isKeyed(v)) return [...it.values()].map(plain);
    const entries = [...it.entries()].map(([k, x]) => [plain(k), plain(x)] as const);
    if (!isOrdered(v)) entries.sort(([a], [b]) => byText(a, b));
    return entries;
  }
  if (isHamt(v)) {
    const entries = hamtEntries(v).map(([k, x]) => [plain(k), plain(x)] as const);
    return entries.sort(([a], [b]) => byText(a, b));
  }
  // props as their entries, in whichever form they are kept (a decoded message's Map, the directory's CompactProps)
  if (v instanceof Map || v instanceof CompactProps)
    return ['<Map>', ...[...v.entries()].map(([k, x]) => [plain(k), plain(x)])];
  if (Array.isArray(v)) return v.map(plain);
  // (with their positions, holes and a compaction in progress: the sliced jobs pay for every position they pass)
  if (v instanceof OrderedIds) return ['<OrderedIds>', v.placement(), ...[...v].map(plain)];
  if (v instanceof OrderedById)
    return ['<OrderedById>', v.placement(), ...[...v].map(([k, x]) => [plain(k), plain(x)])];
  if (v instanceof OrderedSlots) {
    const records = [...(v as OrderedSlots<{ readonly id: bigint }>).values()];
    return ['<OrderedSlots>', v.placement(), ...records.map((x) => [plain(x.id), plain(x)])];
  }
  if (v instanceof SlotList) {
    const slots: unknown[] = [];
    for (let p = v.start; p < v.end; p++) slots.push(plain(v.get(p)));
    return ['<SlotList>', v.start, ...slots];
  }
  const o = v as Record<string, unknown>;
  return Object.keys(o)
    .filter((k) => !(k === 'slot' && isService(o)))
    .sort()
    .map((k) => [k, plain(o[k])]);
};

/**
 * A service record (lib/state/model.ts `Service`): its `slot` is a hint of where its record's list holds it, not part
 * of its value (a snapshot does not keep it; a restored record finds its services without it), so it is left out.
 */
const isService = (o: Record<string, unknown>): boolean => 'record' in o && 'props' in o && 'generation' in o;

const sortedKeys = <V>(m: Hamt<string, V>): Array<[string, V]> =>
  hamtEntries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const indexProjection = (ix: FilterIndex<Subscription>): unknown => ({
  members: plain(hamtEntries(ix.members).sort(([a], [b]) => a - b)),
  byValue: sortedKeys(ix.byValue).map(([k, inner]) => [k, sortedKeys(inner).map(([v, b]) => [v, plain(b)])]),
  byKey: sortedKeys(ix.byKey).map(([k, b]) => [k, plain(b)]),
  always: plain(ix.always),
});

/** The service index by key, value and sorted ids (a set's iteration order depends on its insertion history). */
const serviceIndexProjection = (ix: ServiceIndex): unknown => plain(serviceIndexEntries(ix));

/** Everything in the state, as plain data (JSON text). */
export const projectState = (s: DomainState): string => {
  const { subscriptionIndex, serviceIndex, orphanQueue, timerQueue, ...rest } = s;
  return JSON.stringify({
    rest: plain(rest),
    restKeys: Object.keys(s),
    subscriptionIndex: indexProjection(subscriptionIndex),
    serviceIndex: serviceIndexProjection(serviceIndex),
    orphanQueue: plain(orphanQueueEntries(orphanQueue)),
    timerQueue: plain(heapEntries(timerQueue)),
  });
};

/** An effect as comparable text (messages in wire form). */
export const showEffect = (f: Effect): string =>
  f.type === 'send' ? `send ${f.conn} ${encodeMessage(f.msg)}` : JSON.stringify(plain(f));

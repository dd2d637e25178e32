/**
 * The merge of one subscription's matches from several servers of a domain (§13.2), as pure functions over a
 * persistent map (service id → what every source says), so each step costs O(log n) and every version of the
 * map can be handed out as a snapshot.
 *
 * The libpaf rules: a service appears once; a higher generation than the one reported so far is a `modified`, a
 * lower one is ignored (the source still counts as having the service); the service is an orphan only when every
 * source that has it reports it orphaned (or lost its link); it disappears only when no source has it any more —
 * each said `disappeared`, or lost its link and the service's TTL ran out since (client-side orphan timeout,
 * counted from the earlier of the server's orphan-since and the loss).
 *
 * @example
 * const out: Match[] = [];
 * let m = report(EMPTY_MERGE, 'a', service, out); // out: appeared
 * m = lose(m, 'a', 0, 100, out, () => undefined); // out: modified (orphan since 100)
 * m = expire(m, 'a', service.id, (100 + service.ttl) * 1000, out); // out: disappeared
 */
import { Map as IMap } from 'immutable';

import type { Match, Service } from '../../model';

/** What one source (server link) currently says about a service. */
export interface SourceView {
  readonly source: string;
  /** Which connection of the source reported it (a loss concerns the reports of one connection). */
  readonly epoch: number;
  readonly generation: bigint;
  readonly orphanSince?: number;
  /** When (s) this source's link was lost; the report counts until the service's TTL has run out. */
  readonly lostAt?: number;
}

/** The merged knowledge of one service: the record reported (highest generation) and every source's view. */
export interface Merged {
  readonly record: Service;
  readonly sources: readonly SourceView[];
}

/** A subscription's merged services. */
export type MergeMap = IMap<bigint, Merged>;

export const EMPTY_MERGE: MergeMap = IMap();

const sinceOf = (v: SourceView): number | undefined =>
  v.lostAt === undefined ? v.orphanSince : Math.min(v.lostAt, v.orphanSince ?? Infinity);

/** When (ms, whole) a lost source stops counting; undefined while its link is up. */
export const expiryOf = (v: SourceView, ttl: number): number | undefined =>
  v.lostAt === undefined ? undefined : Math.round((sinceOf(v)! + ttl) * 1000);

/** The merged orphan time: undefined as soon as one source has a live owner, else the earliest orphan/loss time. */
export const mergedOrphanSince = (sources: readonly SourceView[]): number | undefined => {
  let since = Infinity;
  for (const v of sources) {
    const t = sinceOf(v);
    if (t === undefined) return undefined;
    if (t < since) since = t;
  }
  return since;
};

const withOrphan = (r: Service, orphanSince: number | undefined): Service => {
  if (r.orphanSince === orphanSince) return r;
  if (orphanSince !== undefined) return { ...r, orphanSince };
  const { orphanSince: _old, ...rest } = r;
  return rest;
};

/** Sources with `source`'s view replaced (or added, or removed when `view` is undefined). */
const setView = (sources: readonly SourceView[], source: string, view: SourceView | undefined): SourceView[] => {
  const rest = sources.filter((v) => v.source !== source);
  if (view !== undefined) rest.push(view);
  return rest;
};

/** Recompute an entry's orphan state (emitting `modified` if it changed) or drop it (emitting `disappeared`). */
const settle = (m: MergeMap, id: bigint, record: Service, sources: readonly SourceView[], out: Match[]): MergeMap => {
  if (sources.length === 0) {
    out.push({ type: 'disappeared', service: record });
    return m.delete(id);
  }
  const next = withOrphan(record, mergedOrphanSince(sources));
  if (next !== record) out.push({ type: 'modified', service: next });
  return m.set(id, { record: next, sources });
};

/** `source` reports `s` (an appeared or modified notification) on its connection `epoch`. */
export const report = (m: MergeMap, source: string, s: Service, out: Match[], epoch = 0): MergeMap => {
  const view: SourceView =
    s.orphanSince === undefined
      ? { source, epoch, generation: s.generation }
      : { source, epoch, generation: s.generation, orphanSince: s.orphanSince };
  const e = m.get(s.id);
  if (e === undefined) {
    out.push({ type: 'appeared', service: s });
    return m.set(s.id, { record: s, sources: [view] });
  }
  const old = e.sources.find((v) => v.source === source);
  const same = (a: Service, b: Service): boolean => a.generation === b.generation && a.clientId === b.clientId;
  if (
    old !== undefined &&
    old.lostAt === undefined &&
    old.epoch === view.epoch &&
    old.generation === view.generation &&
    old.orphanSince === view.orphanSince &&
    (view.generation < e.record.generation || same(s, e.record))
  )
    return m; // nothing new
  const sources = setView(e.sources, source, view);
  const newer =
    s.generation > e.record.generation || (s.generation === e.record.generation && s.clientId !== e.record.clientId);
  if (!newer) return settle(m, s.id, e.record, sources, out);
  const record = withOrphan(s, mergedOrphanSince(sources));
  out.push({ type: 'modified', service: record });
  return m.set(s.id, { record, sources });
};

/** `source` says service `id` disappeared. */
export const gone = (m: MergeMap, source: string, id: bigint, out: Match[]): MergeMap => {
  const e = m.get(id);
  if (e === undefined || !e.sources.some((v) => v.source === source)) return m;
  return settle(m, id, e.record, setView(e.sources, source, undefined), out);
};

/**
 * `source`'s connection `epoch` was lost at `now` (s): its report of service `id` counts until the service's TTL
 * runs out; returns when (ms) that is, or undefined if there was no such report (or it was lost already).
 */
export const loseOne = (
  m: MergeMap,
  source: string,
  epoch: number,
  id: bigint,
  now: number,
  out: Match[],
): { readonly m: MergeMap; readonly expiry?: number } => {
  const e = m.get(id);
  const v = e?.sources.find((x) => x.source === source);
  if (e === undefined || v === undefined || v.epoch !== epoch || v.lostAt !== undefined) return { m };
  const lost: SourceView = { ...v, lostAt: now };
  return { m: settle(m, id, e.record, setView(e.sources, source, lost), out), expiry: expiryOf(lost, e.record.ttl)! };
};

/** {@link loseOne} for every service `source` reported on connection `epoch`; `expireAt` is told the expiries (ms). */
export const lose = (
  m: MergeMap,
  source: string,
  epoch: number,
  now: number,
  out: Match[],
  expireAt: (id: bigint, at: number) => void,
): MergeMap =>
  m.withMutations((w) => {
    for (const id of m.keys()) {
      const r = loseOne(w, source, epoch, id, now, out);
      if (r.expiry !== undefined) expireAt(id, r.expiry);
    }
  });

/** The client-side timeout of a lost source's report of service `id` may have run out at `nowMs` (ms). */
export const expire = (m: MergeMap, source: string, id: bigint, nowMs: number, out: Match[]): MergeMap => {
  const e = m.get(id);
  const v = e?.sources.find((x) => x.source === source);
  if (e === undefined || v === undefined) return m;
  const at = expiryOf(v, e.record.ttl);
  if (at === undefined || at > nowMs) return m;
  return settle(m, id, e.record, setView(e.sources, source, undefined), out);
};

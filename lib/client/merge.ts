/**
 * Merging subscription matches from several servers into one stream (§13.2), as a pure step function.
 *
 * Per service the state keeps every source (server link) that reported it. Lower generations than the highest seen
 * are ignored; `appeared` is reported once; `modified` when a newer generation arrives or when the merged orphan
 * state changes; `disappeared` only once no source has the service any more: each source either said
 * `disappeared`, or its link was lost and the service's TTL has run out since (client-side orphan timeout).
 *
 * @example
 * let s = emptyMerge;
 * ({ state: s } = mergeStep(s, { kind: 'match', source: 'a', match: rec }));          // out: [appeared]
 * ({ state: s } = mergeStep(s, { kind: 'lost', source: 'a', now: 100 }));           // out: [modified (orphan)]
 * const { out } = mergeStep(s, { kind: 'tick', now: 100 + rec.ttl });               // out: [disappeared]
 */
import { Map as IMap } from 'immutable';

import type { Match, ServiceRecord } from './types';

/** What one source currently says about a service. */
export interface SourceView {
  readonly generation: bigint;
  readonly orphanSince?: number;
  /** Client time (s) at which this source's link was lost; the report is kept until its TTL has run out. */
  readonly lostAt?: number;
}

/** The merged knowledge of one service. */
export interface MergedService {
  readonly record: ServiceRecord;
  readonly sources: IMap<string, SourceView>;
}

export type MergeState = IMap<bigint, MergedService>;

/** Inputs of the merge: a server match, a lost source, or the passing of time. */
export type MergeInput =
  | {
      readonly kind: 'match';
      readonly source: string;
      readonly match: { readonly type: 'appeared' | 'modified' } & ServiceRecord;
    }
  | { readonly kind: 'disappeared'; readonly source: string; readonly serviceId: bigint }
  | { readonly kind: 'lost'; readonly source: string; readonly now: number }
  | { readonly kind: 'tick'; readonly now: number };

export interface MergeResult {
  readonly state: MergeState;
  readonly out: readonly Match[];
}

export const emptyMerge: MergeState = IMap();

/** When a source stops counting: lost sources after the TTL, counted from the earlier of orphan-since and loss. */
const expiry = (v: SourceView, ttl: number): number | undefined =>
  v.lostAt === undefined ? undefined : Math.min(v.lostAt, v.orphanSince ?? Infinity) + ttl;

/** Merged orphan state: undefined as soon as one source has a live owner; else the earliest orphan/loss time. */
const mergedOrphanSince = (sources: IMap<string, SourceView>): number | undefined => {
  let since: number | undefined;
  for (const v of sources.values()) {
    const t = v.lostAt === undefined ? v.orphanSince : Math.min(v.lostAt, v.orphanSince ?? Infinity);
    if (t === undefined) return undefined;
    since = since === undefined ? t : Math.min(since, t);
  }
  return since;
};

const withOrphan = (r: ServiceRecord, orphanSince: number | undefined): ServiceRecord => {
  const { orphanSince: _old, ...rest } = r;
  return orphanSince === undefined ? rest : { ...rest, orphanSince };
};

const toMatch = (type: 'appeared' | 'modified', r: ServiceRecord): Match => ({ ...r, type });

/** Recompute the orphan state of an entry; emit `modified` if it changed. */
const refresh = (id: bigint, e: MergedService, out: Match[]): MergedService | undefined => {
  if (e.sources.size === 0) {
    out.push({ type: 'disappeared', serviceId: id });
    return undefined;
  }
  const since = mergedOrphanSince(e.sources);
  if (since === e.record.orphanSince) return e;
  const record = withOrphan(e.record, since);
  out.push(toMatch('modified', record));
  return { ...e, record };
};

const put = (s: MergeState, id: bigint, e: MergedService | undefined): MergeState =>
  e === undefined ? s.delete(id) : s.set(id, e);

const onMatch = (s: MergeState, source: string, m: ServiceRecord, out: Match[]): MergeState => {
  const id = m.serviceId;
  const view: SourceView =
    m.orphanSince === undefined
      ? { generation: m.generation }
      : {
          generation: m.generation,
          orphanSince: m.orphanSince,
        };
  const e = s.get(id);
  if (e === undefined) {
    const record = withOrphan({ ...m }, m.orphanSince);
    out.push(toMatch('appeared', record));
    return s.set(id, { record, sources: IMap([[source, view]]) });
  }
  const sources = e.sources.set(source, view);
  if (m.generation < e.record.generation) return s.set(id, { ...e, sources });
  if (m.generation > e.record.generation || m.clientId !== e.record.clientId) {
    const record = withOrphan({ ...m }, mergedOrphanSince(sources));
    out.push(toMatch('modified', record));
    return s.set(id, { record, sources });
  }
  return put(s, id, refresh(id, { ...e, sources }, out));
};

/** Apply one input; returns the new state and the matches to report, in order. */
export const mergeStep = (s: MergeState, input: MergeInput): MergeResult => {
  const out: Match[] = [];
  switch (input.kind) {
    case 'match': {
      const { type: _type, ...record } = input.match;
      return { state: onMatch(s, input.source, record, out), out };
    }
    case 'disappeared': {
      const e = s.get(input.serviceId);
      if (e === undefined || !e.sources.has(input.source)) return { state: s, out };
      const next = refresh(input.serviceId, { ...e, sources: e.sources.delete(input.source) }, out);
      return { state: put(s, input.serviceId, next), out };
    }
    case 'lost': {
      const state = s.withMutations((m) => {
        for (const [id, e] of s) {
          const v = e.sources.get(input.source);
          if (v === undefined || v.lostAt !== undefined) continue;
          const next = refresh(id, { ...e, sources: e.sources.set(input.source, { ...v, lostAt: input.now }) }, out);
          put(m, id, next);
        }
      });
      return { state, out };
    }
    case 'tick': {
      const state = s.withMutations((m) => {
        for (const [id, e] of s) {
          const sources = e.sources.filter((v) => (expiry(v, e.record.ttl) ?? Infinity) > input.now);
          if (sources.size !== e.sources.size) put(m, id, refresh(id, { ...e, sources }, out));
        }
      });
      return { state, out };
    }
  }
};

/** The earliest time (s) at which a `tick` can change the state, if any. */
export const nextMergeDeadline = (s: MergeState): number | undefined => {
  let next: number | undefined;
  for (const e of s.values())
    for (const v of e.sources.values()) {
      const t = expiry(v, e.record.ttl);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
  return next;
};

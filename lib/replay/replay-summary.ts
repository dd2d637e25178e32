/**
 * The default report of `rxpaf-replay`: per domain, the number of events by type, the directory size (connections,
 * clients, services, subscriptions) at 10 evenly spaced times with the exact peaks, and the service lifecycle
 * counts (published, orphaned, reclaimed, expired, unpublished). Memory stays bounded on huge logs: the size series
 * keeps the first event of each span of `stride` seqs, the stride doubling whenever more than 4096 are kept, so
 * the 10 rows are the nearest kept samples. The kept samples depend only on the seqs of the domain's events, not on
 * how the log was read: summaries of consecutive stretches of a log, built apart (in parallel, ./replay-parallel.ts),
 * merge into the summary of the whole ({@link Summary.merge}).
 *
 * @example
 * const summary = new Summary();
 * replay$(lines$).subscribe({ next: (s) => summary.add(s), complete: () => process.stdout.write(summary.render()) });
 */
import type { DirectoryChange, Effect } from '../state/effects';
import type { DomainState } from '../state/model';
import type { BatchObserver, ReplayStep } from './replay-core';
import { isoTime, table } from './replay-directory';
import { subscriptionCount } from '../state/selectors';

/** How a directory change reads in a service's history. */
export type ChangeKind = 'published' | 'modified' | 'orphaned' | 'reclaimed' | 'expired' | 'unpublished';

export const classifyChange = (c: DirectoryChange): ChangeKind => {
  if (c.kind === 'added') return 'published';
  if (c.kind === 'removed') return c.before.orphanSince !== undefined ? 'expired' : 'unpublished';
  const was = c.before.orphanSince !== undefined;
  const is = c.after.orphanSince !== undefined;
  return !was && is ? 'orphaned' : was && !is ? 'reclaimed' : 'modified';
};

const SIZES = ['conns', 'clients', 'services', 'subscriptions'] as const;
type Size = (typeof SIZES)[number];
interface Sample {
  readonly seq: number;
  readonly at: number;
  readonly n: Readonly<Record<Size, number>>;
}
/** Samples kept at most (the stride doubles past it). */
const MAX_SAMPLES = 4096;

/** The first sample of each span of `stride` seqs (`samples` in seq order). */
const firstPerSpan = (samples: readonly Sample[], stride: number): Sample[] => {
  const out: Sample[] = [];
  let last = -1;
  for (const x of samples) {
    const b = Math.floor(x.seq / stride);
    if (b !== last) out.push(x);
    last = b;
  }
  return out;
};

/** A domain's summary as plain data (structured-cloneable: what a worker sends), see {@link Summary.part}. */
export interface DomainPart {
  readonly d: number;
  readonly name: string | undefined;
  readonly start: number;
  readonly count: number;
  readonly events: ReadonlyArray<readonly [string, number]>;
  readonly lifecycle: ReadonlyArray<readonly [ChangeKind, number]>;
  readonly peak: readonly number[];
  readonly peakSeq: readonly number[];
  readonly samples: readonly Sample[];
  readonly stride: number;
  readonly last: Sample | undefined;
}

/** A summary of a stretch of a log as plain data, see {@link Summary.part} and {@link Summary.merge}. */
export interface SummaryPart {
  readonly total: number;
  readonly first: number | undefined;
  readonly lastAt: number | undefined;
  readonly domains: readonly DomainPart[];
}
const sizes = (s: DomainState): Record<Size, number> => ({
  conns: s.conns.size,
  clients: s.clients.size,
  services: s.services.size,
  subscriptions: subscriptionCount(s),
});

class DomainSummary {
  readonly events = new Map<string, number>();
  readonly lifecycle = new Map<ChangeKind, number>();
  /** The peaks' values and the seq of the event that reached each first (numbers: no object per new peak). */
  private readonly peak = [-1, -1, -1, -1];
  private readonly peakSeq = [0, 0, 0, 0];
  samples: Sample[] = [];
  stride = 1;
  count = 0;
  /** The span (`seq / stride`) of the last kept sample. */
  private span = -1;
  /** The last event's sample, built from these when it is needed (not once per event). */
  private lastSeq = 0;
  private lastAt = 0;
  private lastState: Readonly<Record<Size, number>> | undefined;
  private lastN = [0, 0, 0, 0];

  constructor(
    readonly name: string | undefined,
    readonly start: number,
  ) {}

  get last(): Sample | undefined {
    const [conns, clients, services, subscriptions] = this.lastN as [number, number, number, number];
    return this.count === 0
      ? undefined
      : { seq: this.lastSeq, at: this.lastAt, n: this.lastState ?? { conns, clients, services, subscriptions } };
  }

  /** One event: its type, seq and time, the state after it, and its effects (`fx[from]` onwards). */
  add(type: string, seq: number, at: number, state: DomainState, fx: readonly Effect[], from: number): void {
    this.events.set(type, (this.events.get(type) ?? 0) + 1);
    for (let i = from; i < fx.length; i++) {
      const f = fx[i]!;
      if (f.type !== 'change') continue;
      const k = classifyChange(f.change);
      this.lifecycle.set(k, (this.lifecycle.get(k) ?? 0) + 1);
    }
    // the sizes are read into numbers; a sample object is built only for a kept sample (a log that grows a directory
    // of 100,000 services reaches a new peak at every publish)
    const n = this.lastN;
    n[0] = state.conns.size;
    n[1] = state.clients.size;
    n[2] = state.services.size;
    n[3] = subscriptionCount(state);
    this.lastSeq = seq;
    this.lastAt = at;
    this.lastState = undefined;
    const p = this.peak;
    for (let i = 0; i < 4; i++)
      if (n[i]! > p[i]!) {
        p[i] = n[i]!;
        this.peakSeq[i] = seq;
      }
    this.count++;
    const span = Math.floor(seq / this.stride);
    if (span !== this.span) {
      const sample: Sample = { seq, at, n: sizes(state) };
      this.lastState = sample.n;
      this.samples.push(sample);
      this.span = span;
      if (this.samples.length > MAX_SAMPLES) this.decimate(this.stride * 2);
    }
  }

  /** Keep the first sample of each span of `stride` seqs or more (doubled until at most MAX_SAMPLES are left). */
  private decimate(stride: number): void {
    let samples = firstPerSpan(this.samples, stride);
    while (samples.length > MAX_SAMPLES) samples = firstPerSpan(samples, (stride *= 2));
    this.samples = samples;
    this.stride = stride;
    const last = samples[samples.length - 1];
    this.span = last === undefined ? -1 : Math.floor(last.seq / stride);
  }

  part(d: number): DomainPart {
    return {
      d,
      name: this.name,
      start: this.start,
      count: this.count,
      events: [...this.events],
      lifecycle: [...this.lifecycle],
      peak: [...this.peak],
      peakSeq: [...this.peakSeq],
      samples: this.samples,
      stride: this.stride,
      last: this.last,
    };
  }

  /** Append the summary of the same domain over the stretch of the log that follows this one's. */
  append(p: DomainPart): void {
    if (p.count === 0) return;
    for (const [k, n] of p.events) this.events.set(k, (this.events.get(k) ?? 0) + n);
    for (const [k, n] of p.lifecycle) this.lifecycle.set(k, (this.lifecycle.get(k) ?? 0) + n);
    // a peak is the first event to reach the highest value: a later stretch's only if strictly higher
    for (let i = 0; i < 4; i++)
      if (p.peak[i]! > this.peak[i]!) {
        this.peak[i] = p.peak[i]!;
        this.peakSeq[i] = p.peakSeq[i]!;
      }
    this.count += p.count;
    // (a span of seqs split between the two keeps its first sample: this one's, first in the list)
    this.samples = [...this.samples, ...p.samples];
    this.decimate(Math.max(this.stride, p.stride));
    const last = p.last!;
    this.lastSeq = last.seq;
    this.lastAt = last.at;
    this.lastState = last.n;
  }

  static of(p: DomainPart): DomainSummary {
    const s = new DomainSummary(p.name, p.start);
    s.append(p);
    return s;
  }

  render(d: number): string {
    const out = [`domain ${d}${this.name !== undefined ? ` (${this.name})` : ''}: ${this.count} events`];
    out.push('  ' + [...this.events].map(([k, n]) => `${k} ${n}`).join(', '));
    const last = this.last;
    if (last === undefined) return out.join('\n') + '\n';
    const samples = this.samples[this.samples.length - 1]?.seq === last.seq ? this.samples : [...this.samples, last];
    const end = last.at;
    const rows: string[][] = [];
    let prevSeq = -1;
    for (let i = 0; i < 10; i++) {
      const t = this.start + ((end - this.start) * i) / 9;
      let pick: Sample | undefined;
      for (const s of samples) if (s.at <= t) pick = s;
      if (pick === undefined || pick.seq === prevSeq) continue;
      prevSeq = pick.seq;
      rows.push([isoTime(pick.at), String(pick.seq), ...SIZES.map((k) => String(pick.n[k]))]);
    }
    out.push(table([['time', 'seq', ...SIZES], ...rows]));
    const peak = SIZES.map((k, i) => `${k} ${this.peak[i]} (seq ${this.peakSeq[i]})`);
    out.push(`  peaks: ${peak.join(', ')}`);
    const kinds: ChangeKind[] = ['published', 'modified', 'orphaned', 'reclaimed', 'expired', 'unpublished'];
    out.push(`  services: ${kinds.map((k) => `${k} ${this.lifecycle.get(k) ?? 0}`).join(', ')}`);
    out.push(`  orphans expired: ${this.lifecycle.get('expired') ?? 0}`);
    return out.join('\n') + '\n';
  }
}

/** Accumulates steps; `render()` prints the report. */
export class Summary {
  private readonly domains = new Map<number, DomainSummary>();
  private first: number | undefined;
  private lastAt: number | undefined;
  private total = 0;

  /** Register a domain's header (its start time anchors the time axis). */
  domain(d: number, name: string | undefined, now: number): void {
    if (!this.domains.has(d)) this.domains.set(d, new DomainSummary(name, now));
  }

  /** A domain continues from a state snapshot taken at `now` (a rotated file): its time axis starts there. */
  resume(d: number, now: number): void {
    const ds = this.domains.get(d);
    if (ds === undefined) this.domains.set(d, new DomainSummary(undefined, now));
    else if (ds.count === 0) this.domains.set(d, new DomainSummary(ds.name, now));
  }

  add(step: ReplayStep): void {
    this.note(step.domain, step.event.type, step.seq, step.at, step.state, step.effects, 0);
  }

  /** An event folded in a batch (a {@link BatchObserver}): the same as {@link add} of its step. */
  readonly each: BatchObserver = (rec, _line, state, fx, from) =>
    this.note(rec.d, rec.event.type, rec.seq, rec.event.now, state, fx, from);

  private note(
    d: number,
    type: string,
    seq: number,
    at: number,
    state: DomainState,
    fx: readonly Effect[],
    from: number,
  ): void {
    this.total++;
    this.first ??= at;
    this.lastAt = at;
    let ds = this.domains.get(d);
    if (ds === undefined) this.domains.set(d, (ds = new DomainSummary(undefined, at)));
    ds.add(type, seq, at, state, fx, from);
  }

  /** This summary as plain data (to be merged with the summaries of the stretches of the log around it). */
  part(): SummaryPart {
    return {
      total: this.total,
      first: this.first,
      lastAt: this.lastAt,
      domains: [...this.domains].map(([d, s]) => s.part(d)),
    };
  }

  /**
   * The summary of a log from the summaries of its consecutive stretches, oldest first, each replayed from the
   * checkpoint where it starts (./replay-parallel.ts): the summary a replay of the whole would have built. A domain's
   * name and start are those of the first stretch that has it.
   */
  static merge(parts: readonly SummaryPart[]): Summary {
    const s = new Summary();
    for (const p of parts) {
      s.total += p.total;
      if (p.first !== undefined) s.first ??= p.first;
      if (p.lastAt !== undefined) s.lastAt = p.lastAt;
      for (const dp of p.domains) {
        const ds = s.domains.get(dp.d);
        if (ds === undefined) s.domains.set(dp.d, DomainSummary.of(dp));
        else ds.append(dp);
      }
    }
    return s;
  }

  render(): string {
    const span =
      this.first !== undefined && this.lastAt !== undefined
        ? `, ${isoTime(this.first)} … ${isoTime(this.lastAt)} (${(this.lastAt - this.first).toFixed(3)} s)`
        : '';
    const head = `${this.total} events in ${this.domains.size} domain${this.domains.size === 1 ? '' : 's'}${span}\n`;
    return head + [...this.domains].map(([d, s]) => s.render(d)).join('');
  }
}

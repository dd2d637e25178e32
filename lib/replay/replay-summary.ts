/**
 * The default report of `rxpaf-replay`: per domain, the number of events by type, the directory size (connections,
 * clients, services, subscriptions) at 10 evenly spaced times with the exact peaks, and the service lifecycle
 * counts (published, orphaned, reclaimed, expired, unpublished). Memory stays bounded on huge logs: the size series
 * is decimated (every 2nd sample dropped whenever it exceeds 4096), so the 10 rows are the nearest kept samples.
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
    if (this.count++ % this.stride === 0) {
      const sample: Sample = { seq, at, n: sizes(state) };
      this.lastState = sample.n;
      this.samples.push(sample);
    }
    if (this.samples.length > 4096) {
      this.samples = this.samples.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
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

  render(): string {
    const span =
      this.first !== undefined && this.lastAt !== undefined
        ? `, ${isoTime(this.first)} … ${isoTime(this.lastAt)} (${(this.lastAt - this.first).toFixed(3)} s)`
        : '';
    const head = `${this.total} events in ${this.domains.size} domain${this.domains.size === 1 ? '' : 's'}${span}\n`;
    return head + [...this.domains].map(([d, s]) => s.render(d)).join('');
  }
}

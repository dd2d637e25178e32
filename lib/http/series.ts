/**
 * A short time series of a domain's sizes (services, clients, orphans, subscriptions) for the dashboard's chart:
 * one sample every `intervalMs`, the last `length` samples kept, served column-wise (what uPlot draws).
 */
export interface SeriesSample {
  readonly services: number;
  readonly clients: number;
  readonly orphans: number;
  readonly subscriptions: number;
}

export interface SeriesColumns {
  /** Seconds between samples. */
  readonly interval: number;
  /** Sample times, seconds since the epoch, oldest first. */
  readonly time: readonly number[];
  readonly services: readonly number[];
  readonly clients: readonly number[];
  readonly orphans: readonly number[];
  readonly subscriptions: readonly number[];
}

export class Series {
  private readonly rows: Array<SeriesSample & { readonly time: number }> = [];

  constructor(
    readonly intervalMs: number,
    readonly length: number,
  ) {}

  add(time: number, s: SeriesSample): void {
    this.rows.push({ time, ...s });
    if (this.rows.length > this.length) this.rows.shift();
  }

  columns(): SeriesColumns {
    const col = (k: keyof SeriesSample): number[] => this.rows.map((r) => r[k]);
    return {
      interval: this.intervalMs / 1000,
      time: this.rows.map((r) => r.time),
      services: col('services'),
      clients: col('clients'),
      orphans: col('orphans'),
      subscriptions: col('subscriptions'),
    };
  }
}

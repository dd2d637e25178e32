/** Types of the Prometheus text-format parser used by the metrics spec (the package ships none). */
declare module 'parse-prometheus-text-format' {
  export interface PromSample {
    readonly labels?: Readonly<Record<string, string>>;
    /** Counters and gauges. */
    readonly value?: string;
    /** Histograms: upper bound → cumulative count. */
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }
  export interface PromFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly PromSample[];
  }
  const parse: (text: string) => PromFamily[];
  export default parse;
}

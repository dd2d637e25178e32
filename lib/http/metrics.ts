/**
 * The daemon's Prometheus metrics (prom-client), one registry per daemon. Traffic is counted by the server observer
 * (`observer`, given to createServer) into plain numbers, one per label set ({@link Tally}), handed to prom-client
 * when it collects (a scrape): the cost per message is a few map look-ups and an add (bench/README.md, "Metrics
 * counted in plain numbers"). Sizes (clients, services, orphans, subscriptions) are read from each domain's state
 * when scraped (O(1) each).
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Counter as CounterT,
  type Histogram as HistogramT,
} from 'prom-client';

import type { ServerObserver } from '../server/observer';
import type { Effect } from '../state/effects';
import type { Event } from '../state/events';
import type { DomainState } from '../state/model';
import { domainCounts } from '../state/selectors';

/**
 * Why connections are closed, as the `reason` label of `rxpaf_connections_closed_total` has it (all exported from
 * the start at 0). A message the server cannot send (over 256 KiB) closes its connection as a `transport_error`;
 * `slow_reader` counts the core's cuts of clients that do not read.
 */
export const CLOSE_REASONS = [
  'client_close',
  'transport_error',
  'protocol_error',
  'idle_timeout',
  'handshake_timeout',
  'limit',
  'slow_reader',
  'shutdown',
  'other',
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Map a close reason of the core (free text) or a peer close cause to its label. */
export const closeReasonOf = (reason: string): CloseReason => {
  if (reason === 'eof') return 'client_close';
  if (reason === 'transport-error') return 'transport_error';
  if (reason === 'shutdown') return 'shutdown';
  if (reason.startsWith('protocol error')) return 'protocol_error';
  if (reason === 'idle timeout') return 'idle_timeout';
  if (reason === 'handshake timeout') return 'handshake_timeout';
  if (reason.includes('limit')) return 'limit';
  if (/slow|congest/.test(reason)) return 'slow_reader';
  return 'other';
};

/** What the metrics read from a running domain at scrape time. */
export interface MeteredDomain {
  readonly label: string;
  state(): DomainState;
  orphans(): number;
}

/** One label set of a {@link Tally}: what was added since the last collection. */
interface Cell {
  n: number;
  /** Handed to prom-client at least once (a series added with 0 is exported at 0). */
  exported: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

/** A level of a {@link Tally}'s cells: by one label's value, the cell (labels end here) and the next level. */
interface Slot {
  cell?: Cell;
  next?: Map<string, Slot>;
}

const slotOf = (m: Map<string, Slot>, k: string): Slot => {
  let s = m.get(k);
  if (s === undefined) m.set(k, (s = {}));
  return s;
};

/**
 * A counter counted in plain numbers and handed to prom-client when it is collected (a scrape): an increment is a
 * look-up by each label's value and an add, where prom-client's own `inc` hashes and checks the labels each time
 * (per message that was a tenth of the CPU of an expiry wave). Cells are found by label values one level at a
 * time, so counting an event builds no key string.
 */
class Tally {
  private readonly top = new Map<string, Slot>();
  private readonly cells: Cell[] = [];
  private readonly counter: CounterT<string>;

  constructor(
    name: string,
    help: string,
    private readonly labelNames: readonly string[],
    registers: Registry[],
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.counter = new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers,
      collect() {
        self.flush();
      },
    });
  }

  /** The cell of the label values `a`, `b`, `c` (as many as the counter has labels). */
  cell(a: string, b?: string, c?: string): Cell {
    let slot = slotOf(this.top, a);
    if (b !== undefined) slot = slotOf((slot.next ??= new Map<string, Slot>()), b);
    if (c !== undefined) slot = slotOf((slot.next ??= new Map<string, Slot>()), c);
    if (slot.cell === undefined) {
      const values = [a, b, c];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((l, i) => (labels[l] = values[i]!));
      slot.cell = { n: 0, exported: false, labels };
      this.cells.push(slot.cell);
    }
    return slot.cell;
  }

  /** Add `n` to the series of `labels` (0: export the series). */
  add(labels: readonly string[], n: number): void {
    this.cell(labels[0]!, labels[1], labels[2]).n += n;
  }

  private flush(): void {
    for (const c of this.cells)
      if (c.n > 0 || !c.exported) {
        this.counter.inc(c.labels, c.n);
        c.n = 0;
        c.exported = true;
      }
  }
}

const REDUCER_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const LAG_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

export interface MetricsOptions {
  /** Label (name or index) of every configured domain, by index. */
  readonly domains: readonly string[];
  /** rxpaf's version, for `rxpaf_build_info`. */
  readonly version: string;
  /** Sample the event-loop lag every this many ms (default 100; 0 disables). */
  readonly lagSampleMs?: number;
  /** Also collect prom-client's process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  readonly observer: ServerObserver;
  private domains: readonly MeteredDomain[] = [];
  private readonly received: Tally;
  private readonly sent: Tally;
  private readonly failed: Tally;
  private readonly notifications: Tally;
  private readonly accepted: Tally;
  private readonly closed: Tally;
  /** Payload bytes, each domain's cell by its index (found once: a message adds to it directly). */
  private readonly bytesIn: readonly Cell[];
  private readonly bytesOut: readonly Cell[];
  private readonly reducerSeconds: Array<{ observe(v: number): void }>;
  private readonly batchEvents: Array<{ observe(v: number): void }>;
  private readonly lag: HistogramT<string>;
  private lagTimer: NodeJS.Timeout | undefined;
  readonly httpRequests: Tally;
  readonly httpDropped: CounterT<string>;

  constructor(private readonly opts: MetricsOptions) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[]): CounterT<string> =>
      new Counter({ name, help, labelNames, registers });
    const perDomain = (help: string, name: string, read: (d: MeteredDomain) => number): void =>
      void new Gauge({
        name,
        help,
        labelNames: ['domain'],
        registers,
        collect: function (this: Gauge<string>) {
          for (const d of self.domains) this.set({ domain: d.label }, read(d));
        },
      });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    perDomain('Connected clients (handshaked connections).', 'rxpaf_clients', (d) => domainCounts(d.state()).clients);
    perDomain(
      'Open transport connections, handshaked or not.',
      'rxpaf_connections',
      (d) => domainCounts(d.state()).connections,
    );
    perDomain('Services published, orphans included.', 'rxpaf_services', (d) => domainCounts(d.state()).services);
    perDomain('Services whose owner is disconnected (orphans).', 'rxpaf_orphans', (d) => d.orphans());
    perDomain('Subscriptions.', 'rxpaf_subscriptions', (d) => domainCounts(d.state()).subscriptions);
    const tally = (name: string, help: string, labelNames: string[]): Tally =>
      new Tally(name, help, labelNames, registers);
    this.received = tally(
      'rxpaf_messages_received_total',
      'Messages received, by command and message type (type "malformed": did not decode).',
      ['domain', 'command', 'type'],
    );
    this.sent = tally(
      'rxpaf_messages_sent_total',
      'Messages sent, by command and message type (accept, notify, complete, fail).',
      ['domain', 'command', 'type'],
    );
    this.failed = tally('rxpaf_requests_failed_total', 'Requests answered with fail, by command and fail reason.', [
      'domain',
      'command',
      'reason',
    ]);
    this.notifications = tally('rxpaf_notifications_sent_total', 'Subscription notifications sent, by match type.', [
      'domain',
      'match_type',
    ]);
    this.accepted = tally('rxpaf_connections_accepted_total', 'Connections accepted.', ['domain']);
    this.closed = tally('rxpaf_connections_closed_total', 'Connections closed, by reason.', ['domain', 'reason']);
    const bytesIn = tally('rxpaf_received_bytes_total', 'Message bytes received (payload, framing excluded).', [
      'domain',
    ]);
    const bytesOut = tally('rxpaf_sent_bytes_total', 'Message bytes sent (payload, framing excluded).', ['domain']);
    this.bytesIn = opts.domains.map((d) => bytesIn.cell(d));
    this.bytesOut = opts.domains.map((d) => bytesOut.cell(d));
    const reducer = new Histogram({
      name: 'rxpaf_reducer_batch_duration_seconds',
      help: 'Time the reducer took for one batch of events (one event-loop turn).',
      labelNames: ['domain'],
      buckets: REDUCER_BUCKETS,
      registers,
    });
    const batch = new Histogram({
      name: 'rxpaf_reducer_batch_events',
      help: 'Events folded per reducer batch.',
      labelNames: ['domain'],
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.lag = new Histogram({
      name: 'rxpaf_event_loop_lag_seconds',
      help: 'Event-loop lag: how late a timer fired, sampled every 100 ms.',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.httpRequests = tally('rxpaf_http_requests_total', 'HTTP requests, by route and status code.', [
      'route',
      'code',
    ]);
    this.httpDropped = counter('rxpaf_http_slow_clients_dropped_total', 'HTTP clients dropped for not reading.', []);
    new Gauge({
      name: 'rxpaf_http_watches',
      help: 'Open watch streams.',
      registers,
      collect: function (this: Gauge<string>) {
        this.set(self.watchCount());
      },
    });
    new Gauge({ name: 'rxpaf_build_info', help: 'rxpaf version.', labelNames: ['version'], registers }).set(
      { version: opts.version },
      1,
    );
    this.reducerSeconds = opts.domains.map((d) => reducer.labels(d));
    this.batchEvents = opts.domains.map((d) => batch.labels(d));
    for (const d of opts.domains) {
      this.accepted.add([d], 0);
      for (const r of CLOSE_REASONS) this.closed.add([d, r], 0);
    }
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.observer = {
      received: (i, bytes) => {
        const c = this.bytesIn[i];
        if (c !== undefined) c.n += bytes;
      },
      sent: (i, json) => {
        const c = this.bytesOut[i];
        if (c !== undefined) c.n += Buffer.byteLength(json);
      },
      reduced: (i, events, effects, seconds) => this.reduced(i, events, effects, seconds),
    };
    this.startLagSampler(opts.lagSampleMs ?? 100);
  }

  /** Open watch streams (set by the HTTP layer). */
  watchCount: () => number = () => 0;

  /** Attach the running domains (their state is read at scrape time). */
  attach(domains: readonly MeteredDomain[]): void {
    this.domains = domains;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  close(): void {
    clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
  }

  private reduced(i: number, events: readonly Event[], effects: readonly Effect[], seconds: number): void {
    const d = this.opts.domains[i];
    if (d === undefined) return;
    this.reducerSeconds[i]!.observe(seconds);
    this.batchEvents[i]!.observe(events.length);
    let accepted = 0;
    for (const e of events) {
      if (e.type === 'message') this.received.cell(d, e.msg['ta-cmd'], e.msg['msg-type']).n++;
      else if (e.type === 'malformed') this.received.cell(d, 'unknown', 'malformed').n++;
      else if (e.type === 'accepted') accepted++;
      else if (e.type === 'closed') this.closed.cell(d, closeReasonOf(e.cause)).n++;
    }
    for (const f of effects) {
      if (f.type === 'send') {
        const m = f.msg;
        this.sent.cell(d, m['ta-cmd'], m['msg-type']).n++;
        if (m['msg-type'] === 'notify' && 'match-type' in m) this.notifications.cell(d, m['match-type']).n++;
        else if (m['msg-type'] === 'fail') this.failed.cell(d, m['ta-cmd'], m['fail-reason'] ?? 'unknown').n++;
      } else if (f.type === 'close') this.closed.cell(d, closeReasonOf(f.reason)).n++;
    }
    if (accepted > 0) this.accepted.add([d], accepted);
  }

  private startLagSampler(ms: number): void {
    if (ms <= 0) return;
    const tick = (): void => {
      const expected = performance.now() + ms;
      this.lagTimer = setTimeout(() => {
        this.lag.observe(Math.max(0, performance.now() - expected) / 1000);
        tick();
      }, ms);
      this.lagTimer.unref();
    };
    tick();
  }
}

/**
 * The serial loop of one domain, without its sockets: inputs, deadline ticks and work requests merged into one
 * stream, batched per event-loop turn, each turn folded by `fold` (reduce, interpret, publish): its inputs first
 * (each connection's share of the budget when they do not all fit; the rest held for the next turns), then its
 * closes as far as the turn's time budget allows (the rest carried into the next turn), then sliced work while the
 * budget lasts. DomainRuntime runs it on the real event loop; specs run it on virtual time.
 *
 *   inputs$ ───────────────────────────┐
 *   carried closes, resume ────────────┤
 *   state$ ─ deadlineTicks ────────────┼─ merge ─ bufferTurn ─ drainTurns(fold) ─► turns
 *   turns ─ workRequests ──────────────┘                                            │
 *     ▲─────────────────────────────────────────────────────────────────────────────┘
 */
import {
  asyncScheduler,
  defer,
  map,
  merge,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  tap,
} from './rx';

import type { ClosedEvent, Event } from '../state/events';
import type { DomainState } from '../state/model';
import { workSlicesAtLeast } from '../state/work';
import { bufferTurn, type TurnScheduler } from './buffer-turn';
import type { Clock } from './clock';
import { deadlineTicks, workRequests } from './deadline-ticks';

/**
 * The wall time (ms, by the domain clock) one event-loop turn may spend on sliced work. A slice (lib/state/work.ts)
 * costs well under a millisecond on a quiet machine, so a turn runs a few of them and then yields to the sockets.
 */
export const TURN_BUDGET_MS = 3;

/** The cost of folding one `closed` event (ms) assumed before any was measured. */
export const CLOSE_COST_MS = 0.05;

/**
 * Asks the loop for one more turn: the turn left inputs of some connection for later (see {@link drainTurns}) and
 * nothing else will start the next one. Never folded.
 */
export interface Resume {
  readonly type: 'resume';
}

const RESUME: Resume = { type: 'resume' };

/** What a turn's batch holds: inputs, and the loop's own request for a turn. */
export type TurnInput = Event | Resume;

/** A turn's batch sorted for folding: the other inputs in arrival order, the closes, the pending work request. */
const sortBatch = (
  batch: readonly TurnInput[],
): { inputs: Event[]; closes: ClosedEvent[]; work: Event | undefined } => {
  const inputs: Event[] = [];
  const closes: ClosedEvent[] = [];
  let work: Event | undefined;
  for (const e of batch) {
    if (e.type === 'closed') closes.push(e);
    // one work request is pending at a time (workRequests); a second would only ask for the same slices again
    else if (e.type === 'work') work ??= e;
    else if (e.type !== 'resume') inputs.push(e);
  }
  return { inputs, closes, work };
};

/** The cost of folding one input (ms) assumed before any was measured. */
export const INPUT_COST_MS = 0.01;

/** The inputs a turn folds at least when they do not all fit its budget. */
export const INPUTS_AT_LEAST = 256;

/** The inputs of one connection a turn folds at least when they do not all fit its budget. */
export const INPUTS_PER_CONN_AT_LEAST = 16;

/** A connection's inputs held for later turns, in arrival order (its close last): `items` from `head` on. */
interface Held {
  items: Event[];
  head: number;
}

/**
 * The inputs a turn folds, and what it holds for later turns. Connections whose inputs were held keep them in
 * `held` (in arrival order; what arrives from them meanwhile joins the end, their close too): a turn takes from each
 * only its share, so the cost of a turn is its share and what arrived, never the whole backlog.
 */
class Backlog {
  readonly held = new Map<number, Held>();
  private count = 0;

  /** Held inputs, closes included. */
  get size(): number {
    return this.count;
  }

  /** Append `e` to its connection's held inputs if it has any; false if it has none. */
  join(e: Event): boolean {
    const q = 'conn' in e ? this.held.get(e.conn) : undefined;
    if (q === undefined) return false;
    q.items.push(e);
    this.count++;
    return true;
  }

  /** Hold `e`, its connection's first held input. */
  hold(conn: number, e: Event): void {
    this.held.set(conn, { items: [e], head: 0 });
    this.count++;
  }

  /** Take at most `n` of each connection's held inputs, in order: the closes among them into `closes`. */
  take(n: number, now: Event[], closes: ClosedEvent[]): void {
    for (const [conn, q] of this.held) {
      const end = Math.min(q.items.length, q.head + n);
      this.count -= end - q.head;
      for (; q.head < end; q.head++) {
        const e = q.items[q.head]!;
        if (e.type === 'closed') closes.push(e);
        else now.push(e);
      }
      if (q.head === q.items.length) this.held.delete(conn);
      // drop what was taken once it is most of the array (so a long backlog is not kept whole until its end)
      else if (q.head >= 1024 && 2 * q.head >= q.items.length) [q.items, q.head] = [q.items.slice(q.head), 0];
    }
  }
}

/**
 * `inputs` (in arrival order, their connections holding nothing) folded in this turn when all of them and what
 * `backlog` holds do not fit `room`: each connection's share (an equal part of `room`, at least
 * {@link INPUTS_PER_CONN_AT_LEAST}) of what it holds and then of what it sent, and every input of no connection
 * (ticks). `light`: the inputs of connections whose inputs all fit their share, and the ticks; `heavy`: the shares
 * of the others (closes taken from the backlog go to `closes`). The rest is held in `backlog`.
 */
const shareOut = (
  inputs: readonly Event[],
  room: number,
  backlog: Backlog,
  closes: ClosedEvent[],
): { light: Event[]; heavy: Event[] } => {
  const per = new Map<number, number>();
  for (const e of inputs) if ('conn' in e) per.set(e.conn, (per.get(e.conn) ?? 0) + 1);
  const share = Math.max(INPUTS_PER_CONN_AT_LEAST, Math.floor(room / Math.max(1, per.size + backlog.held.size)));
  const light: Event[] = [];
  const heavy: Event[] = [];
  backlog.take(share, heavy, closes);
  const taken = new Map<number, number>();
  for (const e of inputs) {
    if (!('conn' in e) || per.get(e.conn)! <= share) light.push(e);
    else if (!backlog.join(e)) {
      const n = taken.get(e.conn) ?? 0;
      if (n < share) {
        taken.set(e.conn, n + 1);
        heavy.push(e);
      } else backlog.hold(e.conn, e);
    }
  }
  return { light, heavy };
};

/** The cost of one `work` slice (ms) assumed before any was measured. */
export const WORK_COST_MS = 0.25;

/** The most `work` events folded as one batch. */
export const WORK_BATCH_MAX = 64;

/** `n` `work` events at `now`, after `first` if given (the turn's pending work request). */
const workBatch = (first: Event | undefined, n: number, now: number): Event[] => {
  const batch: Event[] = first !== undefined ? [first] : [];
  while (batch.length < n) batch.push({ type: 'work', now });
  return batch;
};

/**
 * One event-loop turn of the domain, in this order:
 * 0. when the turn has more than one close (a wave of closes, carried ones included), a `closing` event naming the
 *    connections of those not named by an earlier one: until its close is folded, no connection of a wave is told
 *    of a directory change (lib/state/notify.ts), neither by the inputs folded before the closes nor by an expiry
 *    or message folded while closes are carried over turns (issue 13). A lone close needs none;
 * 1. the turn's inputs other than closes and work requests (messages, accepts, ticks, in arrival order) as one
 *    batch: a bystander's ping is answered first, however much else the turn has to do. When they and the inputs
 *    held from earlier turns do not all fit the turn's budget by their measured cost (a running average per input;
 *    {@link INPUTS_AT_LEAST} fit in any case) and there is a `carry`, each connection gets an equal share of what fits
 *    (at least {@link INPUTS_PER_CONN_AT_LEAST}): first of what it has held, then of what it sent; the connections
 *    whose inputs all fit their share (and the ticks) are folded first, in a batch of their own, so their replies
 *    do not wait for the others' shares. The rest of a connection's inputs are held inside the loop, in order, its
 *    close after them, and what it sends meanwhile joins them: a client with 1,024 requests in flight is served a
 *    share a turn, a bystander's ping in the turn it arrives, and a turn costs its share and what arrived, not the
 *    whole backlog (issue 12). A turn that holds inputs hands `carry` a {@link Resume} so that a next turn comes;
 * 2. the closes, in chunks sized by their measured cost (a running average of the fold time per close, reducer,
 *    effects and the transport's close included) to fit what is left of the turn's time budget (`budgetMs`, by
 *    `clock`, in seconds); at least one chunk a turn. Closes that do not fit are handed to `carry` (the loop feeds
 *    them back as inputs of the next turn, so messages that arrive meanwhile are served before them). While closes
 *    are pending no work slice runs: the orphaning of a mass disconnect is done once every subscriber that went
 *    with it has gone, so no notification is built for them (issue 13);
 * 3. the pending `work` event, with as many more `work` events in the same batch as fit what is left of the budget
 *    by the measured cost of a slice (the dearer of a running average, as for closes, and the last batch's), as the
 *    state needs at least (`more`: 0 when it has no work; so no event of the batch finds nothing to do), and at most
 *    twice the last batch (1 when work starts: slow start); at least the pending one (the slice it asked for always
 *    runs, so work progresses);
 * 4. while the state still has work and the budget lasts, more batches of `work` events, sized the same way.
 * Each fold is a batch of its own, recorded as such (a log replays exactly: the reducer folds a batch event by
 * event), its effects written before the next runs (the budget covers encoding and queueing too). A batch of slices
 * costs one reducer call (one transient edit of the tries, lib/util/hamt.ts), one write per connection and one
 * published state, where a batch per slice cost one each (orphan17). A batch that leaves the state as it was (it
 * threw and was dropped, see safe-reduce.ts) ends the turn, and `workRequests` retries it with back-off.
 * Without `carry` every close is folded in the turn (in chunks). Emits the state after each turn.
 */
export const drainTurns =
  <S>(
    fold: (batch: Event[]) => S,
    more: (s: S) => number,
    clock: Clock,
    budgetMs: number = TURN_BUDGET_MS,
    carry?: (later: TurnInput[]) => void,
  ): OperatorFunction<TurnInput[], S> =>
  (batches$) =>
    defer(() => {
      let perClose = CLOSE_COST_MS;
      let perInput = INPUT_COST_MS;
      // inputs of connections that a turn had no time for (only with a `carry`)
      const backlog = new Backlog();
      let perSlice = WORK_COST_MS;
      // the last slice's cost (ms): a batch is sized by the dearer of it and the average
      let lastSlice = WORK_COST_MS;
      // the most slices the next batch may hold: 1 when work starts, then twice the last batch's (a first wave runs
      // cold code, its slices dearer than any measured before: the batches grow as their cost is measured)
      let grow = 1;
      // the state after the last fold (only folds change it): what a turn of a lone work event starts from
      let last: S | undefined;
      // connections named by a `closing` event whose closes are not folded yet
      const marked = new Set<number>();
      return batches$.pipe(
        map((batch) => {
          const t0 = clock();
          const left = (): number => budgetMs - (clock() - t0) * 1000;
          const { inputs, closes, work } = sortBatch(batch);
          let s: S | undefined;
          if (closes.length > 1) {
            const conns: number[] = [];
            for (const e of closes) if (!marked.has(e.conn)) conns.push(e.conn);
            if (conns.length > 0) {
              for (const c of conns) marked.add(c);
              // at the turn's earliest time: the inputs folded after it keep their own (time never runs backwards)
              let now = Infinity;
              for (const e of batch) if (e.type !== 'resume' && e.now < now) now = e.now;
              s = fold([{ type: 'closing', now, conns }]);
            }
          }
          // inputs of connections with held inputs join them, in order; then what fits the budget is folded
          const fresh = backlog.size === 0 ? inputs : inputs.filter((e) => !backlog.join(e));
          const ready: ClosedEvent[] = [];
          let now: Event[] = fresh;
          // with a share: the connections whose inputs all fit theirs first, in a fold of their own (their replies
          // are written before the shares of the others are folded)
          let light: Event[] = [];
          const room = Math.max(INPUTS_AT_LEAST, Math.floor(Math.max(0, left()) / perInput + 1e-9));
          if (carry !== undefined && fresh.length + backlog.size > room)
            ({ light, heavy: now } = shareOut(fresh, room, backlog, ready));
          else if (backlog.size > 0) {
            now = [];
            backlog.take(Infinity, now, ready);
            now.push(...fresh);
          }
          // a close waits for its connection's held inputs
          for (const e of closes) if (!backlog.join(e)) ready.push(e);
          if (light.length + now.length > 0) {
            const c0 = clock();
            if (light.length > 0) s = fold(light);
            if (now.length > 0) s = fold(now);
            // the cost per input, averaged over the turns (never 0: a clock that did not move measures nothing)
            perInput = Math.max(0.0001, (perInput + ((clock() - c0) * 1000) / (light.length + now.length)) / 2);
          }
          for (let i = 0; i < ready.length;) {
            const room = left();
            if (i > 0 && room < perClose && carry !== undefined) {
              carry(ready.slice(i));
              last = s;
              return s!; // a chunk was folded
            }
            // the turn's first chunk may take half the budget even if its inputs spent it: closes always progress
            const fits = Math.floor((i === 0 ? Math.max(room, budgetMs / 2) : room) / perClose + 1e-9);
            const n = Math.max(1, Math.min(ready.length - i, fits));
            const c0 = clock();
            const chunk = ready.slice(i, i + n);
            s = fold(chunk);
            if (marked.size > 0) for (const e of chunk) marked.delete(e.conn);
            // the cost per close, averaged over the last chunks (never 0: a clock that did not move measures nothing)
            perClose = Math.max(0.001, (perClose + ((clock() - c0) * 1000) / n) / 2);
            i += n;
          }
          // held inputs need a next turn even if nothing else arrives
          if (backlog.size > 0) carry!([RESUME]);
          let pending = work;
          for (;;) {
            const cur = s ?? last;
            const need = cur === undefined ? 0 : more(cur);
            const room = left();
            if (need === 0) grow = 1;
            if (pending === undefined && (need === 0 || room <= 0)) break;
            const fits = Math.floor(room / Math.max(perSlice, lastSlice) + 1e-9);
            const n = Math.max(1, Math.min(grow, need, fits));
            const c0 = clock();
            const before = s;
            s = fold(workBatch(pending, n, c0));
            pending = undefined;
            lastSlice = Math.max(0.001, ((clock() - c0) * 1000) / n);
            perSlice = (perSlice + lastSlice) / 2;
            grow = Math.min(WORK_BATCH_MAX, 2 * n);
            if (s === before) break;
          }
          last = s ?? last;
          return last!; // a batch holds at least one event or follows one that held some, so something was folded
        }),
      );
    });

export interface DomainLoopOptions {
  /** Timers of the deadline ticks and of work retries (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The end of the current event-loop turn (default `setImmediate`). */
  readonly turn?: TurnScheduler;
  /** Time budget of one turn's sliced work, ms ({@link TURN_BUDGET_MS}). */
  readonly budgetMs?: number;
}

/**
 * The loop: `state$` is the published state (it drives the deadline timer; `fold` publishes it), the result the state
 * after every turn, changed or not (a turn that made no progress on pending work is retried, see `workRequests`).
 */
export const domainLoop = (
  inputs$: Observable<Event>,
  state$: Observable<DomainState>,
  fold: (batch: Event[]) => DomainState,
  clock: Clock,
  opts: DomainLoopOptions = {},
): Observable<DomainState> =>
  defer(() => {
    const scheduler = opts.scheduler ?? asyncScheduler;
    const turns$ = new Subject<DomainState>();
    // closes a turn had no time for, folded in the next turn, or its request for a next turn
    const carried$ = new Subject<TurnInput>();
    return merge(
      inputs$,
      carried$,
      deadlineTicks(state$, clock, scheduler),
      workRequests(turns$, clock, scheduler),
    ).pipe(
      bufferTurn(opts.turn),
      drainTurns(fold, workSlicesAtLeast, clock, opts.budgetMs, (later) => {
        for (const e of later) carried$.next(e);
      }),
      tap((s) => turns$.next(s)),
    );
  });

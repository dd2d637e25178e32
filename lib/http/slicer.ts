/**
 * Cooperative slicing of HTTP work across event-loop turns. Work proportional to the directory (listing 100k
 * services, the initial sync of a watch, a watcher catching up) is queued as steps; each turn runs steps round-robin
 * until a small time budget is spent, then yields (`setImmediate`), so Pathfinder sockets are served between slices.
 *
 * @example
 * const slicer = new Slicer();
 * let i = 0;
 * slicer.add(() => ++i < 1000); // one small step per call, 1000 steps spread over as many turns as needed
 */

/** One bounded step of a task; returns true while the task has more work ready (it is then queued again). */
export type Step = () => boolean;

export interface SlicerOptions {
  /** Milliseconds of steps per turn before yielding (default 3). */
  readonly budgetMs?: number;
  /** Runs a callback in a later turn (default `setImmediate`). */
  readonly schedule?: (fn: () => void) => void;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number;
  /** A step threw: the task is dropped and the error reported here. */
  readonly onError?: (e: unknown) => void;
}

export class Slicer {
  private queue: Step[] = [];
  private scheduled = false;
  private readonly budgetMs: number;
  private readonly schedule: (fn: () => void) => void;
  private readonly clock: () => number;

  constructor(private readonly opts: SlicerOptions = {}) {
    this.budgetMs = opts.budgetMs ?? 3;
    this.schedule = opts.schedule ?? ((fn) => void setImmediate(fn));
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Queue a task; its steps run in later turns, interleaved with the other tasks. */
  add(step: Step): void {
    this.queue.push(step);
    this.kick();
  }

  /** Tasks waiting for their next step. */
  get pending(): number {
    return this.queue.length;
  }

  private kick(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    this.schedule(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const start = this.clock();
    // FIFO round-robin: a task that has more work goes to the back; at least one step runs per turn
    let first = true;
    while (this.queue.length > 0 && (first || this.clock() - start < this.budgetMs)) {
      first = false;
      const step = this.queue.shift()!;
      let more = false;
      try {
        more = step();
      } catch (e) {
        this.opts.onError?.(e);
      }
      if (more) this.queue.push(step);
    }
    this.kick();
  }
}

import { Observable } from 'rxjs/internal/Observable';
import type { Subscriber } from 'rxjs/internal/Subscriber';

/**
 * A single-subscriber hot channel: values and the terminal event produced before the (first) subscription are
 * buffered and delivered on subscription; afterwards values go straight through, synchronously.
 */
export class HotChannel<T> {
  private subscriber: Subscriber<T> | undefined;
  private buffer: T[] = [];
  private terminal: { error: unknown } | 'complete' | undefined;
  private subscribed = false;

  /** The observable side; a second subscriber gets an error. */
  readonly observable$: Observable<T>;

  /** @param onSubscribe called once, synchronously, when the first subscriber arrives (after buffered values). */
  constructor(onSubscribe?: () => void) {
    this.observable$ = new Observable<T>((subscriber) => {
      if (this.subscribed) {
        subscriber.error(new Error('this observable supports a single subscriber'));
        return undefined;
      }
      this.subscribed = true;
      this.subscriber = subscriber;
      const buffered = this.buffer;
      this.buffer = [];
      buffered.forEach((value) => subscriber.next(value));
      this.deliverTerminal();
      if (!this.terminal) {
        onSubscribe?.();
      }
      return () => {
        this.subscriber = undefined;
      };
    });
  }

  /** True once complete() or error() was called. */
  get closed(): boolean {
    return this.terminal !== undefined;
  }

  /** True while someone is subscribed. */
  get active(): boolean {
    return this.subscriber !== undefined;
  }

  next(value: T): void {
    if (this.terminal) {
      return;
    }
    if (this.subscriber) {
      this.subscriber.next(value);
    } else if (!this.subscribed) {
      this.buffer.push(value);
    }
  }

  complete(): void {
    if (!this.terminal) {
      this.terminal = 'complete';
      this.deliverTerminal();
    }
  }

  error(err: unknown): void {
    if (!this.terminal) {
      this.terminal = { error: err };
      this.deliverTerminal();
    }
  }

  private deliverTerminal(): void {
    const subscriber = this.subscriber;
    if (!subscriber || !this.terminal) {
      return;
    }
    this.subscriber = undefined;
    if (this.terminal === 'complete') {
      subscriber.complete();
    } else {
      subscriber.error(this.terminal.error);
    }
  }
}

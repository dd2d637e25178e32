import type * as ObservableModule from 'rxjs/internal/Observable';

import { rxjsInternal } from './rxjs-internal';

const { Observable } = rxjsInternal<typeof ObservableModule>('Observable');
type Observable<T> = ObservableModule.Observable<T>;

/** What a channel delivers to: an rxjs subscriber, or a plain object with these three methods (see `attach`). */
export interface ChannelObserver<T> {
  next(value: T): void;
  error(err: unknown): void;
  complete(): void;
}

/**
 * A single-subscriber hot channel: values and the terminal event produced before the (first) subscription are
 * buffered and delivered on subscription; afterwards values go straight through, synchronously. The subscriber is
 * either an rxjs one (`observable$`) or a plain observer (`attach`): a server attaches one object per accepted
 * connection instead of an Observable, a Subscriber and their closures (issue 12, the cost of a connection).
 */
export class HotChannel<T> {
  private subscriber: ChannelObserver<T> | undefined;
  /** Values produced before the subscription (allocated with the first one). */
  private buffer: T[] | undefined;
  private terminal: { error: unknown } | 'complete' | undefined;
  private subscribed = false;
  private observable: Observable<T> | undefined;

  /** @param onSubscribe called once, synchronously, when the first subscriber arrives (after buffered values). */
  constructor(private readonly onSubscribe?: () => void) {}

  /** The observable side; a second subscriber (or one after `attach`) gets an error. Built when first asked for. */
  get observable$(): Observable<T> {
    return (this.observable ??= new Observable<T>((subscriber) => {
      if (!this.attach(subscriber)) {
        subscriber.error(new Error('this observable supports a single subscriber'));
        return undefined;
      }
      return () => this.detach(subscriber);
    }));
  }

  /**
   * Subscribe `observer` (the one subscriber): buffered values and a buffered terminal event are delivered at once,
   * then everything as it comes. Returns false (and delivers nothing) if the channel already had a subscriber.
   */
  attach(observer: ChannelObserver<T>): boolean {
    if (this.subscribed) return false;
    this.subscribed = true;
    this.subscriber = observer;
    const buffered = this.buffer;
    this.buffer = undefined;
    if (buffered !== undefined) for (const value of buffered) observer.next(value);
    this.deliverTerminal();
    if (!this.terminal) {
      this.onSubscribe?.();
    }
    return true;
  }

  /** Stop delivering to `observer` (later values are dropped, as after an unsubscription). */
  detach(observer: ChannelObserver<T>): void {
    if (this.subscriber === observer) this.subscriber = undefined;
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
      (this.buffer ??= []).push(value);
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

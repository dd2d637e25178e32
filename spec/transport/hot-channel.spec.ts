/**
 * HotChannel: one subscriber, either an rxjs one (`observable$`) or a plain observer (`attach`, what the server
 * uses per accepted connection); what came before the subscription is delivered on it, in order.
 */
import { HotChannel } from '../../lib/transport/hot-channel';

const recorder = (): { log: string[]; next(v: number): void; error(e: unknown): void; complete(): void } => {
  const log: string[] = [];
  return {
    log,
    next: (v) => log.push(`next ${v}`),
    error: (e) => log.push(`error ${String(e)}`),
    complete: () => log.push('complete'),
  };
};

describe('HotChannel', () => {
  it('delivers buffered values, then live ones, to an attached observer; onSubscribe once, after the buffer', () => {
    const calls: string[] = [];
    const ch = new HotChannel<number>(() => calls.push('subscribed'));
    ch.next(1);
    ch.next(2);
    const o = recorder();
    expect(ch.attach(o)).toBe(true);
    calls.push(...o.log);
    ch.next(3);
    ch.complete();
    ch.next(4);
    expect(calls).toEqual(['subscribed', 'next 1', 'next 2']);
    expect(o.log).toEqual(['next 1', 'next 2', 'next 3', 'complete']);
    expect(ch.active).toBe(false);
    expect(ch.closed).toBe(true);
  });

  it('delivers a terminal event that came before the observer, and then does not call onSubscribe', () => {
    const calls: string[] = [];
    const ch = new HotChannel<number>(() => calls.push('subscribed'));
    ch.next(1);
    ch.error('boom');
    const o = recorder();
    expect(ch.attach(o)).toBe(true);
    expect(o.log).toEqual(['next 1', 'error boom']);
    expect(calls).toEqual([]);
  });

  it('has one subscriber: a second attach is refused, a later rxjs subscriber gets an error', () => {
    const ch = new HotChannel<number>();
    const first = recorder();
    const second = recorder();
    expect(ch.attach(first)).toBe(true);
    expect(ch.attach(second)).toBe(false);
    const errors: unknown[] = [];
    ch.observable$.subscribe({ error: (e: unknown) => errors.push(e) });
    ch.next(7);
    expect(first.log).toEqual(['next 7']);
    expect(second.log).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('stops delivering to a detached observer (an rxjs unsubscription detaches too)', () => {
    const ch = new HotChannel<number>();
    const seen: number[] = [];
    const sub = ch.observable$.subscribe((v) => seen.push(v));
    ch.next(1);
    sub.unsubscribe();
    ch.next(2);
    expect(seen).toEqual([1]);
    expect(ch.active).toBe(false);
    const o = recorder();
    const ch2 = new HotChannel<number>();
    ch2.attach(o);
    ch2.detach(o);
    ch2.next(3);
    expect(o.log).toEqual([]);
  });
});

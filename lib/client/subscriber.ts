/**
 * Subscriptions kept on every connected server with the same subscription id, their matches merged (§13.2) into
 * one Observable per subscription. Unsubscribing from the Observable unsubscribes on every server.
 *
 * @example
 * const subs = new Subscriber(() => links);
 * subs.subscribe('(name=foo)').subscribe((m) => console.log(m.type, m.serviceId));
 */
import { Observable, type Subscriber as RxSubscriber } from 'rxjs';

import { parseFilter } from '../filter/parse';
import { PafFilterError, PafRequestError } from './errors';
import type { Link } from './link';
import { emptyMerge, mergeStep, nextMergeDeadline, type MergeInput, type MergeState } from './merge';
import { fromWireProps } from './props';
import { randomId63 } from './publisher';
import type { Session } from './session';
import type { ServerMsg } from './transactions';
import type { Match, ServiceRecord } from './types';

interface Sub {
  readonly id: bigint;
  readonly filter: string | undefined;
  readonly sink: RxSubscriber<Match>;
  state: MergeState;
  timer: NodeJS.Timeout | undefined;
  /** Links on which the subscription is open (subscribe sent). */
  readonly on: Set<Link>;
}

/** Throw a {@link PafFilterError} if `filter` is not valid. */
export const checkFilter = (filter: string | undefined): void => {
  if (filter === undefined) return;
  const r = parseFilter(filter);
  if (r._tag === 'Left') throw new PafFilterError(filter, r.left.reason, r.left.position);
};

/** A `services`/`subscribe` notify → a service record. */
export const recordOf = (m: ServerMsg): ServiceRecord => {
  const r: ServiceRecord = {
    serviceId: m['service-id'] as bigint,
    generation: m.generation as bigint,
    props: fromWireProps(m['service-props'] as Map<string, Array<string | bigint>>),
    ttl: Number(m.ttl as bigint),
    clientId: m['client-id'] as bigint,
  };
  return m['orphan-since'] === undefined ? r : { ...r, orphanSince: m['orphan-since'] as number };
};

const sourceOf = (link: Link): string => link.address;

export class Subscriber {
  private readonly subs = new Map<bigint, Sub>();

  constructor(private readonly links: () => Iterable<Link>) {}

  subscribe(filter?: string): Observable<Match> {
    return new Observable<Match>((sink) => {
      try {
        checkFilter(filter);
      } catch (e) {
        sink.error(e);
        return undefined;
      }
      const sub: Sub = { id: randomId63(), filter, sink, state: emptyMerge, timer: undefined, on: new Set() };
      this.subs.set(sub.id, sub);
      for (const link of this.links()) if (link.session) this.open(sub, link, link.session);
      return () => this.close(sub);
    });
  }

  private apply(sub: Sub, input: MergeInput): void {
    const { state, out } = mergeStep(sub.state, input);
    sub.state = state;
    for (const m of out) sub.sink.next(m);
    clearTimeout(sub.timer);
    sub.timer = undefined;
    const next = nextMergeDeadline(state);
    if (next === undefined || this.subs.get(sub.id) !== sub) return;
    sub.timer = setTimeout(
      () => this.apply(sub, { kind: 'tick', now: Date.now() / 1000 }),
      Math.max(0, next * 1000 - Date.now()) + 5,
    );
  }

  private open(sub: Sub, link: Link, session: Session): void {
    sub.on.add(link);
    const source = sourceOf(link);
    const fields =
      sub.filter === undefined ? { 'subscription-id': sub.id } : { 'subscription-id': sub.id, filter: sub.filter };
    session.start(
      'subscribe',
      fields,
      {
        notify: (m) => {
          if (this.subs.get(sub.id) !== sub) return;
          const type = m['match-type'] as Match['type'];
          if (type === 'disappeared')
            this.apply(sub, { kind: 'disappeared', source, serviceId: m['service-id'] as bigint });
          else this.apply(sub, { kind: 'match', source, match: { type, ...recordOf(m) } });
        },
        fail: (reason) => {
          sub.on.delete(link);
          if (this.subs.get(sub.id) !== sub) return;
          this.close(sub);
          sub.sink.error(new PafRequestError('subscribe', reason));
        },
      },
      true,
    );
  }

  private close(sub: Sub): void {
    if (this.subs.get(sub.id) !== sub) return;
    this.subs.delete(sub.id);
    clearTimeout(sub.timer);
    for (const link of sub.on)
      link.session?.request('unsubscribe', { 'subscription-id': sub.id }, true).catch(() => undefined);
    sub.on.clear();
  }

  /** A link came up: open every subscription on it. */
  linkUp(link: Link, session: Session): void {
    for (const sub of this.subs.values()) this.open(sub, link, session);
  }

  /** A link went down: its reports are kept until the services' TTLs run out. */
  linkDown(link: Link): void {
    const now = Date.now() / 1000;
    for (const sub of [...this.subs.values()]) {
      sub.on.delete(link);
      this.apply(sub, { kind: 'lost', source: sourceOf(link), now });
    }
  }

  /** Complete every subscription (client closed). */
  completeAll(): void {
    for (const sub of [...this.subs.values()]) {
      this.close(sub);
      sub.sink.complete();
    }
  }
}

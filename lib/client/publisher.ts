/**
 * The client's own services, kept in sync on every connected server (§13.2): publish on every link that is up,
 * republish everything (current generation) when a link comes up, unpublish everywhere. Tracks which generation
 * each link has completed so that callers can await "synced".
 *
 * @example
 * const p = new Publisher(() => links, 30);
 * const h = p.publish({ name: 'foo' });
 * await h.synced;
 */
import { randomBytes } from 'node:crypto';

import type { Props } from '../filter/props';
import { PafRequestError } from './errors';
import type { Link } from './link';
import { fromWireProps, toWireProps } from './props';
import type { Session } from './session';
import type { PropsInput, ServiceProps } from './types';

/** A random 63-bit id (service, subscription and client ids). */
export const randomId63 = (): bigint => randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;

/** A published service, as returned by `publish`. */
export interface ServiceHandle {
  readonly id: bigint;
  readonly generation: bigint;
  readonly props: ServiceProps;
  readonly ttl: number;
  /** Resolves when every connected server (at least one) has completed the initial publish. */
  readonly synced: Promise<void>;
  /** Replace the properties (generation + 1); resolves when synced. */
  modify(props: PropsInput): Promise<void>;
  /** Change the TTL (generation + 1); resolves when synced. */
  setTtl(ttl: number): Promise<void>;
  /** Unpublish on every connected server. */
  unpublish(): Promise<void>;
}

interface Waiter {
  readonly generation: bigint;
  resolve(): void;
  reject(e: Error): void;
}

interface OwnService {
  readonly id: bigint;
  generation: bigint;
  props: Props;
  ttl: number;
  waiters: Waiter[];
}

/** A promise whose rejection is never "unhandled" (callers may ignore it). */
const quiet = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined);
  return p;
};

export class Publisher {
  private readonly services = new Map<bigint, OwnService>();
  private readonly acked = new Map<Link, Map<bigint, bigint>>();

  constructor(
    private readonly links: () => Iterable<Link>,
    private readonly defaultTtl: number,
  ) {}

  /** TTLs of the own services (for the idle time). */
  ttls(): number[] {
    return [...this.services.values()].map((s) => s.ttl);
  }

  publish(input: PropsInput, opts: { ttl?: number; id?: bigint; generation?: bigint } = {}): ServiceHandle {
    const ttl = opts.ttl ?? this.defaultTtl;
    if (!Number.isInteger(ttl) || ttl < 0) throw new TypeError(`ttl must be a non-negative integer, got ${ttl}`);
    const svc: OwnService = {
      id: opts.id ?? randomId63(),
      generation: opts.generation ?? 0n,
      props: toWireProps(input),
      ttl,
      waiters: [],
    };
    if (this.services.has(svc.id)) throw new TypeError(`service 0x${svc.id.toString(16)} is already published`);
    this.services.set(svc.id, svc);
    const synced = this.changed(svc);
    const update = (props: Props, t: number): Promise<void> => {
      if (this.services.get(svc.id) !== svc) return quiet(Promise.reject(new Error('service is unpublished')));
      svc.generation++;
      svc.props = props;
      svc.ttl = t;
      return this.changed(svc);
    };
    return {
      id: svc.id,
      get generation() {
        return svc.generation;
      },
      get props() {
        return fromWireProps(svc.props);
      },
      get ttl() {
        return svc.ttl;
      },
      synced,
      modify: (props) => update(toWireProps(props), svc.ttl),
      setTtl: (t) => update(svc.props, t),
      unpublish: () => this.unpublish(svc),
    };
  }

  private changed(svc: OwnService): Promise<void> {
    const p = quiet(
      new Promise<void>((resolve, reject) => svc.waiters.push({ generation: svc.generation, resolve, reject })),
    );
    for (const link of this.links()) if (link.session) this.send(link, link.session, svc);
    return p;
  }

  private send(link: Link, session: Session, svc: OwnService): void {
    const generation = svc.generation;
    session
      .request('publish', { 'service-id': svc.id, generation, 'service-props': svc.props, ttl: BigInt(svc.ttl) }, true)
      .then(
        () => {
          this.acked.get(link)?.set(svc.id, generation);
          this.check(svc);
        },
        (e: Error) => {
          if (!(e instanceof PafRequestError)) return; // connection lost: republished after reconnect
          for (const w of svc.waiters.splice(0)) w.reject(e);
          link.restart(e); // libpaf drops and re-establishes a link after any fail
        },
      );
  }

  private check(svc: OwnService): void {
    let min: bigint | undefined;
    for (const link of this.links()) {
      if (!link.session) continue;
      const g = this.acked.get(link)?.get(svc.id) ?? -1n;
      min = min === undefined || g < min ? g : min;
    }
    if (min === undefined) return;
    const done = svc.waiters.filter((w) => w.generation <= min!);
    svc.waiters = svc.waiters.filter((w) => w.generation > min!);
    done.forEach((w) => w.resolve());
  }

  private unpublish(svc: OwnService): Promise<void> {
    if (this.services.get(svc.id) !== svc) return Promise.resolve();
    this.services.delete(svc.id);
    for (const w of svc.waiters.splice(0)) w.reject(new Error('service unpublished'));
    const all = [...this.links()].flatMap((link) => {
      if (!link.session) return [];
      this.acked.get(link)?.delete(svc.id);
      return [
        link.session.request('unpublish', { 'service-id': svc.id }, true).then(
          () => undefined,
          (e: Error) => {
            if (e instanceof PafRequestError && e.failReason !== 'non-existent-service-id') throw e;
          },
        ),
      ];
    });
    return quiet(Promise.all(all).then(() => undefined));
  }

  /** A link came up: publish every service on it. */
  linkUp(link: Link, session: Session): void {
    this.acked.set(link, new Map());
    for (const svc of this.services.values()) this.send(link, session, svc);
  }

  /** A link went down: forget what it had; pending syncs may now be satisfied by the remaining links. */
  linkDown(link: Link): void {
    this.acked.delete(link);
    for (const svc of this.services.values()) this.check(svc);
  }
}

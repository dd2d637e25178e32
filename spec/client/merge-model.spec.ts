/**
 * The merge, proven against a simple model: fast-check generates interleavings of directory changes on three
 * servers of one domain, their connections dropping and coming back (after the client's back-off), and time
 * passing. After every step the client core's merged view must equal what the libpaf rules say, recomputed from
 * scratch from what each server reported: the highest generation wins, a service is an orphan only when every
 * server that has it reports it orphaned (or lost its link), and it disappears only when gone everywhere (a lost
 * server's reports count until the service's TTL has run out). The stream of matches must fold into the same view,
 * and so must the public observables fed by the core's effects (views.ts, as the client wires them): `services$`,
 * `matches$` folded, and a `matches$` consumer that joins late.
 */
import fc from 'fast-check';

import { parseJson } from '../../lib/codec/json';
import { serverKey } from '../../lib/client/core/domain-file';
import { matchesOf, servicesOf, SubscriptionGroups } from '../../lib/client/views';
import type { Match, Service } from '../../lib/model';
import { CoreDriver } from './core-driver';

const ADDRS = ['tcp:127.0.0.1:1001', 'tcp:127.0.0.1:1002', 'tcp:127.0.0.1:1003'];
const KEY = '';

interface Entry {
  readonly generation: bigint;
  readonly clientId: bigint;
  readonly ttl: number;
  readonly orphanSince?: number;
  readonly lostAt?: number;
}

/** The model: per source what it said, and the record reported per service. */
class Model {
  readonly sources = new Map<string, Map<bigint, Entry>>(ADDRS.map((a) => [serverKey({ address: a }), new Map()]));
  readonly best = new Map<bigint, { generation: bigint; clientId: bigint; ttl: number }>();

  private entries(id: bigint): Entry[] {
    return [...this.sources.values()].flatMap((m) => (m.has(id) ? [m.get(id)!] : []));
  }

  private dropIfGone(id: bigint): void {
    if (this.entries(id).length === 0) this.best.delete(id);
  }

  /** Apply the client-side timeouts due by `nowMs`, in time order. */
  expire(nowMs: number): void {
    for (;;) {
      let next: { at: number; source: string; id: bigint } | undefined;
      for (const [source, m] of this.sources)
        for (const [id, e] of m) {
          if (e.lostAt === undefined) continue;
          const at = Math.round((Math.min(e.lostAt, e.orphanSince ?? Infinity) + e.ttl) * 1000);
          if (at <= nowMs && (next === undefined || at < next.at)) next = { at, source, id };
        }
      if (next === undefined) return;
      this.sources.get(next.source)!.delete(next.id);
      this.dropIfGone(next.id);
    }
  }

  report(source: string, id: bigint, e: Entry): void {
    const present = this.entries(id).length > 0;
    this.sources.get(source)!.set(id, e);
    const b = this.best.get(id);
    if (
      !present ||
      b === undefined ||
      e.generation > b.generation ||
      (e.generation === b.generation && e.clientId !== b.clientId)
    )
      this.best.set(id, { generation: e.generation, clientId: e.clientId, ttl: e.ttl });
  }

  gone(source: string, id: bigint): void {
    this.sources.get(source)!.delete(id);
    this.dropIfGone(id);
  }

  lost(source: string, nowS: number): void {
    const m = this.sources.get(source)!;
    for (const [id, e] of m) if (e.lostAt === undefined) m.set(id, { ...e, lostAt: nowS });
  }

  /** The merged view: id → generation, owner and orphan time. */
  view(): Map<bigint, string> {
    const out = new Map<bigint, string>();
    for (const [id, b] of this.best) {
      const es = this.entries(id);
      const live = es.some((e) => e.orphanSince === undefined && e.lostAt === undefined);
      const since = live
        ? undefined
        : Math.min(
            ...es.map((e) => (e.lostAt === undefined ? e.orphanSince! : Math.min(e.lostAt, e.orphanSince ?? Infinity))),
          );
      out.set(id, `g${b.generation}:c${b.clientId}${since === undefined ? '' : `:o${since}`}`);
    }
    return out;
  }
}

const viewOf = (services: Iterable<Service>): Map<bigint, string> =>
  new Map(
    [...services].map((s) => [
      s.id,
      `g${s.generation}:c${s.clientId}${s.orphanSince === undefined ? '' : `:o${s.orphanSince}`}`,
    ]),
  );

type Cmd =
  | {
      readonly kind: 'upsert';
      readonly server: number;
      readonly id: bigint;
      readonly gen: bigint;
      readonly owner: bigint;
      readonly orphan: boolean;
    }
  | { readonly kind: 'remove'; readonly server: number; readonly id: bigint }
  | { readonly kind: 'drop'; readonly server: number }
  | { readonly kind: 'advance'; readonly ms: number };

const server = fc.integer({ min: 0, max: 2 });
const id = fc.bigInt({ min: 1n, max: 4n });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('upsert' as const),
      server,
      id,
      gen: fc.bigInt({ min: 0n, max: 3n }),
      owner: fc.bigInt({ min: 1n, max: 2n }),
      orphan: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), server, id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), server }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2500 }) }) },
);

/** Run a scenario; after every command compare the core's view with the model's and with the folded matches. */
const check = (cmds: readonly Cmd[], seed: number): void => {
  const d = new CoreDriver(ADDRS, { reconnectMin: 0.1, reconnectMax: 0.5 }, seed);
  const model = new Model();
  const folded = new Map<bigint, Service>();
  const sourceOfConn = (conn: number): string | undefined => {
    const link = d.state.links.find((l) => l.conn === conn);
    return link?.key;
  };
  // observe what the core is fed: notifications and lost connections, in order
  d.observe = (events) => {
    model.expire(d.now);
    for (const ev of events) {
      if (ev.type === 'closed') {
        const source = sourceOfConn(ev.conn);
        if (source !== undefined && d.state.links.find((l) => l.key === source)?.phase === 'up')
          model.lost(source, d.now / 1000);
      }
      if (ev.type !== 'frame') continue;
      const m = (parseJson(ev.data) as { right: Record<string, unknown> }).right;
      if (m['ta-cmd'] !== 'subscribe' || m['msg-type'] !== 'notify') continue;
      const source = sourceOfConn(ev.conn)!;
      const sid = m['service-id'] as bigint;
      if (m['match-type'] === 'disappeared') model.gone(source, sid);
      else
        model.report(source, sid, {
          generation: m.generation as bigint,
          clientId: m['client-id'] as bigint,
          ttl: Number(m.ttl),
          ...(m['orphan-since'] === undefined ? {} : { orphanSince: Number(m['orphan-since']) }),
        });
    }
  };
  // the public views, fed from the core's effects as lib/client/client.ts does
  const groups = new SubscriptionGroups(
    () => undefined,
    () => undefined,
    () => undefined,
  );
  let services: ReadonlyMap<bigint, Service> | undefined;
  const publicFolded = new Map<bigint, Service>();
  const subs = [
    servicesOf(groups.batches$(undefined)).subscribe((m) => (services = m)),
    matchesOf(groups.batches$(undefined)).subscribe((mt) => {
      if (mt.type === 'disappeared') publicFolded.delete(mt.service.id);
      else publicFolded.set(mt.service.id, mt.service);
    }),
  ];
  let late: Map<bigint, Service> | undefined;
  d.onEffects = (fx) => {
    for (const mt of CoreDriver.matches(fx, KEY)) fold(mt);
    for (const e of fx) if (e.type === 'matches' && e.key === KEY) groups.deliver(e.key, e.view, e.changes);
  };
  const fold = (mt: Match): void => {
    const present = folded.has(mt.service.id);
    if (mt.type === 'appeared') expect(present).toBe(false);
    else expect(present).toBe(true);
    if (mt.type === 'disappeared') folded.delete(mt.service.id);
    else folded.set(mt.service.id, mt.service);
  };
  d.run([{ type: 'subscribe', key: KEY, id: 77n, filter: undefined }]);
  cmds.forEach((c, i) => {
    if (i === Math.floor(cmds.length / 2)) {
      // a consumer joining half-way starts from the current view (appeared for each), then follows
      late = new Map();
      const mine = late;
      subs.push(
        matchesOf(groups.batches$(undefined)).subscribe((mt) => {
          if (mt.type === 'disappeared') mine.delete(mt.service.id);
          else mine.set(mt.service.id, mt.service);
        }),
      );
    }
    switch (c.kind) {
      case 'upsert': {
        const orphanSince = c.orphan ? Math.floor(d.now / 1000) : undefined;
        d.upsert(ADDRS[c.server]!, {
          id: c.id,
          generation: c.gen,
          clientId: c.owner,
          ttl: Number(c.id),
          ...(orphanSince === undefined ? {} : { orphanSince }),
        });
        break;
      }
      case 'remove':
        d.remove(ADDRS[c.server]!, c.id);
        break;
      case 'drop':
        d.drop(ADDRS[c.server]!);
        break;
      case 'advance':
        d.advanceTo(d.now + c.ms);
        break;
    }
    d.advanceTo(d.now); // deadlines already due fire at once (the shell's timer has no delay left)
    model.expire(d.now);
    const core = d.state.subs.get(KEY)!.merge;
    expect(viewOf([...core.values()].map((x) => x.record))).toEqual(model.view());
    expect(viewOf(folded.values())).toEqual(model.view());
    expect(viewOf(services!.values())).toEqual(model.view());
    expect(viewOf(publicFolded.values())).toEqual(model.view());
    if (late !== undefined) expect(viewOf(late.values())).toEqual(model.view());
  });
  subs.forEach((x) => x.unsubscribe());
};

describe('merged view of three servers equals the libpaf model', () => {
  it('for generated interleavings of notifications, disconnects, reconnects and time', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), fc.integer(), (cmds, seed) => check(cmds, seed)),
      { numRuns: 300 },
    );
  });

  it('in a hand-written scenario: lagging server, orphan on one side, loss and expiry', () => {
    check(
      [
        { kind: 'upsert', server: 0, id: 1n, gen: 2n, owner: 1n, orphan: false },
        { kind: 'upsert', server: 1, id: 1n, gen: 1n, owner: 1n, orphan: true },
        { kind: 'drop', server: 0 },
        { kind: 'advance', ms: 3000 },
        { kind: 'remove', server: 1, id: 1n },
        { kind: 'advance', ms: 3000 },
      ],
      7,
    );
  });
});

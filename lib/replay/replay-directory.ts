/**
 * A plain projection of a domain's directory (clients, services, subscriptions), for `rxpaf-replay --at`, for JSON
 * output and for comparing a replayed state with a live one in tests. Ids stay exact (bigint).
 *
 * @example
 * const view = directoryView(server.domains[0].snapshot());
 * console.log(renderDirectory(view)); // three aligned tables
 * console.log(directoryJson(view));   // the same as JSON, integers exact
 */
import { stringifyJson, type Json } from '../codec/json';
import type { DomainState } from '../state/model';
import { subscriptionsInOrder } from '../state/selectors';

/** A client row; `clientId` as in the public model's `ClientInfo` and `Service` (not `id`). */
export interface ClientView {
  readonly clientId: bigint;
  readonly user: string;
  /** The connection the client is connected on, if any. */
  readonly conn?: number;
  readonly address?: string;
  readonly records: readonly number[];
  readonly services: number;
}
export interface ServiceView {
  readonly id: bigint;
  readonly generation: bigint;
  readonly clientId: bigint;
  readonly user: string;
  readonly ttl: bigint;
  readonly orphanSince?: number;
  readonly props: { readonly [key: string]: ReadonlyArray<string | bigint> };
}
export interface SubscriptionView {
  readonly id: bigint;
  readonly clientId: bigint;
  readonly conn: number;
  readonly filter?: string;
}
export interface DirectoryView {
  readonly now: number;
  readonly connections: number;
  readonly clients: readonly ClientView[];
  readonly services: readonly ServiceView[];
  readonly subscriptions: readonly SubscriptionView[];
}

const byId = <T extends { readonly id: bigint }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Project a domain state; rows sorted by id. */
export const directoryView = (s: DomainState): DirectoryView => ({
  now: s.now,
  connections: s.conns.size,
  clients: [...s.clients.values()]
    .map((c): ClientView => {
      const conn = c.active !== undefined ? s.conns.get(c.active) : undefined;
      return {
        clientId: c.id,
        user: c.user,
        ...(c.active !== undefined ? { conn: c.active } : {}),
        ...(conn !== undefined ? { address: conn.address } : {}),
        records: [...c.records],
        services: c.records.reduce((n, r) => n + (s.records.get(r)?.services.size ?? 0), 0),
      };
    })
    .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0)),
  services: [...s.services.values()]
    .map((v): ServiceView => ({
      id: v.id,
      generation: v.generation,
      clientId: v.clientId,
      user: v.user,
      ttl: v.ttl,
      ...(v.orphanSince !== undefined ? { orphanSince: v.orphanSince } : {}),
      props: Object.fromEntries(v.props),
    }))
    .sort(byId),
  subscriptions: [...subscriptionsInOrder(s)]
    .map((v): SubscriptionView => ({
      id: v.id,
      clientId: v.clientId,
      conn: v.conn,
      ...(v.filterText !== undefined ? { filter: v.filterText } : {}),
    }))
    .sort(byId),
});

/** A seconds-since-epoch time as ISO 8601 (UTC, ms). */
export const isoTime = (t: number): string => {
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
};

/** Align columns: the first row is the header; columns of numbers (or '-') are right-aligned, except the first. */
export const table = (rows: ReadonlyArray<readonly string[]>, indent = '  '): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const numeric = rows[0]!.map(
    (_, i) =>
      i > 0 &&
      rows.slice(1).every((r) => /^-?[\d.]+$|^-$/.test(r[i] ?? '-')) &&
      rows.slice(1).some((r) => /^-?[\d.]+$/.test(r[i] ?? '')),
  );
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
};

const propsText = (p: ServiceView['props']): string => stringifyJson(p);

/** The directory as three aligned tables. */
export const renderDirectory = (v: DirectoryView): string => {
  const clients = table([
    ['client', 'user', 'conn', 'address', 'services'],
    ...v.clients.map((c) => [
      String(c.clientId),
      c.user,
      c.conn !== undefined ? String(c.conn) : '-',
      c.address ?? '-',
      String(c.services),
    ]),
  ]);
  const services = table([
    ['service', 'gen', 'client', 'ttl', 'orphan since', 'props'],
    ...v.services.map((s) => [
      String(s.id),
      String(s.generation),
      String(s.clientId),
      String(s.ttl),
      s.orphanSince !== undefined ? isoTime(s.orphanSince) : '-',
      propsText(s.props),
    ]),
  ]);
  const subs = table([
    ['subscription', 'client', 'conn', 'filter'],
    ...v.subscriptions.map((s) => [String(s.id), String(s.clientId), String(s.conn), s.filter ?? '-']),
  ]);
  return (
    `directory at ${isoTime(v.now)}: ${v.connections} connections\n` +
    `clients (${v.clients.length})\n${clients}\n` +
    `services (${v.services.length})\n${services}\n` +
    `subscriptions (${v.subscriptions.length})\n${subs}\n`
  );
};

/** Drop `undefined` members so a value is {@link Json}. */
const toJson = (v: unknown): Json =>
  Array.isArray(v)
    ? v.map(toJson)
    : typeof v === 'object' && v !== null
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x !== undefined)
            .map(([k, x]) => [k, toJson(x)]),
        )
      : (v as Json);

/** The directory as JSON text (integers exact), one row per line. */
export const directoryJson = (v: DirectoryView, extra: Readonly<Record<string, Json>> = {}): string => {
  const rows = (xs: readonly unknown[]): string =>
    xs.length === 0 ? '[]' : '[\n' + xs.map((x) => '    ' + stringifyJson(toJson(x))).join(',\n') + '\n  ]';
  const head = Object.entries({ ...extra, now: v.now, connections: v.connections })
    .map(([k, x]) => `  ${JSON.stringify(k)}: ${stringifyJson(x)}`)
    .join(',\n');
  return `{\n${head},\n  "clients": ${rows(v.clients)},\n  "services": ${rows(v.services)},\n  "subscriptions": ${rows(v.subscriptions)}\n}\n`;
};

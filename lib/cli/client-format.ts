/**
 * Output of rxpafc: aligned tables and pafc-style lines for people, one JSON object per line for scripts (the
 * public model written by `toJson`: ids exact).
 *
 * @example
 * formatTable(['Id', 'Name'], [['0x1', 'foo']]); // 'Id   Name\n0x1  foo\n'
 * jsonLine({ id: 2n ** 62n }); // '{"id":4611686018427387904}\n'
 */
import { toJson } from '../json';
import type { ClientInfo, Match, Service, ServiceProps, SubscriptionInfo } from '../model';

/** `0x` + lower-case hex, as pafc prints ids. */
export const hex = (n: bigint): string => `0x${n.toString(16)}`;

/** Parse a hex id with or without `0x`; undefined if not a valid 63-bit value. */
export const parseHexId = (s: string | undefined): bigint | undefined => {
  if (s === undefined || !/^(0x)?[0-9a-f]{1,16}$/i.test(s)) return undefined;
  const v = BigInt('0x' + s.replace(/^0x/i, ''));
  return v <= 0x7fffffffffffffffn ? v : undefined;
};

/** Columns padded to the widest cell, separated by two spaces. */
export const formatTable = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd() + '\n';
  return line(headers) + rows.map(line).join('');
};

/** One JSON object per line (the public model; bigints as exact integers). */
export const jsonLine = (o: unknown): string => toJson(o) + '\n';

/** Properties the way pafc prints them: {'name': ['foo'], 'port': [4711]}. */
export const formatProps = (p: ServiceProps): string =>
  '{' +
  Object.keys(p)
    .map((k) => `'${k}': [${p[k]!.map((v) => (typeof v === 'bigint' ? v.toString() : `'${v}'`)).join(', ')}]`)
    .join(', ') +
  '}';

const secondsLeft = (r: { orphanSince?: number; ttl: number }, now: number): string =>
  r.orphanSince === undefined ? '-' : `${Math.max(0, r.orphanSince + r.ttl - now).toFixed(1)}`;

export const servicesTable = (list: readonly Service[], now: number): string =>
  formatTable(
    ['Service Id', 'Gen', 'TTL', 'Orphan Tmo', 'Client Id', 'Properties'],
    list.map((s) => [
      hex(s.id),
      s.generation.toString(),
      String(s.ttl),
      secondsLeft(s, now),
      hex(s.clientId),
      formatProps(s.props),
    ]),
  );

export const clientsTable = (list: readonly ClientInfo[], v3: boolean, now: number): string => {
  const base = ['Client Id', 'Remote Address', 'Uptime'];
  const rows = list.map((c) => {
    const row = [hex(c.clientId), c.address, `${Math.max(0, Math.round(now - c.connectedAt))} s`];
    if (!v3) return row;
    const latency = c.latency === undefined ? '-' : `${(c.latency * 1000).toFixed(1)}`;
    return [...row, (c.idle ?? 0).toFixed(1), latency, String(c.protocolVersion ?? '-')];
  });
  return formatTable(v3 ? [...base, 'Idle [s]', 'Latency [ms]', 'Version'] : base, rows);
};

export const subscriptionsTable = (list: readonly SubscriptionInfo[]): string =>
  formatTable(
    ['Subscription Id', 'Client Id', 'Filter'],
    list.map((s) => [hex(s.id), hex(s.clientId), s.filter ?? '-']),
  );

/** pafc's asynchronous match line. */
export const matchLine = (subscriptionId: bigint, m: Match, now: number): string => {
  const s = m.service;
  const parts = [`Match type: ${m.type}`, `Service id: ${hex(s.id)}`];
  if (m.type !== 'disappeared') {
    parts.push(`Generation: ${s.generation}`, `TTL: ${s.ttl}`);
    if (s.orphanSince !== undefined) parts.push(`Orphan: ${secondsLeft(s, now)} s until timeout`);
    parts.push(`Client Id: ${hex(s.clientId)}`, `Properties: ${formatProps(s.props)}`);
  }
  return `Subscription ${hex(subscriptionId)}: ${parts.join('; ')}\n`;
};

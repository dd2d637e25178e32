/**
 * The sidecar index of an event log (`events.ndjson.idx` beside `events.ndjson`; rotated with it): one NDJSON line
 * per checkpoint the recorder wrote (./record.ts), so a replay can start from the nearest snapshot instead of the
 * file's start, and a history look-up can skip the stretches of the log where the service or client cannot appear.
 *
 *   {"seq":99999,"at":1700000123.5,"offset":52428800,"line":300012,"headers":[[0,0,1]],"domains":[0],
 *    "services":"AAEC…","clients":"","bytes":48210}
 *
 * `offset`/`line` (byte offset, 1-based line) is where the checkpoint's lines start: the snapshot of each domain in
 * `domains` (the state after event `seq`, at time `at`), preceded by their headers at the top of a rotated file
 * (`headers` empty); elsewhere `headers` says where each domain's header line is ([domain, offset, line]). A
 * periodic checkpoint's snapshots are encoded in slices while the server goes on, so they land later in the file:
 * `snapshots` says where ([domain, offset, line]) and `offset`/`line` is where the events after `seq` start.
 * `services` and `clients` are Bloom filters (base64; "" = empty) of the service ids published and the client ids
 * greeted (hello) since the previous checkpoint: a service absent from the state at one checkpoint and from the
 * next checkpoint's filter did not exist in between. `bytes` is the size of the checkpoint's snapshot lines (what a
 * replay from it decodes first; `rxpaf-replay --jobs` does not start a thread where that is large).
 *
 * @example
 * const entries = readIndex('events.ndjson'); // undefined if there is no index
 * const from = entries?.filter((e) => e.seq <= 150000).pop();
 */
import { existsSync, readFileSync } from 'node:fs';

/** One checkpoint. */
export interface IndexEntry {
  readonly seq: number;
  readonly at: number;
  readonly offset: number;
  readonly line: number;
  readonly headers: ReadonlyArray<readonly [domain: number, offset: number, line: number]>;
  readonly domains: readonly number[];
  /** Bloom filter (base64) of the service ids published since the previous checkpoint. */
  readonly services: string;
  /** Bloom filter (base64) of the client ids greeted since the previous checkpoint. */
  readonly clients: string;
  /**
   * Where each domain's snapshot line is ([domain, offset, line]) when it is not at `offset`: a snapshot encoded in
   * slices while the server went on lands after the events that followed the checkpoint; `offset`/`line` is then
   * where those events start.
   */
  readonly snapshots?: ReadonlyArray<readonly [domain: number, offset: number, line: number]>;
  /**
   * The bytes of the checkpoint's snapshot lines, every domain's (what a replay starting here decodes first); absent
   * from indexes written before 7 December 2026.
   */
  readonly bytes?: number;
}

/** The index file of a log file. */
export const indexFile = (log: string): string => `${log}.idx`;

export const encodeIndexLine = (e: IndexEntry): string =>
  `{"seq":${e.seq},"at":${JSON.stringify(e.at)},"offset":${e.offset},"line":${e.line},` +
  `"headers":${JSON.stringify(e.headers)},"domains":${JSON.stringify(e.domains)},` +
  `"services":"${e.services}","clients":"${e.clients}"` +
  (e.snapshots !== undefined ? `,"snapshots":${JSON.stringify(e.snapshots)}` : '') +
  (e.bytes !== undefined ? `,"bytes":${e.bytes}}` : '}');

const isNat = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) >= 0;

/** Decode one index line; `undefined` if it is not a valid entry. */
export const decodeIndexLine = (line: string): IndexEntry | undefined => {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const { seq, at, offset, headers, domains, services, clients, snapshots, bytes } = o;
  const triples = (u: unknown): boolean =>
    Array.isArray(u) && u.every((h) => Array.isArray(h) && h.length === 3 && h.every(isNat));
  const ok =
    Number.isSafeInteger(seq) &&
    (seq as number) >= -1 &&
    typeof at === 'number' &&
    isNat(offset) &&
    isNat(o.line) &&
    triples(headers) &&
    (snapshots === undefined || triples(snapshots)) &&
    (bytes === undefined || isNat(bytes)) &&
    Array.isArray(domains) &&
    domains.every(isNat) &&
    typeof services === 'string' &&
    typeof clients === 'string';
  return ok ? (o as unknown as IndexEntry) : undefined;
};

/**
 * The checkpoints of a log file in order, or `undefined` when it has no index. Entries past the end of the log
 * (the log was truncated) and malformed lines (a crash while writing the index) are dropped.
 */
export const readIndex = (log: string, logSize: number): IndexEntry[] | undefined => {
  const f = indexFile(log);
  if (!existsSync(f)) return undefined;
  const out: IndexEntry[] = [];
  for (const l of readFileSync(f, 'utf8').split('\n')) {
    const e = l === '' ? undefined : decodeIndexLine(l);
    if (
      e !== undefined &&
      e.offset < logSize &&
      (e.snapshots ?? []).every(([, o]) => o < logSize) &&
      (out.length === 0 || e.offset > out[out.length - 1]!.offset)
    )
      out.push(e);
  }
  return out;
};

// ---------------------------------------------------------------------------------------------------------------
// Bloom filters of 63-bit ids

const K = 7;
const BITS_PER_ID = 10;

const mix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};
/** The K bit positions of an id in a filter of `m` bits (double hashing). */
const positions = (id: bigint, m: number): number[] => {
  const lo = Number(BigInt.asUintN(32, id));
  const hi = Number(BigInt.asUintN(32, id >> 32n));
  const h1 = mix(lo ^ Math.imul(hi, 0x9e3779b1));
  const h2 = mix(hi ^ Math.imul(lo, 0x27d4eb2f)) | 1;
  const out: number[] = [];
  for (let i = 0; i < K; i++) out.push(((h1 + Math.imul(i, h2)) >>> 0) % m);
  return out;
};

/** A set of ids, written as a Bloom filter (about 1 % false positives). */
export class IdSet {
  private readonly ids = new Set<bigint>();

  add(id: bigint): void {
    this.ids.add(id);
  }

  encode(): string {
    if (this.ids.size === 0) return '';
    const bytes = Buffer.alloc(Math.ceil((this.ids.size * BITS_PER_ID) / 8));
    const m = bytes.length * 8;
    for (const id of this.ids) for (const p of positions(id, m)) bytes[p >>> 3]! |= 1 << (p & 7);
    return bytes.toString('base64');
  }
}

/** Whether a filter written by {@link IdSet.encode} may contain `id` (false: certainly not). */
export const mayContain = (filter: string, id: bigint): boolean => {
  if (filter === '') return false;
  const bytes = Buffer.from(filter, 'base64');
  const m = bytes.length * 8;
  return positions(id, m).every((p) => (bytes[p >>> 3]! & (1 << (p & 7))) !== 0);
};

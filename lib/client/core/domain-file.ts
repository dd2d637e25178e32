/**
 * Domain files (§13.1), pure part: parse the line or JSON format into server specs; identify a server spec.
 *
 * @example
 * parseDomainFile('# servers\ntcp:127.0.0.1:4711\n'); // { servers: [{ address: 'tcp:127.0.0.1:4711' }] }
 * parseDomainFile('{"servers": [{"address": "tls:10.0.0.1:4711", "tlsTrustedCaFile": "/ca.pem"}]}');
 */
import type { TlsFiles } from '../../model';
import type { ServerSpec } from './types';

/** libpaf reads at most this much of a domain file. */
export const MAX_DOMAIN_FILE_SIZE = 64 * 1024;

/** Result of parsing: the servers, or why the file is unusable. */
export type DomainFileResult =
  { readonly servers: readonly ServerSpec[]; readonly error?: undefined } | { readonly error: string };

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const TLS_KEYS: ReadonlyArray<readonly [string, keyof TlsFiles]> = [
  ['tlsCertificateFile', 'cert'],
  ['tlsKeyFile', 'key'],
  ['tlsTrustedCaFile', 'tc'],
  ['tlsCrlFile', 'crl'],
];
const INT_KEYS = ['minProtocolVersion', 'maxProtocolVersion'] as const;
const NUM_KEYS = ['minIdleTime', 'maxIdleTime'] as const;

const parseServer = (u: unknown, i: number): ServerSpec | string => {
  if (!isObject(u)) return `server ${i}: not an object`;
  if (typeof u.address !== 'string' || u.address === '') return `server ${i}: missing "address"`;
  const spec: { -readonly [K in keyof ServerSpec]: ServerSpec[K] } = { address: u.address };
  const tls: { -readonly [K in keyof TlsFiles]: TlsFiles[K] } = {};
  for (const [key, field] of TLS_KEYS) {
    const v = u[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return `server ${i}: "${key}" must be a string`;
    tls[field] = v;
  }
  if (Object.keys(tls).length > 0) spec.tls = tls;
  if (u.localAddress !== undefined) {
    if (typeof u.localAddress !== 'string') return `server ${i}: "localAddress" must be a string`;
    spec.localAddress = u.localAddress;
  }
  for (const key of INT_KEYS) {
    const v = u[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return `server ${i}: "${key}" must be an integer`;
    spec[key] = v;
  }
  for (const key of NUM_KEYS) {
    const v = u[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0)) return `server ${i}: "${key}" must be a non-negative number`;
    spec[key] = v;
  }
  return spec;
};

const parseJsonFormat = (text: string): DomainFileResult => {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
  if (!isObject(doc) || !Array.isArray(doc.servers)) return { error: 'JSON domain file without a "servers" array' };
  const servers: ServerSpec[] = [];
  for (let i = 0; i < doc.servers.length; i++) {
    const s = parseServer(doc.servers[i], i);
    if (typeof s === 'string') return { error: s };
    servers.push(s);
  }
  return { servers };
};

/** Parse a domain file; the format is JSON if the first non-whitespace character is `{`, else one address per line. */
export const parseDomainFile = (text: string): DomainFileResult => {
  if (text.trimStart().startsWith('{')) return parseJsonFormat(text);
  const servers = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((address) => ({ address }));
  return { servers };
};

/** A stable identity of a server spec (address plus options), used to diff rescans. */
export const serverKey = (s: ServerSpec): string =>
  JSON.stringify([
    s.address,
    s.tls ?? null,
    s.localAddress ?? null,
    s.minProtocolVersion ?? null,
    s.maxProtocolVersion ?? null,
    s.minIdleTime ?? null,
    s.maxIdleTime ?? null,
  ]);

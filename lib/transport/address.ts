import { isIPv4, isIPv6 } from 'node:net';
import type { NativeSockName } from './native';

/** A parsed host part of a tcp/tls/utls address (§2.1). */
export type Host =
  | { readonly kind: 'ipv4'; readonly address: string }
  | { readonly kind: 'ipv6'; readonly address: string }
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'any4' }
  | { readonly kind: 'any6' };

/** A syntactically valid XCM address usable by Pathfinder. */
export type ParsedAddress =
  | { readonly transport: 'ux'; readonly name: string }
  | { readonly transport: 'uxf'; readonly path: string }
  | {
      readonly transport: 'tcp' | 'tls' | 'utls';
      readonly host: Host;
      /** The host text exactly as given (e.g. '127.0.0.1', '[::1]', 'myhost', '*'). */
      readonly hostText: string;
      readonly port: number;
    };

/** Result of parseAddress(): never throws, errors are values. */
export type ParseResult =
  { readonly ok: true; readonly value: ParsedAddress } | { readonly ok: false; readonly error: string };

const MAX_ADDRESS_LENGTH = 32 + 512 + 32 + 2;
const MAX_UX_NAME = 107;
const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const fail = (error: string): ParseResult => ({ ok: false, error });

const parseHost = (text: string): Host | string => {
  if (text === '*') {
    return { kind: 'any4' };
  }
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    if (inner === '*') {
      return { kind: 'any6' };
    }
    return isIPv6(inner) ? { kind: 'ipv6', address: inner } : `invalid IPv6 address "${inner}"`;
  }
  if (text.split('.').length === 4 && /^[0-9.]+$/.test(text)) {
    return isIPv4(text) ? { kind: 'ipv4', address: text } : `invalid IPv4 address "${text}"`;
  }
  if (text.length === 0) {
    return 'missing host';
  }
  if (text.length > 253 || !text.split('.').every((label) => DNS_LABEL.test(label))) {
    return `invalid host name "${text}"`;
  }
  return { kind: 'dns', name: text };
};

const parseHostPort = (transport: 'tcp' | 'tls' | 'utls', rest: string): ParseResult => {
  const colon = rest.lastIndexOf(':');
  if (colon < 0) {
    return fail(`${transport}: missing port (expected ${transport}:<host>:<port>)`);
  }
  const hostText = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    return fail(`${transport}: invalid port "${portText}" (expected 0-65535)`);
  }
  const host = parseHost(hostText);
  if (typeof host === 'string') {
    return fail(`${transport}: ${host}`);
  }
  return { ok: true, value: { transport, host, hostText, port: Number(portText) } };
};

/**
 * Parse an XCM address (§2.1): ux:<name>, uxf:<path>, tcp|tls|utls:<host>:<port> with host a DNS name, a dotted
 * quad, [<ipv6>], * or [*]. Byte-stream (btcp, btls), sctp and unknown transports are rejected. Never throws:
 * returns {ok: true, value} or {ok: false, error} with a human-readable message.
 */
export const parseAddress = (address: string): ParseResult => {
  if (/\s/.test(address)) {
    return fail(`"${address}": addresses must not contain whitespace`);
  }
  if (address.length > MAX_ADDRESS_LENGTH) {
    return fail(`address too long (${address.length} > ${MAX_ADDRESS_LENGTH} characters)`);
  }
  const sep = address.indexOf(':');
  if (sep <= 0) {
    return fail(`"${address}": missing transport prefix (expected <transport>:<address>)`);
  }
  const transport = address.slice(0, sep);
  const rest = address.slice(sep + 1);
  switch (transport) {
    case 'ux':
    case 'uxf': {
      const label = transport === 'ux' ? 'name' : 'path';
      const bytes = Buffer.byteLength(rest, 'utf8');
      if (bytes === 0) {
        return fail(`${transport}: empty ${label}`);
      }
      if (bytes > MAX_UX_NAME) {
        return fail(`${transport}: ${label} too long (${bytes} > ${MAX_UX_NAME} bytes)`);
      }
      if (rest.includes('\0')) {
        return fail(`${transport}: ${label} must not contain NUL`);
      }
      return { ok: true, value: transport === 'ux' ? { transport, name: rest } : { transport, path: rest } };
    }
    case 'tcp':
    case 'tls':
    case 'utls':
      return parseHostPort(transport, rest);
    case 'btcp':
    case 'btls':
      return fail(`${transport}: byte-stream transports are not supported by Pathfinder`);
    case 'sctp':
      return fail('sctp: transport not supported by this implementation');
    default:
      return fail(`"${transport}": unknown transport (expected ux, uxf, tcp, tls or utls)`);
  }
};

/**
 * Format an IP endpoint the XCM way: <transport>:<ip>:<port>, IPv6 in brackets (IPv4-mapped kept as such). `ip` is
 * an address as the kernel or the resolver gives it: IPv6 exactly when it has a colon (every accepted connection
 * passes here; node's `isIPv6` runs a 6 KB regular expression, compiled into ~180 KB of heap at its first use).
 */
export const formatIpAddress = (transport: string, ip: string, port: number): string =>
  ip.includes(':') ? `${transport}:[${ip}]:${port}` : `${transport}:${ip}:${port}`;

/** The user id of §10.1 for a tcp address string: 'ip:' + host part (IPv6 keeps its brackets). */
export const ipUserId = (remoteAddress: string): string => {
  const rest = remoteAddress.slice(remoteAddress.indexOf(':') + 1);
  return `ip:${rest.slice(0, rest.lastIndexOf(':'))}`;
};

/** XCM's formatting of a unix socket name: ux:<abstract name>, or for uxf the path ('uxf:' for abstract peers). */
export const formatUnixName = (transport: 'ux' | 'uxf', name: NativeSockName): string => {
  if (transport === 'ux') {
    return `ux:${name.abstract ? name.name.toString('utf8') : ''}`;
  }
  return `uxf:${name.abstract ? '' : name.name.toString('utf8')}`;
};

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseAddress, type ParsedAddress } from './address';
import { connectSeqpacket } from './connect-seqpacket';
import { resolveHost } from './host-resolve';
import { ACCEPTED_SOCKET_OPTIONS } from './ip-server';
import { StreamConnection } from './stream-connection';
import { loadTlsCredentials, TLS_COMMON_OPTIONS } from './tls-credentials';
import type { ConnectOptions, Connection } from './transport';
import { errnoOf, TransportError } from './transport-error';

/** Default connect (and TLS handshake) deadline. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10000;

const parseOrThrow = (address: string): ParsedAddress => {
  const parsed = parseAddress(address);
  if (!parsed.ok) {
    throw new TransportError(parsed.error, 'EINVAL');
  }
  return parsed.value;
};

const localEndpoint = async (opts: ConnectOptions): Promise<{ localAddress?: string; localPort?: number }> => {
  if (opts.localAddress === undefined) {
    return {};
  }
  const local = parseOrThrow(opts.localAddress);
  if (local.transport === 'ux' || local.transport === 'uxf') {
    throw new TransportError(`${opts.localAddress}: not an IP local address`, 'EINVAL');
  }
  return { localAddress: await resolveHost(local.host), localPort: local.port };
};

const connectStream = async (
  transport: 'tcp' | 'tls',
  value: Extract<ParsedAddress, { port: number }>,
  opts: ConnectOptions,
): Promise<Connection> => {
  const host = await resolveHost(value.host);
  const local = await localEndpoint(opts);
  const address = `${transport}:${value.hostText}:${value.port}`;
  const base = { host, port: value.port, ...local, ...ACCEPTED_SOCKET_OPTIONS };
  const socket: Socket =
    transport === 'tcp'
      ? netConnect(base)
      : tlsConnect({
          ...base,
          ...TLS_COMMON_OPTIONS,
          ...loadTlsCredentials(opts.tls),
          rejectUnauthorized: true,
          checkServerIdentity: () => undefined, // XCM does no subject-name verification by default
        });
  return new Promise<Connection>((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      const code = errnoOf(err);
      reject(new TransportError(`${address}: unable to connect: ${err.message}`, code, { cause: err }));
    };
    const timer = setTimeout(
      () => fail(new TransportError('timed out', 'ETIMEDOUT')),
      opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    socket.once('error', fail);
    socket.once(transport === 'tcp' ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      resolve(new StreamConnection(socket, false));
    });
  });
};

/**
 * Connect to a Pathfinder server at an XCM address (ux, uxf, tcp, tls, utls). utls tries the ux name first and
 * falls back to tls. Rejects with a TransportError (EINVAL for a bad address, else the socket errno).
 */
export const connect = async (address: string, opts: ConnectOptions = {}): Promise<Connection> => {
  const value = parseOrThrow(address);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const localUx = opts.localAddress?.startsWith('ux:') ? opts.localAddress.slice(3) : undefined;
  switch (value.transport) {
    case 'ux':
      return connectSeqpacket('ux', value.name, timeoutMs, localUx);
    case 'uxf':
      return connectSeqpacket('uxf', value.path, timeoutMs, localUx);
    case 'tcp':
    case 'tls':
      return connectStream(value.transport, value, opts);
    case 'utls':
      try {
        return await connectSeqpacket('ux', `${value.hostText}:${value.port}`, timeoutMs);
      } catch {
        return connectStream('tls', value, opts);
      }
  }
};

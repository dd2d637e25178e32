import type { Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { Host } from './address';
import { HotChannel } from './hot-channel';
import { resolveHost } from './host-resolve';
import { ACCEPTED_SOCKET_OPTIONS, bindServer, closeServer } from './ip-server';
import { StreamConnection } from './stream-connection';
import { credentialStamp, loadTlsCredentials, TLS_COMMON_OPTIONS } from './tls-credentials';
import type { Connection, Listener, TlsFiles } from './transport';
import { toTransportError } from './transport-error';

/** Default TLS handshake deadline after TCP accept (§8.5: closed 2-4 s after connect). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 2500;

const endpointKey = (socket: Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Listen on tls:<host>:<port>: mutual authentication (client certificate required and verified against the
 * trusted CAs), TLS 1.2+, same framing as tcp. A connection is emitted once its handshake has completed; one
 * that fails or does not finish the handshake within `handshakeTimeoutMs` of the TCP accept is closed without
 * writing anything more. Rejects with a clear message when a credential file is missing or invalid.
 */
export const listenTls = async (
  host: Host,
  port: number,
  files: TlsFiles | undefined,
  handshakeTimeoutMs: number = DEFAULT_HANDSHAKE_TIMEOUT_MS,
): Promise<Listener> => {
  const credentials = loadTlsCredentials(files);
  let stamp = credentialStamp(files);
  const ip = await resolveHost(host);
  const channel = new HotChannel<Connection>();
  const handshaking = new Map<string, Socket>();
  let server: ReturnType<typeof createServer>;
  try {
    server = createServer({
      ...TLS_COMMON_OPTIONS,
      ...credentials,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: handshakeTimeoutMs,
    });
  } catch (err) {
    throw toTransportError('tls: invalid credentials', err);
  }
  // §2.4: credential files are re-read when they change, and new connections use the new files. This runs before
  // Node creates the TLS socket for the connection (prepended), so the connection that notices the change uses it.
  server.prependListener('connection', () => {
    const now = credentialStamp(files);
    if (now === stamp) return;
    try {
      server.setSecureContext({ ...TLS_COMMON_OPTIONS, ...loadTlsCredentials(files) });
      stamp = now;
    } catch {
      // files being replaced (or broken): keep serving with the previous credentials, retry on the next connection
    }
  });
  server.on('connection', (raw: Socket) => {
    raw.setNoDelay(ACCEPTED_SOCKET_OPTIONS.noDelay);
    raw.setKeepAlive(ACCEPTED_SOCKET_OPTIONS.keepAlive, ACCEPTED_SOCKET_OPTIONS.keepAliveInitialDelay);
    const key = endpointKey(raw);
    handshaking.set(key, raw);
    raw.once('close', () => {
      if (handshaking.get(key) === raw) {
        handshaking.delete(key);
      }
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    handshaking.delete(endpointKey(socket));
    channel.next(new StreamConnection(socket, true));
  });
  // Handshake failure or timeout: just close (no close_notify; nothing more is written).
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
  server.on('error', () => undefined);
  const address = await bindServer(server, 'tls', ip, port);
  return {
    address,
    connections$: channel.observable$,
    close: async (): Promise<void> => {
      await closeServer(server);
      handshaking.forEach((raw) => raw.destroy());
      handshaking.clear();
      channel.complete();
    },
  };
};

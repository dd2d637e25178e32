import type { AddressInfo, Server } from 'node:net';
import { formatIpAddress } from './address';
import { errnoOf, TransportError } from './transport-error';

/**
 * Listen backlog. XCM uses 32; rxpafd uses 1024 (capped by net.core.somaxconn) so that a burst of connects, e.g.
 * every client of a cluster reconnecting after a restart, waits in the accept queue instead of in SYN-ACK
 * retransmission back-off (1, 2, 4, 8 s ...). Nothing on the wire depends on the number.
 */
export const LISTEN_BACKLOG = 1024;

/** Socket options XCM applies to accepted tcp/tls connections (keepalive 1 s, no Nagle). */
export const ACCEPTED_SOCKET_OPTIONS = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 } as const;

/** Bind and listen a net/tls server on ip:port (backlog LISTEN_BACKLOG, dual-stack for ::); resolves the real bound address. */
export const bindServer = (server: Server, transport: 'tcp' | 'tls', ip: string, port: number): Promise<string> =>
  new Promise<string>((resolve, reject) => {
    const onError = (err: Error): void => {
      const code = errnoOf(err);
      reject(
        new TransportError(`${formatIpAddress(transport, ip, port)}: unable to listen: ${err.message}`, code, {
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: ip, port, backlog: LISTEN_BACKLOG, ipv6Only: false }, () => {
      server.removeListener('error', onError);
      const bound = server.address() as AddressInfo;
      resolve(formatIpAddress(transport, bound.address, bound.port));
    });
  });

/** Stop listening: the server socket is closed at once; accepted connections are left alone. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    if (server.listening) {
      server.close();
    }
    setImmediate(resolve);
  });

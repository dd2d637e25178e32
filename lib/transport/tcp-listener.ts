import { createServer, type Socket } from 'node:net';
import { formatIpAddress, type Host } from './address';
import { HotChannel } from './hot-channel';
import { resolveHost } from './host-resolve';
import { ACCEPTED_SOCKET_OPTIONS, bindServer, closeServer } from './ip-server';
import { nativeTcp, type NativeTcpAddon } from './native';
import { nativeListener } from './native-listener';
import { NativeTcpConnection } from './native-tcp-connection';
import { StreamConnection } from './stream-connection';
import type { Connection, Listener } from './transport';
import { errnoOf, TransportError } from './transport-error';

/**
 * Listen on tcp:<host>:<port> (4-byte length framing, TCP_NODELAY, keepalive 1 s, backlog LISTEN_BACKLOG): through
 * rxpaf's native addon when it is there (NativeTcpConnection: no node:net Socket per connection), else node:net.
 */
export const listenTcp = async (host: Host, port: number): Promise<Listener> => {
  const ip = await resolveHost(host);
  const addon = nativeTcp();
  return addon !== undefined ? listenNative(addon, ip, port) : listenNet(ip, port);
};

const listenNative = (addon: NativeTcpAddon, ip: string, port: number): Listener => {
  let fd: number;
  try {
    fd = addon.tcpListen(ip, port);
  } catch (err) {
    const code = errnoOf(err);
    const reason = code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message;
    throw new TransportError(`${formatIpAddress('tcp', ip, port)}: unable to listen: ${reason}`, code, {
      cause: err,
    });
  }
  const bound = addon.inetName(fd, false);
  return nativeListener(
    addon,
    fd,
    formatIpAddress('tcp', bound.address, bound.port),
    (listening) => addon.tcpAcceptFrom(listening),
    (client) => new NativeTcpConnection(addon, client.fd, client),
  );
};

const listenNet = async (ip: string, port: number): Promise<Listener> => {
  const channel = new HotChannel<Connection>();
  // allowHalfOpen: a peer's EOF does not make Node end the socket by itself; the connection ends it when the server
  // closes it (StreamConnection `ended`: the teardown of a wave of peer closes is spread over the server's turns)
  const server = createServer({ ...ACCEPTED_SOCKET_OPTIONS, allowHalfOpen: true }, (socket: Socket) => {
    channel.next(new StreamConnection(socket, true));
  });
  server.on('error', () => undefined); // accept errors (EMFILE, ...) are retried by libuv
  const address = await bindServer(server, 'tcp', ip, port);
  return {
    address,
    connections$: channel.observable$,
    close: async (): Promise<void> => {
      await closeServer(server);
      channel.complete();
    },
  };
};

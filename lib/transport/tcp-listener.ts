import { createServer, type Socket } from 'node:net';
import { formatIpAddress, type Host } from './address';
import { HotChannel } from './hot-channel';
import { resolveHost } from './host-resolve';
import { ACCEPTED_SOCKET_OPTIONS, bindServer, closeServer } from './ip-server';
import { nativeTcp, POLL_READABLE, type NativeTcpAddon } from './native';
import { NativeTcpConnection } from './native-tcp-connection';
import { StreamConnection } from './stream-connection';
import type { Connection, Listener } from './transport';
import { errnoOf, TransportError } from './transport-error';

/** Accept at most this many connections per readiness event (a burst of connects is served between other events). */
const ACCEPT_BATCH = 64;

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
  const address = formatIpAddress('tcp', bound.address, bound.port);
  const channel = new HotChannel<Connection>();
  let closed = false;
  const acceptSome = (): void => {
    for (let i = 0; i < ACCEPT_BATCH && !closed; i++) {
      let client: number;
      try {
        client = addon.tcpAccept(fd);
      } catch {
        return; // e.g. EMFILE: try again at the next readiness event
      }
      if (client < 0) return;
      let remote: { address: string; port: number };
      try {
        remote = addon.inetName(client, true);
      } catch {
        addon.close(client); // reset before it was accepted
        continue;
      }
      channel.next(new NativeTcpConnection(addon, client, remote));
    }
  };
  const poll = addon.pollStart(fd, acceptSome);
  addon.pollSet(poll, POLL_READABLE);
  return {
    address,
    connections$: channel.observable$,
    close: (): Promise<void> => {
      if (!closed) {
        closed = true;
        addon.pollClose(poll);
        addon.close(fd);
        channel.complete();
      }
      return Promise.resolve();
    },
  };
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

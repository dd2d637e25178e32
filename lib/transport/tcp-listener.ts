import { createServer, type Socket } from 'node:net';
import type { Host } from './address';
import { HotChannel } from './hot-channel';
import { resolveHost } from './host-resolve';
import { ACCEPTED_SOCKET_OPTIONS, bindServer, closeServer } from './ip-server';
import { StreamConnection } from './stream-connection';
import type { Connection, Listener } from './transport';

/** Listen on tcp:<host>:<port> (4-byte length framing, TCP_NODELAY, keepalive 1 s, backlog LISTEN_BACKLOG). */
export const listenTcp = async (host: Host, port: number): Promise<Listener> => {
  const ip = await resolveHost(host);
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

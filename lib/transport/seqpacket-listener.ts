import { formatUnixName } from './address';
import { unlinkSync } from 'node:fs';
import { HotChannel } from './hot-channel';
import { POLL_READABLE, seqpacket } from './native';
import { SeqpacketConnection } from './seqpacket-connection';
import type { Connection, Listener } from './transport';
import { errnoOf, TransportError } from './transport-error';

/** Accept at most this many connections per readiness event. */
const ACCEPT_BATCH = 32;

const listenError = (address: string, err: unknown): TransportError => {
  const code = errnoOf(err);
  const reason =
    code === 'EADDRINUSE'
      ? address.startsWith('uxf:')
        ? 'address in use (a socket file, possibly stale, already exists)'
        : 'address in use'
      : (err as Error).message;
  return new TransportError(`${address}: unable to listen: ${reason}`, code, { cause: err });
};

/**
 * Listen on a ux (abstract, exact-length name) or uxf (file-system path) SOCK_SEQPACKET server socket with
 * backlog 1024 (see ip-server.ts). A uxf socket file is unlinked again on close().
 */
export const listenSeqpacket = (transport: 'ux' | 'uxf', name: string): Listener => {
  const addon = seqpacket();
  const address = `${transport}:${name}`;
  let fd: number;
  try {
    fd = addon.listen(Buffer.from(name, 'utf8'), transport === 'ux');
  } catch (err) {
    throw listenError(address, err);
  }
  const channel = new HotChannel<Connection>();
  let closed = false;
  const acceptSome = (): void => {
    for (let i = 0; i < ACCEPT_BATCH && !closed; i++) {
      let client: number;
      try {
        client = addon.accept(fd);
      } catch {
        return; // e.g. EMFILE: try again at the next readiness event
      }
      if (client < 0) {
        return;
      }
      let remote: string;
      try {
        remote = formatUnixName(transport, addon.peerName(client));
      } catch {
        addon.close(client);
        continue;
      }
      channel.next(new SeqpacketConnection(client, transport, remote, address, true));
    }
  };
  const poll = addon.pollStart(fd, acceptSome);
  addon.pollSet(poll, POLL_READABLE);
  return {
    address,
    connections$: channel.observable$,
    close: (): Promise<void> => {
      if (closed) {
        return Promise.resolve();
      }
      closed = true;
      addon.pollClose(poll);
      addon.close(fd);
      if (transport === 'uxf') {
        try {
          unlinkSync(name);
        } catch {
          // Already gone.
        }
      }
      channel.complete();
      return Promise.resolve();
    },
  };
};

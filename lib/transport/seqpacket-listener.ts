import { formatUnixName } from './address';
import { unlinkSync } from 'node:fs';
import { seqpacket } from './native';
import { nativeListener } from './native-listener';
import { SeqpacketConnection } from './seqpacket-connection';
import type { Listener } from './transport';
import { errnoOf, TransportError } from './transport-error';

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
  return nativeListener(
    addon,
    fd,
    address,
    (listening) => {
      const client = addon.accept(listening);
      return client < 0 ? null : { fd: client };
    },
    // peerName throws when the peer went away before it was accepted
    ({ fd: client }) =>
      new SeqpacketConnection(client, transport, formatUnixName(transport, addon.peerName(client)), address, true),
    () => {
      if (transport === 'uxf') {
        try {
          unlinkSync(name);
        } catch {
          // Already gone.
        }
      }
    },
  );
};

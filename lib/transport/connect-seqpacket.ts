import { formatUnixName } from './address';
import { seqpacket } from './native';
import { SeqpacketConnection } from './seqpacket-connection';
import type { Connection } from './transport';
import { errnoOf, TransportError } from './transport-error';

const RETRY_MS = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connect a SOCK_SEQPACKET client to ux:<name> (exact-length abstract name) or uxf:<path>. Like XCM, SO_PASSCRED
 * is set before connect so the kernel autobinds a 5-hex-digit abstract name, unless `localName` is given. A full
 * backlog (EAGAIN) is retried until the deadline.
 */
export const connectSeqpacket = async (
  transport: 'ux' | 'uxf',
  name: string,
  timeoutMs: number,
  localName?: string,
): Promise<Connection> => {
  const addon = seqpacket();
  const address = `${transport}:${name}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = addon.connect(
        Buffer.from(name, 'utf8'),
        transport === 'ux',
        localName === undefined ? null : Buffer.from(localName, 'utf8'),
      );
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EAGAIN' && Date.now() < deadline) {
        await sleep(RETRY_MS);
        continue;
      }
      throw new TransportError(`${address}: unable to connect: ${(err as Error).message}`, code, { cause: err });
    }
    const local = formatUnixName(transport, addon.localName(fd));
    return new SeqpacketConnection(fd, transport, address, local, false);
  }
};

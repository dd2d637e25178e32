import type { Host } from './address';
import type * as MergeModule from 'rxjs/internal/observable/merge';
import { rxjsInternal } from './rxjs-internal';
import { listenSeqpacket } from './seqpacket-listener';
import { listenTls } from './tls-listener';
import type { Listener, TlsFiles } from './transport';

const { merge } = rxjsInternal<typeof MergeModule>('observable/merge');

/**
 * Listen on utls:<host>:<port> (§2.6): a TLS server socket tls:<host>:<port> plus a ux server socket named after
 * the text after "tls:" (when port 0 was given, the bound TLS address with the kernel-chosen port is used).
 * Connections of both halves are merged; `address` is the utls address clients use, with the real port
 * (utls:<host>:<port>). close() closes both.
 */
export const listenUtls = async (
  host: Host,
  hostText: string,
  port: number,
  files: TlsFiles | undefined,
  handshakeTimeoutMs?: number,
): Promise<Listener> => {
  const tls = await listenTls(host, port, files, handshakeTimeoutMs);
  const uxName = port === 0 ? tls.address.slice('tls:'.length) : `${hostText}:${port}`;
  let ux: Listener;
  try {
    ux = listenSeqpacket('ux', uxName);
  } catch (err) {
    await tls.close();
    throw err;
  }
  return {
    address: `utls:${tls.address.slice('tls:'.length)}`,
    connections$: merge(tls.connections$, ux.connections$),
    close: async (): Promise<void> => {
      await Promise.all([tls.close(), ux.close()]);
    },
  };
};

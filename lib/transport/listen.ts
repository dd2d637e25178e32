import { parseAddress } from './address';
import { listenTcp } from './tcp-listener';
import type { ListenOptions, Listener } from './transport';
import { TransportError } from './transport-error';

/**
 * Create a server socket for an XCM address (ux, uxf, tcp, tls, utls). Rejects with a TransportError on a bad
 * address (code EINVAL), an address in use (EADDRINUSE), or missing/invalid TLS credentials (EPROTO). node:tls (and
 * crypto) is loaded by the first tls:/utls: listener, not by a daemon that has none (idle RSS, issue 12).
 */
export const listen = async (address: string, opts: ListenOptions = {}): Promise<Listener> => {
  const parsed = parseAddress(address);
  if (!parsed.ok) {
    throw new TransportError(parsed.error, 'EINVAL');
  }
  const value = parsed.value;
  switch (value.transport) {
    // ux:, uxf: (and tls:, utls:) loaded with the first such listener: a tcp:-only daemon does without their modules
    case 'ux':
      return (await import('./seqpacket-listener')).listenSeqpacket('ux', value.name);
    case 'uxf':
      return (await import('./seqpacket-listener')).listenSeqpacket('uxf', value.path);
    case 'tcp':
      return listenTcp(value.host, value.port);
    case 'tls':
      return (await import('./tls-listener')).listenTls(value.host, value.port, opts.tls, opts.handshakeTimeoutMs);
    case 'utls':
      return (await import('./utls-listener')).listenUtls(
        value.host,
        value.hostText,
        value.port,
        opts.tls,
        opts.handshakeTimeoutMs,
      );
  }
};

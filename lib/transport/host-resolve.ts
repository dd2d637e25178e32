import type { Host } from './address';
import { TransportError } from './transport-error';

/** Resolve a parsed host to an IP literal: DNS names at call time (first result), * = 0.0.0.0, [*] = ::. */
export const resolveHost = async (host: Host): Promise<string> => {
  switch (host.kind) {
    case 'ipv4':
    case 'ipv6':
      return host.address;
    case 'any4':
      return '0.0.0.0';
    case 'any6':
      return '::';
    case 'dns':
      try {
        // node:dns/promises is loaded by the first DNS name, not by a daemon bound to IP literals
        return (await (await import('node:dns/promises')).lookup(host.name)).address;
      } catch (err) {
        throw new TransportError(`unable to resolve "${host.name}": ${(err as Error).message}`, 'ENOENT', {
          cause: err,
        });
      }
  }
};

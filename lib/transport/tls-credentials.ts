import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsFiles } from './transport';
import { TransportError } from './transport-error';

/** Default certificate directory when $XCM_TLS_CERT is not set. */
export const DEFAULT_TLS_CERT_DIR = '/etc/xcm/tls';

/** PEM contents ready for tls.createSecureContext / tls.connect. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly crl?: Buffer;
}

const readPem = (kind: string, path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    throw new TransportError(`tls: unable to read ${kind} file "${path}" (${code})`, 'EPROTO', { cause: err });
  }
};

/**
 * Read TLS credentials (§2.4): each file from `files` if given, else from the directory $XCM_TLS_CERT (or
 * /etc/xcm/tls): cert.pem, key.pem, tc.pem. A CRL is used (and then checked for the whole chain) only when
 * `files.crl` is given. Throws a TransportError naming the missing file.
 */
export const loadTlsCredentials = (files: TlsFiles = {}, env: NodeJS.ProcessEnv = process.env): TlsCredentials => {
  const dir = env.XCM_TLS_CERT ?? DEFAULT_TLS_CERT_DIR;
  return {
    cert: readPem('certificate', files.cert ?? join(dir, 'cert.pem')),
    key: readPem('private key', files.key ?? join(dir, 'key.pem')),
    ca: readPem('trusted CA', files.tc ?? join(dir, 'tc.pem')),
    ...(files.crl !== undefined ? { crl: readPem('CRL', files.crl) } : {}),
  };
};

/** Options shared by TLS servers and clients: TLS 1.2 minimum, no session tickets. */
export const TLS_COMMON_OPTIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } as const;

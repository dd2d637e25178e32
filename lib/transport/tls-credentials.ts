import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsFiles } from './transport';
import { errnoOf, TransportError } from './transport-error';

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
    const code = errnoOf(err);
    throw new TransportError(`tls: unable to read ${kind} file "${path}" (${code})`, 'EPROTO', { cause: err });
  }
};

/**
 * Read TLS credentials (§2.4): each file from `files` if given, else from the directory $XCM_TLS_CERT (or
 * /etc/xcm/tls): cert.pem, key.pem, tc.pem. A CRL is used (and then checked for the whole chain) only when
 * `files.crl` is given. Throws a TransportError naming the missing file.
 */
export const loadTlsCredentials = (files: TlsFiles = {}, env: NodeJS.ProcessEnv = process.env): TlsCredentials => {
  const p = credentialPaths(files, env);
  return {
    cert: readPem('certificate', p.cert),
    key: readPem('private key', p.key),
    ca: readPem('trusted CA', p.tc),
    ...(p.crl !== undefined ? { crl: readPem('CRL', p.crl) } : {}),
  };
};

/** The files the credentials are read from (per-socket files first, then $XCM_TLS_CERT or /etc/xcm/tls). */
export const credentialPaths = (
  files: TlsFiles = {},
  env: NodeJS.ProcessEnv = process.env,
): { readonly cert: string; readonly key: string; readonly tc: string; readonly crl?: string } => {
  const dir = env.XCM_TLS_CERT ?? DEFAULT_TLS_CERT_DIR;
  return {
    cert: files.cert ?? join(dir, 'cert.pem'),
    key: files.key ?? join(dir, 'key.pem'),
    tc: files.tc ?? join(dir, 'tc.pem'),
    ...(files.crl !== undefined ? { crl: files.crl } : {}),
  };
};

/** A stamp that changes when any of the credential files changes (path, inode, size, mtime); cheap to compute. */
export const credentialStamp = (files: TlsFiles = {}, env: NodeJS.ProcessEnv = process.env): string =>
  Object.values(credentialPaths(files, env))
    .map((path) => {
      try {
        const st = statSync(path);
        return `${path}:${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${path}:-`;
      }
    })
    .join('|');

/** Options shared by TLS servers and clients: TLS 1.2 minimum, no session tickets. */
export const TLS_COMMON_OPTIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } as const;

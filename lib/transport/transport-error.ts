import { PafTransportError } from '../errors';

/**
 * An error of the transport layer (bad address, missing TLS files, socket errors): the public
 * {@link PafTransportError} (code `PAF_TRANSPORT`), with the errno-style cause in `errno` ('EADDRINUSE',
 * 'ECONNRESET', 'EPROTO', or 'EINVAL' for bad addresses). The transport code uses this name.
 */
export const TransportError = PafTransportError;
export type TransportError = PafTransportError;

/** The errno-style code of a thrown value: a transport error's `errno`, a Node/addon error's `code`, else 'EIO'. */
export const errnoOf = (err: unknown): string => {
  if (err instanceof PafTransportError) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
};

/** Wrap any thrown value into a TransportError, prefixing the message with a context string. */
export const toTransportError = (context: string, err: unknown): TransportError => {
  if (err instanceof PafTransportError) {
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PafTransportError(`${context}: ${message}`, errnoOf(err), { cause: err });
};

/** An error of the transport layer (bad address, missing TLS files, socket errors), with an optional errno code. */
export class TransportError extends Error {
  /** Errno-style code such as 'EADDRINUSE', 'ECONNRESET', 'EPROTO', or 'EINVAL' for bad addresses. */
  readonly code: string;

  constructor(message: string, code = 'EIO', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
  }
}

/** Wrap any thrown value into a TransportError, prefixing the message with a context string. */
export const toTransportError = (context: string, err: unknown): TransportError => {
  if (err instanceof TransportError) {
    return err;
  }
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new TransportError(`${context}: ${message}`, typeof code === 'string' ? code : 'EIO', { cause: err });
};

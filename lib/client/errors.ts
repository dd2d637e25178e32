/**
 * Typed errors of the client library.
 *
 * @example
 * try {
 *   await client.ping();
 * } catch (e) {
 *   if (e instanceof PafRequestError) console.log(e.failReason);
 * }
 */

/** A server answered a request with `fail` (§5.12); `failReason` is the protocol's `fail-reason` (or 'unknown'). */
export class PafRequestError extends Error {
  readonly failReason: string;
  readonly command: string;

  constructor(command: string, failReason: string | undefined) {
    super(`${command} failed: ${failReason ?? 'unknown reason'}`);
    this.name = 'PafRequestError';
    this.command = command;
    this.failReason = failReason ?? 'unknown';
  }
}

/** A filter was rejected locally (before anything was sent). */
export class PafFilterError extends Error {
  readonly filter: string;
  readonly position: number;

  constructor(filter: string, reason: string, position: number) {
    super(`invalid filter ${JSON.stringify(filter)}: ${reason} at position ${position}`);
    this.name = 'PafFilterError';
    this.filter = filter;
    this.position = position;
  }
}

/** No server could be reached, or the connection was lost while a request was outstanding. */
export class PafConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PafConnectionError';
  }
}

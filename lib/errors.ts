/**
 * Every error the library rejects or throws with is a {@link PafError}: `instanceof PafError` catches them all,
 * `code` says which kind it is and never changes between versions (match on `code`, not on `message`).
 *
 * @example
 * try {
 *   await client.ping();
 * } catch (e) {
 *   if (e instanceof PafError && e.code === 'PAF_REQUEST_FAILED') console.log('the server said no');
 * }
 */

/** The stable error codes. */
export type PafErrorCode =
  | 'PAF_REQUEST_FAILED'
  | 'PAF_INVALID_FILTER'
  | 'PAF_CONNECTION'
  | 'PAF_TIMEOUT'
  | 'PAF_CLOSED'
  | 'PAF_UNPUBLISHED'
  | 'PAF_INVALID_ARGUMENT'
  | 'PAF_TRANSPORT'
  | 'PAF_CONFIG'
  | 'PAF_REPLAY'
  | 'PAF_DOMAIN_FAILED';

/** The base class of every rxpaf error. */
export abstract class PafError extends Error {
  /** What kind of error it is; stable across versions (match on it, not on `message`). */
  abstract readonly code: PafErrorCode;

  /**
   * An error of this kind (every subclass takes these arguments unless it says otherwise).
   *
   * @param message - what went wrong, for people
   * @param options - `cause`: the underlying error, if any (as with `Error`)
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A server answered a request with `fail`; `failReason` is the protocol's `fail-reason` (or `'unknown'`). */
export class PafRequestError extends PafError {
  /** Always `'PAF_REQUEST_FAILED'`. */
  readonly code = 'PAF_REQUEST_FAILED' as const;
  /** The server's `fail-reason`, e.g. `insufficient-resources` (`'unknown'` when the server gave none). */
  readonly failReason: string;
  /** The command that failed, e.g. `publish`. */
  readonly command: string;

  /**
   * A server's `fail` answer to `command`.
   *
   * @param command - the command that failed
   * @param failReason - the server's `fail-reason`, if it gave one
   */
  constructor(command: string, failReason: string | undefined) {
    super(`${command} failed: ${failReason ?? 'unknown reason'}`);
    this.command = command;
    this.failReason = failReason ?? 'unknown';
  }
}

/** A filter does not parse (rejected locally, before anything is sent); `position` is where parsing stopped. */
export class PafFilterError extends PafError {
  /** Always `'PAF_INVALID_FILTER'`. */
  readonly code = 'PAF_INVALID_FILTER' as const;

  /** A filter that does not parse; the message shows all three. */
  constructor(
    /** The filter text as given. */
    readonly filter: string,
    /** Why it does not parse, e.g. `Zero-length keys not permitted`. */
    readonly reason: string,
    /** The 0-based position in `filter` where parsing stopped. */
    readonly position: number,
  ) {
    super(`invalid filter ${JSON.stringify(filter)}: ${reason} at position ${position}`);
  }
}

/** No server could be reached, or the connection was lost while a request was outstanding. */
export class PafConnectionError extends PafError {
  /** Always `'PAF_CONNECTION'`. */
  readonly code = 'PAF_CONNECTION' as const;
}

/** An operation did not complete in time. */
export class PafTimeoutError extends PafError {
  /** Always `'PAF_TIMEOUT'`. */
  readonly code = 'PAF_TIMEOUT' as const;
}

/** The client, server or handle was closed before (or while) the operation ran. */
export class PafClosedError extends PafError {
  /** Always `'PAF_CLOSED'`. */
  readonly code = 'PAF_CLOSED' as const;
}

/** The service was unpublished: it cannot be modified any more. */
export class PafUnpublishedError extends PafError {
  /** Always `'PAF_UNPUBLISHED'`. */
  readonly code = 'PAF_UNPUBLISHED' as const;
}

/** An argument is out of range or of the wrong shape (e.g. a negative TTL). */
export class PafArgumentError extends PafError {
  /** Always `'PAF_INVALID_ARGUMENT'`. */
  readonly code = 'PAF_INVALID_ARGUMENT' as const;
}

/** A transport failed (bad address, address in use, missing TLS files, socket error); `errno` is the errno-style cause, e.g. `EADDRINUSE`. */
export class PafTransportError extends PafError {
  /** Always `'PAF_TRANSPORT'`. */
  readonly code = 'PAF_TRANSPORT' as const;

  /** A transport failure: `message` for people, `errno` for programs, `cause` the socket or file system error. */
  constructor(
    message: string,
    /** The errno-style name of the cause, e.g. `EADDRINUSE`, `ECONNREFUSED`, `ENOENT` (`EIO` when unknown). */
    readonly errno: string = 'EIO',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configuration (options, command line, YAML file) is invalid. */
export class PafConfigError extends PafError {
  /** Always `'PAF_CONFIG'`. */
  readonly code = 'PAF_CONFIG' as const;
}

/**
 * An event log cannot be read or replayed further; `line` is 1-based and every step before it was replayed. A file
 * that cannot be read (missing, unreadable, corrupt gzip) gives the line it would have started with and the
 * file system's error as `cause`.
 */
export class PafReplayError extends PafError {
  /** Always `'PAF_REPLAY'`. */
  readonly code = 'PAF_REPLAY' as const;

  /** A log that cannot be read or replayed at `line`; the message is `line <line>: <reason>`. */
  constructor(
    /** The 1-based line of the log (counted over all files) that could not be read or replayed. */
    readonly line: number,
    /** Why, without the line number. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`line ${line}: ${reason}`, options);
  }
}

/**
 * A domain of an in-process server failed (an internal error of its pipeline, not a client's) and stopped: its
 * connections were closed, its sockets too. Its `changes$`, `matches$`, `services$` and `connections$` error with it
 * (after a normal `close()` they complete), and `onDomainFailure` receives the same error. `cause` is what failed.
 */
export class PafDomainError extends PafError {
  /** Always `'PAF_DOMAIN_FAILED'`. */
  readonly code = 'PAF_DOMAIN_FAILED' as const;

  /** Domain `domain` (its name `name`, if it has one) failed; the message is `domain <name or index> failed: <cause>`. */
  constructor(
    /** The domain's index in the server's configuration. */
    readonly domain: number,
    /** The domain's name, if it has one. */
    readonly domainName: string | undefined,
    /** What failed inside the domain's pipeline. */
    cause: unknown,
  ) {
    super(`domain ${domainName ?? domain} failed: ${messageOf(cause)}`, { cause });
  }
}

/**
 * The text of a thrown value for an error message: its `message` if it has one (duck-typed: errors may come from
 * another realm), an object as JSON, anything else by `String`.
 */
export const messageOf = (e: unknown): string => {
  const message = (e as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (typeof e !== 'object' || e === null) return String(e);
  try {
    return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return Object.prototype.toString.call(e);
  }
};

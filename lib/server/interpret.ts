/**
 * The effect interpreter: the only place where reducer output touches sockets. Messages are encoded once each and
 * queued per connection; every connection written to in a batch is flushed once at the end (one write per socket
 * per turn). Closing discards what was queued but not flushed (§2.9). After the flush each connection's queued
 * output is accounted: a slow consumer over its limits is cut (README, "Slow consumers").
 */
import type { Subject } from 'rxjs';

import { type EncodedParts, encodeMessageParts } from '../codec/encode';
import type { Logger } from '../log/logger';
import type { DirectoryChange, Effect } from '../state/effects';
import type { ConnId } from '../state/model';
import type { Connection } from '../transport/transport';
import type { OutputLimiter, SlowConsumer } from './output-limits';
import type { RejectionLog } from './rejection-log';

export interface InterpreterDeps {
  readonly conns: Map<ConnId, Connection>;
  readonly onServerClose: (id: ConnId, reason: string) => void;
  readonly changes$: Subject<DirectoryChange>;
  readonly logger?: Logger;
  readonly domain: string;
  readonly onOutbound?: (id: ConnId, json: string) => void;
  /** A message could not be queued (over XCM's 256 KiB limit): the connection is closed, as pafd does (§2.8). */
  readonly onSendFailed: (id: ConnId, error: unknown) => void;
  /** Output accounting: after each flush the connection's queued bytes are checked against the limits. */
  readonly limiter?: OutputLimiter;
  /** Current time in seconds, the domain clock (the limiter's grace periods). */
  readonly now?: () => number;
  /** A connection went over its output limits and was cut (its queued output dropped). */
  readonly onSlowConsumer?: (id: ConnId, verdict: SlowConsumer) => void;
  /** Rate-limits the lines of connections closed for protocol errors (hostile input cannot flood the log). */
  readonly rejections?: RejectionLog;
}

/** A connection closed for a protocol error (malformed input). */
const isRejection = (fields: Readonly<Record<string, unknown>> | undefined): boolean => {
  const reason = fields?.reason;
  return typeof reason === 'string' && reason.startsWith('protocol error');
};

/** The message being queued, in pieces (lib/codec/encode.ts); one object for every send. */
const parts: EncodedParts = { head: '', tail: '', headBytes: undefined };
/** The last shared piece of a fanned-out notify, and its UTF-8 bytes: converted once per change, not per subscriber. */
let lastTail = '';
let lastTailBytes: Uint8Array = new Uint8Array(0);
const tailBytes = (tail: string): Uint8Array => {
  if (tail !== lastTail) {
    lastTail = tail;
    lastTailBytes = Buffer.from(tail, 'utf8');
  }
  return lastTailBytes;
};

/** The connections written to since their last flush, with their ids. */
export type Dirty = Map<Connection, ConnId>;

/** Carry out the effects of one batch and flush every connection written to (see {@link queueEffects}). */
export const interpret = (fx: readonly Effect[], deps: InterpreterDeps): void => {
  const dirty: Dirty = new Map();
  queueEffects(fx, deps, dirty);
  flushDirty(dirty, deps);
};

/**
 * Carry out effects in order, without flushing: messages are queued on their connections, which are noted in
 * `dirty`. A batch folded in parts queues each part's effects as they come and flushes once, at its end
 * ({@link flushDirty}): what it writes is the same as if it had been folded in one piece.
 */
export const queueEffects = (fx: readonly Effect[], deps: InterpreterDeps, dirty: Dirty): void => {
  const debug = deps.logger?.isEnabled('debug') === true;
  for (const f of fx) {
    switch (f.type) {
      case 'send': {
        const c = deps.conns.get(f.conn);
        if (c === undefined) break;
        encodeMessageParts(f.msg, parts);
        const { head, tail } = parts;
        // a connection with messages queued is in `dirty` already (every fold flushes all it wrote to)
        const known = c.queuedMessages;
        try {
          if (tail === '') c.send(head);
          else if (c.sendJoined !== undefined) c.sendJoined(parts.headBytes ?? head, tailBytes(tail));
          else c.send(head + tail);
        } catch (e) {
          deps.conns.delete(f.conn);
          dirty.delete(c);
          // the server's close is signalled before the socket closes: the transport's end is then not reported as a
          // second close of the connection (an `eof` after the server's own)
          deps.onSendFailed(f.conn, e);
          c.close();
          break;
        }
        if (known === undefined || known === 0) dirty.set(c, f.conn);
        if (deps.onOutbound === undefined && !debug) break;
        const json = tail === '' ? head : head + tail;
        deps.onOutbound?.(f.conn, json);
        if (debug) deps.logger.debug('protocol', 'out', { domain: deps.domain, conn: f.conn, msg: json });
        break;
      }
      case 'close': {
        const c = deps.conns.get(f.conn);
        if (c === undefined) break;
        deps.conns.delete(f.conn);
        dirty.delete(c);
        deps.onServerClose(f.conn, f.reason);
        c.close();
        break;
      }
      case 'keepalive':
        deps.conns.get(f.conn)?.setKeepAlive(f.on);
        break;
      case 'change':
        // (nobody watching: no call into the subject; an orphaning or expiry wave has one change per service)
        if (deps.changes$.observed) deps.changes$.next(f.change);
        break;
      case 'log':
        if (deps.logger?.isEnabled(f.level) !== true) break;
        if (deps.rejections !== undefined && isRejection(f.fields))
          deps.rejections.reject(f.level, f.category, f.msg, f.fields!);
        else deps.logger[f.level](f.category, f.msg, { domain: deps.domain, ...f.fields });
        break;
    }
  }
};

/** Flush every connection in `dirty` once, then check its queued output against the limits (slow consumers). */
export const flushDirty = (dirty: Dirty, deps: InterpreterDeps): void => {
  const limiter = deps.limiter;
  const now = limiter && (deps.now === undefined ? Date.now() : deps.now() * 1000);
  for (const [c, id] of dirty) {
    c.flush();
    const verdict = limiter?.check(id, c.pendingOutboundBytes, now!);
    if (verdict !== undefined) {
      deps.conns.delete(id);
      deps.onSlowConsumer?.(id, verdict); // first, as for a send failure: one close, not an `eof` as well
      c.abort();
    }
  }
};

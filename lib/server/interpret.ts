/**
 * The effect interpreter: the only place where reducer output touches sockets. Messages are encoded once each and
 * queued per connection; every connection written to in a batch is flushed once at the end (one write per socket
 * per turn). Closing discards what was queued but not flushed (§2.9).
 */
import type { Subject } from 'rxjs';

import { encodeMessage } from '../codec/encode';
import type { Logger } from '../log/logger';
import type { DirectoryChange, Effect } from '../state/effects';
import type { ConnId } from '../state/model';
import type { Connection } from '../transport/transport';

export interface InterpreterDeps {
  readonly conns: Map<ConnId, Connection>;
  readonly onServerClose: (id: ConnId) => void;
  readonly changes$: Subject<DirectoryChange>;
  readonly logger?: Logger;
  readonly domain: string;
  readonly onOutbound?: (id: ConnId, json: string) => void;
  /** A message could not be queued (over XCM's 256 KiB limit): the connection is closed, as pafd does (§2.8). */
  readonly onSendFailed: (id: ConnId, error: unknown) => void;
}

export const interpret = (fx: readonly Effect[], deps: InterpreterDeps): void => {
  const dirty = new Set<Connection>();
  const debug = deps.logger?.isEnabled('debug') === true;
  for (const f of fx) {
    switch (f.type) {
      case 'send': {
        const c = deps.conns.get(f.conn);
        if (c === undefined) break;
        const json = encodeMessage(f.msg);
        try {
          c.send(json);
        } catch (e) {
          deps.conns.delete(f.conn);
          dirty.delete(c);
          c.close();
          deps.onSendFailed(f.conn, e);
          break;
        }
        dirty.add(c);
        deps.onOutbound?.(f.conn, json);
        if (debug) deps.logger.debug('protocol', 'out', { domain: deps.domain, conn: f.conn, msg: json });
        break;
      }
      case 'close': {
        const c = deps.conns.get(f.conn);
        if (c === undefined) break;
        deps.conns.delete(f.conn);
        dirty.delete(c);
        deps.onServerClose(f.conn);
        c.close();
        break;
      }
      case 'keepalive':
        deps.conns.get(f.conn)?.setKeepAlive(f.on);
        break;
      case 'change':
        deps.changes$.next(f.change);
        break;
      case 'log':
        if (deps.logger?.isEnabled(f.level) === true)
          deps.logger[f.level](f.category, f.msg, { domain: deps.domain, ...f.fields });
        break;
    }
  }
  for (const c of dirty) c.flush();
};

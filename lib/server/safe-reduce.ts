/**
 * Fail locally (style guide 3.1.7): the reducer is pure and total by design, but should a bug ever make it throw,
 * the batch is retried event by event, and an event that still throws is replaced by closing the connection it
 * came from (a `malformed` event), so one client's input can never stop the domain for everyone else. A tick, work
 * or closing event that throws is dropped (a closing event's connections are closed by their own events). Both are logged as critical.
 */
import type { Logger } from '../log/logger';
import type { Effect } from '../state/effects';
import type { Event } from '../state/events';
import type { DomainState } from '../state/model';
import { reduceAll } from '../protocol/reducer';

export const safeReduceAll = (
  s: DomainState,
  batch: readonly Event[],
  logger: Logger | undefined,
  domain: string,
): readonly [DomainState, readonly Effect[]] => {
  try {
    return reduceAll(s, batch);
  } catch (e) {
    logger?.critical('internal', 'reducer failed on a batch; retrying event by event', { domain, error: String(e) });
  }
  let state = s;
  const fx: Effect[] = [];
  for (const ev of batch) {
    try {
      const [next, f] = reduceAll(state, [ev]);
      state = next;
      fx.push(...f);
    } catch (e) {
      logger?.critical('internal', `reducer failed on a ${ev.type} event`, { domain, error: String(e) });
      if (ev.type === 'tick' || ev.type === 'work' || ev.type === 'closing') continue;
      try {
        const [next, f] = reduceAll(state, [
          { type: 'malformed', now: ev.now, conn: ev.conn, reason: 'internal error' },
        ]);
        state = next;
        fx.push(...f);
      } catch {
        fx.push({ type: 'close', conn: ev.conn, reason: 'internal error' });
      }
    }
  }
  return [state, fx];
};

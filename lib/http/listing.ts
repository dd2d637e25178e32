/**
 * Streaming JSON array responses, written in slices: the items of a persistent snapshot are converted and written
 * a few hundred at a time (see Slicer), pausing while the client's socket buffer is full; a client that does not
 * read for too long is dropped.
 */
import type { ServerResponse } from 'node:http';

import type { Slicer } from './slicer';

export interface ListingOptions<T> {
  readonly slicer: Slicer;
  /** Items examined per step. */
  readonly perStep?: number;
  /** JSON text of an item, or undefined to leave it out (a filter). */
  readonly render: (item: T) => string | undefined;
  /** One item per line, indented by two spaces (`render` indents the item's own lines). */
  readonly pretty?: boolean;
  readonly maxBlockedMs: number;
  readonly onDrop: (reason: string) => void;
}

/** Write `items` as a JSON array body (status and headers already set by the caller, not yet sent). */
export const streamJsonArray = <T>(res: ServerResponse, items: Iterable<T>, o: ListingOptions<T>): void => {
  const iter = items[Symbol.iterator]();
  const perStep = o.perStep ?? 256;
  const pretty = o.pretty === true;
  let opened = false;
  let count = 0;
  let closed = false;
  let blockedTimer: NodeJS.Timeout | undefined;
  res.on('close', () => {
    closed = true;
    clearTimeout(blockedTimer);
  });
  const step = (): boolean => {
    if (closed) return false;
    let out = opened ? '' : '[';
    opened = true;
    for (let i = 0; i < perStep; i++) {
      const r = iter.next();
      if (r.done === true) {
        out += count === 0 ? ']' : pretty ? '\n]' : ']';
        res.end(pretty ? out + '\n' : out);
        return false;
      }
      const text = o.render(r.value);
      if (text === undefined) continue;
      out += (count === 0 ? '' : ',') + (pretty ? '\n  ' : '') + text;
      count++;
    }
    if (out !== '' && !res.write(out)) {
      blockedTimer = setTimeout(() => {
        o.onDrop(`did not read for ${o.maxBlockedMs} ms`);
        res.destroy();
      }, o.maxBlockedMs);
      blockedTimer.unref();
      res.once('drain', () => {
        clearTimeout(blockedTimer);
        o.slicer.add(step);
      });
      return false;
    }
    return true;
  };
  o.slicer.add(step);
};

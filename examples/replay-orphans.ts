/**
 * How long did each orphan live? A replay analysis in a few lines: follow the directory changes of a recorded log
 * and print, for every service that became an orphan, whether it was reclaimed or expired and after how long.
 *
 * Run (after `npm run build`): node dist/examples/replay-orphans.js events.ndjson.1 events.ndjson
 *
 * @example
 * // domain 0 service 100: expired after 5.000 s (orphaned at seq 7, ended at seq 8)
 */
import { Observable } from 'rxjs';

import { changes$, replay$ } from '../lib/replay/replay';
import { readLines$ } from '../lib/replay/replay-read';
import { classifyChange } from '../lib/replay/replay-summary';

/** Lines describing each orphan's fate, from the recorded log files (oldest first). */
export const orphanLifetimes = (files: readonly string[]): Observable<string> =>
  new Observable<string>((out) => {
    const orphans = new Map<string, { since: number; seq: number }>();
    return replay$(readLines$(files))
      .pipe(changes$)
      .subscribe({
        next: (c) => {
          const svc = c.change.kind === 'removed' ? c.change.before : c.change.after;
          const key = `domain ${c.domain} service ${svc.id}`;
          const kind = classifyChange(c.change);
          const o = orphans.get(key);
          if (kind === 'orphaned') orphans.set(key, { since: c.at, seq: c.seq });
          else if (o !== undefined && kind !== 'modified') {
            orphans.delete(key);
            out.next(
              `${key}: ${kind} after ${(c.at - o.since).toFixed(3)} s (orphaned at seq ${o.seq}, ended at seq ${c.seq})`,
            );
          }
        },
        complete: () => {
          orphans.forEach((o, key) => out.next(`${key}: still an orphan (since seq ${o.seq})`));
          out.complete();
        },
        error: (e: unknown) => out.error(e),
      });
  });

if (require.main === module)
  orphanLifetimes(process.argv.slice(2)).subscribe({
    next: (l) => console.log(l),
    error: (e: unknown) => console.error(String(e)),
  });

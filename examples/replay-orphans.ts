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
import { readLines$, replay$, type ServiceChange } from 'rxpaf/replay';

/** How a change reads in an orphan's life: it became one, was reclaimed, expired, or something else happened. */
const fate = (c: ServiceChange): 'orphaned' | 'reclaimed' | 'expired' | 'unpublished' | 'other' => {
  if (c.type === 'removed') return c.service.orphanSince !== undefined ? 'expired' : 'unpublished';
  if (c.type === 'added') return 'other';
  const was = c.previous.orphanSince !== undefined;
  const is = c.service.orphanSince !== undefined;
  return !was && is ? 'orphaned' : was && !is ? 'reclaimed' : 'other';
};

/** Lines describing each orphan's fate, from the recorded log files (oldest first). */
export const orphanLifetimes = (files: readonly string[]): Observable<string> =>
  new Observable<string>((out) => {
    const orphans = new Map<string, { since: number; seq: number }>();
    return replay$(readLines$(files)).subscribe({
      next: (step) => {
        for (const c of step.changes) {
          const key = `domain ${step.domain} service ${c.service.id}`;
          const kind = fate(c);
          const o = orphans.get(key);
          if (kind === 'orphaned') orphans.set(key, { since: step.at, seq: step.seq });
          else if (o !== undefined && kind !== 'other') {
            orphans.delete(key);
            out.next(
              `${key}: ${kind} after ${(step.at - o.since).toFixed(3)} s (orphaned at seq ${o.seq}, ended at seq ${step.seq})`,
            );
          }
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

/**
 * Domain files (§13.1), the shell part: where a domain's file is, and its server list over time — read at once,
 * re-read every `interval` seconds (±20 % jitter, on the injected scheduler), emitted when it changes. A missing
 * or malformed file means "no servers" (libpaf keeps checking).
 *
 * @example
 * watchDomainFile('/run/paf/domains.d/default', 5, env).subscribe((servers) => console.log(servers));
 */
import { join } from 'node:path';
import { defer, distinctUntilChanged, map, type Observable, repeat, timer } from 'rxjs';

import type { ClientEnv } from './adapter';
import { parseDomainFile, serverKey } from './core/domain-file';
import type { Environment } from './core/options';
import type { ServerSpec } from './core/types';

/** Default directory of domain files. */
export const DEFAULT_DOMAINS_DIR = '/run/paf/domains.d';

/** The directory holding domain files: explicit, else `$PAF_DOMAINS`, else `/run/paf/domains.d`. */
export const domainsDir = (explicit: string | undefined, env: Environment): string =>
  explicit ?? (env.PAF_DOMAINS !== undefined && env.PAF_DOMAINS !== '' ? env.PAF_DOMAINS : DEFAULT_DOMAINS_DIR);

/** Path of a domain's file. */
export const domainFilePath = (domain: string, dir: string): string => join(dir, domain);

/** The servers of a domain file's text (none if missing or malformed). */
const serversOf = (text: string | undefined): readonly ServerSpec[] => {
  if (text === undefined) return [];
  const r = parseDomainFile(text);
  return r.error === undefined ? r.servers : [];
};

/** The server list of a domain file, re-read every `interval` s (±20 %; 0: read once), emitted when it changes. */
export const watchDomainFile = (
  path: string,
  interval: number,
  env: Pick<ClientEnv, 'readFile' | 'scheduler' | 'random'>,
): Observable<readonly ServerSpec[]> => {
  const read$ = defer(() => env.readFile(path)).pipe(map(serversOf));
  const polled$ =
    interval > 0
      ? read$.pipe(repeat({ delay: () => timer(interval * 1000 * (0.8 + 0.4 * env.random()), env.scheduler) }))
      : read$;
  return polled$.pipe(
    map((servers) => ({ servers, key: servers.map(serverKey).join('\n') })),
    distinctUntilChanged((a, b) => a.key === b.key),
    map((x) => x.servers),
  );
};

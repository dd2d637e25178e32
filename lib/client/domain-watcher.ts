/**
 * Domain files (§13.1), I/O part: read a domain file now and on every rescan; emit the server list whenever it
 * changes. A missing or unreadable file means "no servers" (libpaf keeps checking).
 *
 * @example
 * watchDomainFile('/run/paf/domains.d/default', 5).subscribe((servers) => console.log(servers));
 */
import { open } from 'node:fs/promises';
import { defer, distinctUntilChanged, from, map, Observable, repeat, timer } from 'rxjs';

import { MAX_DOMAIN_FILE_SIZE, parseDomainFile, serverKey } from './domain-file';
import type { ServerSpec } from './types';

/** Read up to 64 KiB of a file; `undefined` if it does not exist or cannot be read. */
export const readDomainFile = async (path: string): Promise<string | undefined> => {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_DOMAIN_FILE_SIZE);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
};

/** The servers of a domain file now (empty if missing or malformed). */
export const loadDomainServers = async (path: string): Promise<readonly ServerSpec[]> => {
  const text = await readDomainFile(path);
  if (text === undefined) return [];
  const r = parseDomainFile(text);
  return r.error === undefined ? r.servers : [];
};

/**
 * The server list of a domain file, re-read every `interval` seconds (±20 % jitter; 0 reads once), emitted when it
 * changes (the first read is always emitted).
 */
export const watchDomainFile = (path: string, interval: number): Observable<readonly ServerSpec[]> => {
  const read$ = defer(() => from(loadDomainServers(path)));
  const polled$ =
    interval > 0 ? read$.pipe(repeat({ delay: () => timer(interval * 1000 * (0.8 + 0.4 * Math.random())) })) : read$;
  return polled$.pipe(
    map((servers) => ({ servers, key: servers.map(serverKey).join('\n') })),
    distinctUntilChanged((a, b) => a.key === b.key),
    map((x) => x.servers),
  );
};

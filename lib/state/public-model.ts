/**
 * Internal records in the public model (lib/model.ts): the one conversion the in-process server's API
 * (lib/server/public-domain.ts) and replay's public steps (lib/replay/replay-public.ts) both use. Internal records
 * are immutable, so each converts once (cached per record identity).
 */
import type { Service, ServiceChange } from '../model';
import type { DirectoryChange } from './effects';
import type { Service as CoreService } from './model';

const converted = new WeakMap<CoreService, Service>();

/**
 * A core service record as a new public {@link Service}, not cached: for output written once and dropped (the HTTP
 * listings and watch syncs), where a cache would grow by every record of the directory (a table of 100,000 records
 * rehashed in one turn, and kept alive with its entries).
 */
export const toPublicService = (s: CoreService): Service => ({
  id: s.id,
  generation: s.generation,
  props: Object.fromEntries(s.props),
  ttl: Number(s.ttl),
  clientId: s.clientId,
  ...(s.orphanSince === undefined ? {} : { orphanSince: s.orphanSince }),
});

/** A core service record as a public {@link Service} (plain readonly object, props as a record), cached per record. */
export const publicService = (s: CoreService): Service => {
  let p = converted.get(s);
  if (p === undefined) {
    p = toPublicService(s);
    converted.set(s, p);
  }
  return p;
};

/** A core directory change as a public {@link ServiceChange}. */
export const publicChange = (c: DirectoryChange): ServiceChange => {
  switch (c.kind) {
    case 'added':
      return { type: 'added', service: publicService(c.after) };
    case 'modified':
      return { type: 'modified', service: publicService(c.after), previous: publicService(c.before) };
    case 'removed':
      return { type: 'removed', service: publicService(c.before) };
  }
};

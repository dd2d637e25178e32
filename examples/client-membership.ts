/**
 * Watch a group's membership: each member publishes a record `(group=<name>)`; `membership$` reports every member
 * as online, orphan (its owner lost the connection; the record lives on until its TTL runs out) or gone (reported
 * once, then dropped from the map).
 *
 * Run: node dist/examples/client-membership.js tcp:127.0.0.1:4711
 */
import { filter, firstValueFrom, share } from 'rxjs';

import { createClient } from 'rxpaf/client';

/** Two members join, one leaves cleanly, one crashes (connection closed); returns the membership transitions. */
export const main = async (address: string): Promise<string[]> => {
  const watcher = createClient({ addresses: [address] });
  const alice = createClient({ addresses: [address] });
  const bob = createClient({ addresses: [address] });
  const seen: string[] = [];
  const names = new Map<bigint, string>();
  const last = new Map<bigint, string>();
  const membership = watcher.membership$('(group=demo)').pipe(share());
  const sub = membership.subscribe((members) => {
    for (const [id, state] of members)
      if (names.has(id) && last.get(id) !== state) {
        last.set(id, state);
        seen.push(`${names.get(id)}:${state}`);
        console.log(`${names.get(id)} is ${state}`);
      }
  });
  try {
    const both = firstValueFrom(
      membership.pipe(filter((m) => [...names.keys()].every((id) => m.get(id) === 'online') && m.size === 2)),
    );
    const a = await alice.publish({ group: 'demo', member: 'alice' }, { ttl: 1 });
    names.set(a.id, 'alice');
    const b = await bob.publish({ group: 'demo', member: 'bob' }, { ttl: 1 });
    names.set(b.id, 'bob');
    await both;
    const bobGone = firstValueFrom(membership.pipe(filter((m) => m.get(b.id) === 'gone')));
    await a.unpublish();
    await bob.close(); // bob "crashes": his record becomes an orphan, then times out
    await bobGone;
    return seen;
  } finally {
    sub.unsubscribe();
    await Promise.all([watcher.close(), alice.close(), bob.close()]);
  }
};

if (require.main === module) void main(process.argv[2] ?? 'tcp:127.0.0.1:4711');

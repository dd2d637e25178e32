/**
 * Issue 4's multi-server scenario with real daemon processes: three rxpafd servers in one domain, one killed
 * (SIGKILL) and one paused (SIGSTOP), while matches keep flowing through the third; after SIGCONT the paused server
 * is caught up, and a service disappears only once every server that reported it has said so.
 */
import { Subscription } from 'rxjs';

import { createClient, type Match, type PafClient } from '../../lib/client';
import { Daemon, killAllDaemons } from '../helpers/daemon';
import { allConnected, eventually } from './helpers';

describe('client against three rxpafd processes', () => {
  const clients: PafClient[] = [];
  const daemons: Daemon[] = [];
  const subs = new Subscription();
  afterEach(async () => {
    subs.unsubscribe();
    for (const d of daemons.splice(0)) {
      try {
        process.kill(d.pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllDaemons();
  });

  it('keeps matches flowing with one server killed and one paused, and merges them when it resumes', async () => {
    for (let i = 0; i < 3; i++) daemons.push(await Daemon.start(['tcp:127.0.0.1:0']));
    const addresses = daemons.map((d) => d.addr());
    // short client-side idle limits so a paused server is noticed within ~1.5 s (§13.4)
    const opts = { addresses, reconnectMin: 0.01, reconnectMax: 0.2, idleMin: 1, idleMax: 2 };
    const pub = createClient(opts);
    const sub = createClient(opts);
    clients.push(pub, sub);
    const got: Match[] = [];
    subs.add(sub.subscribe('(group=g)').subscribe((m) => got.push(m)));
    await allConnected(pub, 3);
    await allConnected(sub, 3);
    const a = pub.publish({ group: 'g', name: 'a' }, { ttl: 1 });
    await a.synced;
    await eventually(() => got.length === 1);
    expect(got[0]).toMatchObject({ type: 'appeared', serviceId: a.id, generation: 0n });

    await daemons[0]!.stop('SIGKILL');
    process.kill(daemons[1]!.pid, 'SIGSTOP');
    // matches keep flowing through the one server left
    await a.modify({ group: 'g', name: 'a', v: 2 });
    const b = pub.publish({ group: 'g', name: 'b' }, { ttl: 1 });
    await eventually(() => got.some((m) => m.type === 'appeared' && m.serviceId === b.id), 8000);
    await eventually(() => got.some((m) => m.type === 'modified' && m.generation === 1n), 8000);
    expect(got.filter((m) => m.type === 'disappeared')).toEqual([]);

    // the paused server comes back: the clients resynchronise it, without duplicate appeared/modified
    process.kill(daemons[1]!.pid, 'SIGCONT');
    await eventually(async () => {
      const list = await pub.services(undefined, 1).catch(() => []);
      return (
        list.some((s) => s.serviceId === b.id && s.generation === 0n) &&
        list.some((s) => s.serviceId === a.id && s.generation === 1n)
      );
    }, 15000);
    const before = got.length;
    // the publisher goes away: its services are orphaned on both live servers and expire after their TTL
    await pub.close();
    await eventually(() => got.filter((m) => m.type === 'disappeared').length === 2, 8000);
    const types = got.slice(before).map((m) => `${m.type}:${m.serviceId === a.id ? 'a' : 'b'}`);
    expect(types.filter((t) => t.startsWith('disappeared')).sort()).toEqual(['disappeared:a', 'disappeared:b']);
    expect(got.filter((m) => m.type === 'appeared').length).toBe(2);
  }, 60000);
});

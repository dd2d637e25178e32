/**
 * Interop (b): lpafc, libpaf's interactive client, against rxpafd — every lpafc command (help, id, hello, track
 * [query|verbose|quiet], publish, services, subscribe, subscriptions, unsubscribe, unpublish, clients, ping, quit),
 * with protocol v2 and v3, over tcp and ux. The peers are required (see peers.ts): without them this suite fails.
 */
import { createClient, type RxpafClient } from '../../lib/client/client';
import { Daemon, killAllDaemons, randomUx, tempDir } from '../helpers/daemon';
import { findPeers, Lpafc } from './peers';

describe('interop: lpafc against rxpafd', () => {
  const daemons: Record<number, Daemon> = {};
  const dir = tempDir();
  beforeAll(async () => {
    const p = findPeers();
    if ('error' in p) throw new Error(p.error); // loud, not skipped
    daemons[3] = await Daemon.start(['-m', `tcp:127.0.0.1:0+${randomUx()}`]);
    const conf = dir.file(
      'v2.conf',
      `domains:\n  - protocol_version: {min: 2, max: 2}\n    sockets: [tcp:127.0.0.1:0, ${randomUx()}]\n`,
    );
    daemons[2] = await Daemon.start(['-f', conf]);
  });
  afterAll(async () => {
    await killAllDaemons();
    dir.cleanup();
  });

  const sessions: Lpafc[] = [];
  const clients: RxpafClient[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  const matrix: Array<[number, 'tcp' | 'ux']> = [
    [3, 'tcp'],
    [3, 'ux'],
    [2, 'tcp'],
    [2, 'ux'],
  ];

  it.each(matrix)(
    'protocol v%i over %s: every lpafc command',
    async (version, transport) => {
      const addr = daemons[version]!.addr(0, transport === 'tcp' ? 0 : 1);
      const idHex = `${version}${transport === 'tcp' ? 'a' : 'b'}c0ffee`;
      const lpafc = Lpafc.open(addr, idHex);
      sessions.push(lpafc);
      const other = createClient({ addresses: [addr] });
      clients.push(other);
      const tag = `lp${version}${transport}`;
      const sid = (0x4711 + matrix.findIndex(([v, t]) => v === version && t === transport)).toString(16);

      // help and id
      expect(await lpafc.run('help', /ping/)).toMatch(/help\s+quit\s+id\s+hello\s+track/);
      expect(await lpafc.run('help publish', /prop-value/)).toMatch(/publish \[<service-id>\] <generation> <ttl>/);
      expect(await lpafc.run('id', /Client Id: \w+/)).toContain(`Client Id: ${idHex}`);

      // hello: the negotiated version
      expect(await lpafc.run('hello')).toContain(`Negotiated Protocol Version: ${version}`);

      // track: v3 only
      if (version === 3) {
        await lpafc.run('track');
        // lpafc refuses a query until the server has accepted the track transaction
        while (/not yet accepted/.test(await lpafc.run('track query', /^OK\.$|not yet accepted/m)));
        await lpafc.waitFor(/Received reply to track query in [0-9.]+ ms\./);
        await lpafc.run('track verbose');
        await lpafc.run('track quiet');
      } else {
        expect(await lpafc.run('track', /Not available/)).toContain(
          'Not available in negotiated Pathfinder protocol version (2).',
        );
      }

      // publish (hex id, integer and forced-string values), then see it from rxpaf and from lpafc
      await lpafc.run(`publish ${sid} 0 30 name ${tag} port 80 label |42|`);
      const [svc] = await other.listServices(`(name=${tag})`);
      expect(svc).toEqual({
        id: BigInt(`0x${sid}`),
        generation: 0n,
        props: { name: [tag], port: [80n], label: ['|42|'] }, // lpafc keeps the bars (pafc strips them)
        ttl: 30,
        clientId: BigInt(`0x${idHex}`),
      });
      const services = await lpafc.run(`services (name=${tag})`);
      expect(services).toMatch(
        new RegExp(
          `^\\s+${sid}\\s+0\\s+30\\s+-\\s+${idHex}\\s+\\{'name': '${tag}', 'port': 80, 'label': '\\|42\\|'\\}$`,
          'm',
        ),
      );

      // subscribe: lpafc sees what rxpaf publishes
      const sub = await lpafc.run(`subscribe (name=${tag})`);
      const subId = /Subscription Id (\w+)\./.exec(sub)![1]!;
      await lpafc.waitFor(new RegExp(`Match type: appeared; Service Id: ${sid}; Generation: 0; TTL: 30`));
      const theirs = await other.publish({ name: tag, n: 2 }, { ttl: 10 });
      await lpafc.waitFor(
        new RegExp(`Match type: appeared; Service Id: ${theirs.id.toString(16)}; Generation: 0; TTL: 10`),
      );
      await theirs.modify({ name: tag, n: 3 });
      await lpafc.waitFor(new RegExp(`Match type: modified; Service Id: ${theirs.id.toString(16)}; Generation: 1`));
      expect(await lpafc.run('subscriptions')).toMatch(new RegExp(`^${subId}\\s+${idHex}\\s+\\(name=${tag}\\)$`, 'm'));
      const subsSeenByRxpaf = await other.listSubscriptions();
      expect(subsSeenByRxpaf).toContainEqual({
        id: BigInt(`0x${subId}`),
        clientId: BigInt(`0x${idHex}`),
        filter: `(name=${tag})`,
      });

      // unpublish: the own subscription reports it gone
      await lpafc.run(`unpublish ${sid}`);
      await lpafc.waitFor(new RegExp(`Match type: disappeared; Service Id: ${sid}`));
      expect(await other.listServices(`(name=${tag})`)).toHaveLength(1);
      expect(await lpafc.run(`unpublish ${sid}`, /Protocol transaction failed/)).toMatch(/[Nn]on-existent service id/);

      // unsubscribe
      await lpafc.run(`unsubscribe ${subId}`);
      expect((await other.listSubscriptions()).filter((s) => s.clientId === BigInt(`0x${idHex}`))).toEqual([]);
      expect(await lpafc.run(`unsubscribe ${subId}`, /Protocol transaction failed/)).toMatch(
        /[Nn]on-existent subscription id/,
      );

      // clients: both, with the v3 columns when v3
      const table = await lpafc.run('clients');
      expect(table).toMatch(/^Client Id\s+Remote Address\s+Uptime\s+Idle \[s\]\s+Latency \[ms\]\s+Version$/m);
      const mine = new RegExp(
        `^${idHex}\\s+${transport}:\\S+\\s+\\d+:\\d\\d:\\d\\d\\s+(\\S+)\\s+\\S+\\s+(\\S+)$`,
        'm',
      ).exec(table)!;
      expect(mine).not.toBeNull();
      expect(mine[2]).toBe(version === 3 ? '3' : '-');
      expect(table).toMatch(new RegExp(`^${other.clientId.toString(16)}\\s`, 'm'));

      // ping
      expect(await lpafc.run('ping')).toMatch(/^[0-9.]+ ms$/m);

      // quit: lpafc leaves cleanly
      lpafc.proc.stdin!.write('quit\n');
      expect(await lpafc.exited).toBe(0);
      // its connection is gone from the server: its close and the other client's request come over two sockets, in
      // no set order, so the listing is asked again (within 5 s) until the close has been handled
      const gone = BigInt(`0x${idHex}`);
      let ids = (await other.listClients()).map((c) => c.clientId);
      for (const until = Date.now() + 5000; ids.includes(gone) && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 50));
        ids = (await other.listClients()).map((c) => c.clientId);
      }
      expect(ids).not.toContain(gone);
    },
    30000,
  );
});

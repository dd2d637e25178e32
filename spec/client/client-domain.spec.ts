import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createClient, type PafClient } from '../../lib/client';
import { createServer, type RxpafServer } from '../../lib/server/create-server';
import { makePki, type TestPki } from '../transport/helpers';
import { addressOf, eventually, startServer } from './helpers';

describe('client attached to a domain file', () => {
  let dir: string;
  const servers: RxpafServer[] = [];
  const clients: PafClient[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-domains-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const hasService = (s: RxpafServer, id: bigint): boolean => s.domains[0]!.snapshot().services.has(id);
  const connectedTo = (c: PafClient): string[] =>
    c
      .connectionStates()
      .filter((x) => x.state === 'connected')
      .map((x) => x.address);

  it('picks up servers added to and removed from the domain file, and a removed file', async () => {
    const [a, b] = [await startServer(), await startServer()];
    servers.push(a, b);
    const file = join(dir, 'test');
    writeFileSync(file, `# first server\n${addressOf(a)}\n`);
    const c = createClient({ domain: 'test', domainsDir: dir, rescanInterval: 0.05, reconnectMax: 0.1 });
    clients.push(c);
    const h = c.publish({ name: 'd' }, { ttl: 1 });
    await h.synced;
    expect(hasService(a, h.id)).toBe(true);
    expect(hasService(b, h.id)).toBe(false);
    writeFileSync(file, `${addressOf(a)}\n${addressOf(b)}\n`);
    await eventually(() => hasService(b, h.id));
    writeFileSync(file, JSON.stringify({ servers: [{ address: addressOf(b) }] }));
    await eventually(() => connectedTo(c).join() === addressOf(b));
    await eventually(() => a.domains[0]!.snapshot().services.get(h.id)?.orphanSince !== undefined);
    unlinkSync(file);
    await eventually(() => c.connectionStates().length === 0);
  });

  it('waits for a domain file that does not exist yet', async () => {
    const a = await startServer();
    servers.push(a);
    const c = createClient({ domain: 'later', domainsDir: dir, rescanInterval: 0.05 });
    clients.push(c);
    const h = c.publish({ name: 'later' });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.connectionStates()).toEqual([]);
    writeFileSync(join(dir, 'later'), addressOf(a));
    await h.synced;
    expect(hasService(a, h.id)).toBe(true);
  });

  describe('over tls, configured by the JSON format', () => {
    let pki: TestPki;
    beforeAll(() => {
      pki = makePki();
    });
    afterAll(() => pki.cleanup());

    it('connects with the certificate files of the domain file', async () => {
      const s = await createServer({
        domains: [
          { sockets: [{ addr: 'tls:127.0.0.1:0', tls: { cert: pki.serverCert, key: pki.serverKey, tc: pki.ca } }] },
        ],
      });
      servers.push(s);
      const server = {
        address: addressOf(s),
        tlsCertificateFile: pki.clientCert,
        tlsKeyFile: pki.clientKey,
        tlsTrustedCaFile: pki.ca,
        maxProtocolVersion: 2,
      };
      writeFileSync(join(dir, 'secure'), JSON.stringify({ servers: [server] }));
      const c = createClient({ domain: 'secure', domainsDir: dir });
      clients.push(c);
      const h = c.publish({ name: 'tls' });
      await h.synced;
      expect(c.connectionStates()[0]).toEqual(expect.objectContaining({ state: 'connected', protocolVersion: 2 }));
      const [me] = await c.clients();
      expect(me!.clientId).toBe(c.clientId);
      expect(me!.protocolVersion).toBeUndefined(); // v2 listing: no version, idle or latency
      expect(s.domains[0]!.snapshot().services.get(h.id)?.user).toMatch(/^ski:/);
    });
  });
});

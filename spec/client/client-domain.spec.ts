/**
 * Domain files with real servers (§13.1): the line format naming two rxpafd processes, the JSON format with TLS
 * credentials and a protocol version limit. (A missing file and rescans are timing: see timing.spec.ts.)
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { clientInternals, createClient, type RxpafClient } from '../../lib/client/client';
import { killAllDaemons } from '../helpers/daemon';
import { makePki, type TestPki } from '../transport/helpers';
import { allConnected, Daemon, eventually, startDaemon, tempDir } from './helpers';

describe('client attached to a domain file', () => {
  let dir: ReturnType<typeof tempDir>;
  const clients: RxpafClient[] = [];
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await killAllDaemons();
    dir.cleanup();
  });
  const client = (opts: Parameters<typeof createClient>[0]): RxpafClient => {
    const c = createClient({ domainsDir: dir.path, rescanInterval: 0, ...opts });
    clients.push(c);
    return c;
  };

  it('connects to every server of a line-format file (comments and blank lines ignored)', async () => {
    const [a, b] = [await startDaemon(), await startDaemon()];
    dir.file('test', `# two servers\n\n${a.addr()}\n  ${b.addr()}  \n`);
    const c = client({ domain: 'test' });
    const h = await c.publish({ name: 'd' });
    await allConnected(c, 2);
    for (const d of [a, b]) {
      await eventually(async () => (await c.listServices('(name=d)', d.addr())).length === 1);
      expect((await c.listServices('(name=d)', d.addr()))[0]!.id).toBe(h.id);
    }
    expect(
      clientInternals(c)
        .connectionStates()
        .map((s) => s.address),
    ).toEqual([a.addr(), b.addr()]);
  });

  describe('over tls, configured by the JSON format', () => {
    let pki: TestPki;
    beforeAll(() => {
      pki = makePki();
    });
    afterAll(() => pki.cleanup());

    it('connects with the certificate files of the domain file, at the protocol version it allows', async () => {
      const certs = join(pki.dir, `server-${process.pid}-${Date.now()}`);
      mkdirSync(certs);
      copyFileSync(pki.serverCert, join(certs, 'cert.pem'));
      copyFileSync(pki.serverKey, join(certs, 'key.pem'));
      copyFileSync(pki.ca, join(certs, 'tc.pem'));
      const d = await Daemon.start(['tls:127.0.0.1:0'], { env: { XCM_TLS_CERT: certs } });
      const server = {
        address: d.addr(),
        tlsCertificateFile: pki.clientCert,
        tlsKeyFile: pki.clientKey,
        tlsTrustedCaFile: pki.ca,
        maxProtocolVersion: 2,
      };
      writeFileSync(join(dir.path, 'secure'), JSON.stringify({ servers: [server] }));
      const c = client({ domain: 'secure' });
      const h = await c.publish({ name: 'tls' });
      expect(clientInternals(c).connectionStates()[0]).toEqual(
        expect.objectContaining({ state: 'connected', protocolVersion: 2 }),
      );
      const me = (await c.listClients()).find((x) => x.clientId === c.clientId)!;
      expect(me.protocolVersion).toBeUndefined(); // a v2 listing has no version, idle or latency
      expect((await c.listServices('(name=tls)')).map((s) => s.id)).toEqual([h.id]);
    });
  });
});

import { merge } from 'rxjs';
import { connect, listen, type Connection, type Listener } from '../../lib/transport';
import { makePki, nextConnection, takeMessages, type TestPki } from './helpers';

describe('utls transport', () => {
  let pki: TestPki;
  let listener: Listener;
  const opened: Connection[] = [];

  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());

  beforeEach(async () => {
    listener = await listen('utls:127.0.0.1:0', { tls: { cert: pki.serverCert, key: pki.serverKey, tc: pki.ca } });
  });
  afterEach(async () => {
    opened.splice(0).forEach((c) => c.close());
    await listener.close();
  });

  const files = (): { cert: string; key: string; tc: string } => ({
    cert: pki.clientCert,
    key: pki.clientKey,
    tc: pki.ca,
  });

  const roundTrip = async (client: Connection, server: Connection): Promise<void> => {
    server.messages$.subscribe((m) => {
      server.send(m);
      server.flush();
    });
    const reply = takeMessages(client, 1);
    client.send('utls');
    client.flush();
    expect(await reply).toEqual(['utls']);
  };

  it('binds a tls socket and a ux socket named after the tls address with the real port', async () => {
    expect(listener.address).toMatch(/^utls:127\.0\.0\.1:[1-9][0-9]*$/);
    const uxName = listener.address.slice('utls:'.length);
    const accepted = nextConnection(listener);
    const client = await connect(`ux:${uxName}`);
    const server = await accepted;
    opened.push(client, server);
    expect(server.transport).toBe('ux');
    expect(server.remoteAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    expect(server.userId).toBe('default');
    await roundTrip(client, server);
  });

  it('serves the tls half with client certificates', async () => {
    const accepted = nextConnection(listener);
    const client = await connect(listener.address.replace(/^utls:/, 'tls:'), { tls: files() });
    const server = await accepted;
    opened.push(client, server);
    expect(server.transport).toBe('tls');
    expect(server.userId).toBe(`ski:${pki.clientSki.toLowerCase()}`);
    await roundTrip(client, server);
  });

  it('connect(utls:) prefers the ux half and falls back to tls', async () => {
    const port = listener.address.slice(listener.address.lastIndexOf(':') + 1);
    const accepted = nextConnection(listener);
    const viaUx = await connect(`utls:127.0.0.1:${port}`, { tls: files() });
    const server = await accepted;
    opened.push(viaUx, server);
    expect(viaUx.transport).toBe('ux');
    expect(server.transport).toBe('ux');

    const tlsOnly = await listen('tls:127.0.0.1:0', { tls: { cert: pki.serverCert, key: pki.serverKey, tc: pki.ca } });
    try {
      const tlsPort = tlsOnly.address.slice(tlsOnly.address.lastIndexOf(':') + 1);
      const acceptedTls = nextConnection(tlsOnly);
      const viaTls = await connect(`utls:127.0.0.1:${tlsPort}`, { tls: files() });
      const serverTls = await acceptedTls;
      opened.push(viaTls, serverTls);
      expect(viaTls.transport).toBe('tls');
      await roundTrip(viaTls, serverTls);
    } finally {
      await tlsOnly.close();
    }
  });

  it('closes both halves', async () => {
    const uxName = listener.address.slice('utls:'.length);
    const done = new Promise<void>((resolve) => merge(listener.connections$).subscribe({ complete: resolve }));
    await listener.close();
    await done;
    await expect(connect(`ux:${uxName}`)).rejects.toMatchObject({ errno: 'ECONNREFUSED' });
    await expect(connect(listener.address.replace(/^utls:/, 'tls:'), { tls: files() })).rejects.toMatchObject({
      errno: 'ECONNREFUSED',
    });
    listener = await listen('tcp:127.0.0.1:0');
  });
});

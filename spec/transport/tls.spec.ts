import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { connect, listen, skiUserId, subjectKeyIdentifier, type Listener } from '../../lib/transport';
import { delay, makePki, nextConnection, runPython, takeMessages, type TestPki } from './helpers';

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

/** Python TLS client (suppress_ragged_eofs=False): sends one frame, prints 'orderly' or 'ragged' and the bytes read. */
const PY_TLS_CLIENT = `
import socket, ssl, struct, sys
port, ca, cert, key = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(port))), suppress_ragged_eofs=False)
s.sendall(struct.pack('>I', 5) + b'hello')
data = b''
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            print('orderly')
            break
        data += chunk
except ssl.SSLEOFError:
    print('ragged')
print(data.hex())
`;

describe('tls transport', () => {
  let pki: TestPki;
  let listener: Listener;

  beforeAll(() => {
    pki = makePki();
  });

  afterAll(() => pki.cleanup());

  beforeEach(async () => {
    listener = await listen('tls:127.0.0.1:0', { tls: { cert: pki.serverCert, key: pki.serverKey, tc: pki.ca } });
  });

  afterEach(async () => {
    await listener.close();
  });

  const clientFiles = (): { cert: string; key: string; tc: string } => ({
    cert: pki.clientCert,
    key: pki.clientKey,
    tc: pki.ca,
  });

  it('exchanges messages with mutual authentication; userId is the client certificate SKI', async () => {
    expect(listener.address).toMatch(/^tls:127\.0\.0\.1:[1-9][0-9]*$/);
    const accepted = nextConnection(listener);
    const client = await connect(listener.address, { tls: clientFiles() });
    const server = await accepted;
    server.messages$.subscribe((m) => {
      server.send(m);
      server.flush();
    });
    const replies = takeMessages(client, 2);
    client.send('ping');
    client.send('pong');
    client.flush();
    expect(await replies).toEqual(['ping', 'pong']);
    expect(server.transport).toBe('tls');
    expect(server.remoteAddress).toBe(client.localAddress);
    expect(server.remoteAddress).toMatch(/^tls:127\.0\.0\.1:\d+$/);
    expect(server.userId).toBe(`ski:${pki.clientSki.toLowerCase()}`);
    expect(server.userId).toMatch(/^ski:([0-9a-f]{2}:)+[0-9a-f]{2}$/);
    client.close();
    server.close();
  });

  it('sends close_notify when closing an established connection (orderly close at the client)', async () => {
    const accepted = nextConnection(listener);
    const python = runPython(PY_TLS_CLIENT, [String(portOf(listener.address)), pki.ca, pki.clientCert, pki.clientKey]);
    const server = await accepted;
    const received = await takeMessages(server, 1);
    expect(received).toEqual(['hello']);
    server.send('bye');
    server.flush();
    server.close();
    const [how, hex] = (await python.done).trim().split('\n');
    expect(how).toBe('orderly');
    expect(hex).toBe(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('bye')]).toString('hex'));
  });

  it('closes a plain TCP client that never starts the handshake after ~2.5 s without writing anything', async () => {
    const socket = netConnect(portOf(listener.address), '127.0.0.1');
    const connectedAt = await new Promise<number>((resolve) => socket.once('connect', () => resolve(Date.now())));
    let bytes = 0;
    let errored = false;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => (errored = true));
    await new Promise((resolve) => socket.once('end', resolve));
    const elapsed = Date.now() - connectedAt;
    socket.destroy();
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThanOrEqual(4000);
    expect(bytes).toBe(0);
    expect(errored).toBe(false);
  });

  it('rejects a client without a certificate', async () => {
    let accepted = 0;
    const sub = listener.connections$.subscribe(() => accepted++);
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: portOf(listener.address),
      ca: readFileSync(pki.ca),
      checkServerIdentity: () => undefined,
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('error', (err: Error) => resolve(`error: ${err.message}`));
      socket.once('close', () => resolve('closed'));
      socket.on('data', () => resolve('data'));
    });
    socket.destroy();
    await delay(100);
    sub.unsubscribe();
    expect(outcome).not.toBe('data');
    expect(accepted).toBe(0);
  });

  it('takes credentials from $XCM_TLS_CERT and rejects missing files with a clear message', async () => {
    await expect(listen('tls:127.0.0.1:0', { tls: { cert: `${pki.dir}/missing.pem` } })).rejects.toThrow(
      /unable to read certificate file ".*missing\.pem"/,
    );
    const certDir = join(pki.dir, 'certdir');
    mkdirSync(certDir);
    copyFileSync(pki.serverCert, join(certDir, 'cert.pem'));
    copyFileSync(pki.serverKey, join(certDir, 'key.pem'));
    const saved = process.env.XCM_TLS_CERT;
    process.env.XCM_TLS_CERT = certDir;
    try {
      await expect(listen('tls:127.0.0.1:0')).rejects.toThrow(/trusted CA file ".*certdir\/tc\.pem"/);
      copyFileSync(pki.ca, join(certDir, 'tc.pem'));
      const fromDir = await listen('tls:127.0.0.1:0');
      const accepted = nextConnection(fromDir);
      const client = await connect(fromDir.address, { tls: clientFiles() });
      const server = await accepted;
      expect(server.userId).toBe(`ski:${pki.clientSki.toLowerCase()}`);
      client.close();
      server.close();
      await fromDir.close();
    } finally {
      if (saved === undefined) {
        delete process.env.XCM_TLS_CERT;
      } else {
        process.env.XCM_TLS_CERT = saved;
      }
    }
  });

  it('re-reads credential files that changed: new connections use the new files (§2.4)', async () => {
    const other = makePki();
    const dir = join(pki.dir, 'rotating');
    mkdirSync(dir);
    const install = (p: TestPki): void => {
      copyFileSync(p.serverCert, join(dir, 'cert.pem'));
      copyFileSync(p.serverKey, join(dir, 'key.pem'));
      copyFileSync(p.ca, join(dir, 'tc.pem'));
    };
    install(pki);
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), tc: join(dir, 'tc.pem') };
    const rotating = await listen('tls:127.0.0.1:0', { tls: files });
    const filesOf = (p: TestPki) => ({ tls: { cert: p.clientCert, key: p.clientKey, tc: p.ca }, timeoutMs: 3000 });
    try {
      const before = await connect(rotating.address, filesOf(pki));
      before.close();
      await expect(connect(rotating.address, filesOf(other))).rejects.toThrow();
      install(other);
      const after = await connect(rotating.address, filesOf(other));
      after.close();
      await expect(connect(rotating.address, filesOf(pki))).rejects.toThrow();
    } finally {
      await rotating.close();
      other.cleanup();
    }
  });

  it('extracts the SKI from DER and yields ski: for a certificate without one', () => {
    const der = (pem: string): Buffer =>
      Buffer.from(readFileSync(pem, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(skiUserId(der(pki.clientCert))).toBe(`ski:${pki.clientSki.toLowerCase()}`);
    expect(subjectKeyIdentifier(der(pki.noSkiCert)).length).toBe(0);
    expect(skiUserId(der(pki.noSkiCert))).toBe('ski:');
  });

  it('gives SKI-less client certificates the user id ski:', async () => {
    const accepted = nextConnection(listener);
    const client = await connect(listener.address, { tls: { cert: pki.noSkiCert, key: pki.noSkiKey, tc: pki.ca } });
    const server = await accepted;
    expect(server.userId).toBe('ski:');
    const done = firstValueFrom(client.messages$.pipe(toArray()));
    server.close();
    expect(await done).toEqual([]);
    client.close();
  });
});

import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { Connection, Listener } from '../../lib/transport';

/** A random abstract ux name private to one test. */
export const randomUxName = (): string => `rxpaf-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

/** The next connection accepted by a listener. */
export const nextConnection = (listener: Listener): Promise<Connection> =>
  firstValueFrom(listener.connections$.pipe(take(1)));

/** The first `n` messages of a connection, decoded as UTF-8. */
export const takeMessages = (conn: Connection, n: number): Promise<string[]> =>
  firstValueFrom(conn.messages$.pipe(take(n), toArray())).then((all) => all.map((m) => Buffer.from(m).toString()));

/** Resolve after `ms` milliseconds. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Run a Python 3 script with arguments; resolves with its stdout once it exits 0. */
export const runPython = (script: string, args: string[]): { done: Promise<string> } => {
  const child = spawn('python3', ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited ${code}: ${err}`)))),
  );
  return { done };
};

/** Certificates made with the openssl CLI in a temporary directory (removed by cleanup()). */
export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate signed by the CA but without a Subject Key Identifier extension. */
  readonly noSkiCert: string;
  readonly noSkiKey: string;
  /** SKI of the client certificate as printed by openssl, e.g. 3F:A2:... */
  readonly clientSki: string;
  cleanup(): void;
}

const openssl = (dir: string, args: string[]): string =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const leaf = (dir: string, name: string, ext: string): void => {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]),
  );
};

/** Generate a CA, a server certificate and client certificates (one with, one without SKI). */
export const makePki = (): TestPki => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-pki-'));
  openssl(dir, ['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
  leaf(dir, 'server', 'basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n');
  leaf(dir, 'client', 'basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n');
  leaf(dir, 'noski', 'basicConstraints=CA:FALSE\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n');
  const skiText = openssl(dir, ['x509', '-in', 'client.pem', '-noout', '-ext', 'subjectKeyIdentifier']);
  const clientSki = skiText.split('\n')[1]!.trim();
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    noSkiCert: p('noski.pem'),
    noSkiKey: p('noski.key'),
    clientSki,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
};

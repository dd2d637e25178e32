/** rxpafd with its HTTP listener, as operators run it: command line, YAML, TLS, token file, readiness, errors. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer as netServer, type Server } from 'node:net';
import { join } from 'node:path';

import { Daemon, killAllDaemons, runRxpafd, tempDir } from '../helpers/daemon';
import { makePki } from '../transport/helpers';
import { connectClient, get, publishService } from './helpers';

const httpUrl = (d: Daemon): string => {
  const url = /INFO core http listening url=(\S+)/.exec(d.stderr)?.[1];
  if (url === undefined) throw new Error(`no http listening line: ${d.stderr}`);
  return url;
};

describe('rxpafd --http', () => {
  afterEach(() => killAllDaemons());

  it('serves health, metrics and the API on loopback, and stops with the daemon', async () => {
    const d = await Daemon.start(['--http', '0', 'tcp:127.0.0.1:0']);
    const url = httpUrl(d);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(`${url}healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await get(`${url}readyz`)).toMatchObject({ status: 200, text: `[+]domain 0 ${d.addr()}\nready\n` });
    const c = await connectClient(d.addr(), 1);
    await publishService(c, 9, { name: ['x'] });
    expect((await get(`${url}v1/domains/0/services/9`)).json).toMatchObject({ id: 9n, props: { name: ['x'] } });
    const m = await get(`${url}metrics`);
    expect(m.text).toMatch(/^rxpaf_services\{domain="0"\} 1$/m);
    expect(m.text).toMatch(/^rxpaf_messages_received_total\{domain="0",command="publish",type="request"\} 1$/m);
    expect(m.text).toMatch(/^process_resident_memory_bytes \d+/m);
    c.close();
    expect((await d.stop()).code).toBe(0);
    await expect(get(`${url}healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('is not ready while the -r hook runs, and ready once serving', async () => {
    const dir = tempDir();
    try {
      dir.file('slowhook.py', 'import time\ndef run(servers):\n    time.sleep(1.5)\n');
      const d = await Daemon.start(['--http', '0', '-r', 'slowhook.run', 'tcp:127.0.0.1:0'], {
        cwd: dir.path,
        env: { PYTHONPATH: dir.path },
      });
      const url = httpUrl(d);
      const during = await get(`${url}readyz`);
      expect(during.status).toBe(503);
      expect(during.text).toContain('not ready: starting');
      expect((await get(`${url}healthz`)).status).toBe(200);
      let after = during;
      for (let i = 0; i < 100 && after.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await get(`${url}readyz`);
      }
      expect(after.status).toBe(200);
      await d.stop();
    } finally {
      dir.cleanup();
    }
  });

  it('reads the http section of the configuration file: HTTPS with a token file', async () => {
    const pki = makePki();
    const dir = tempDir();
    try {
      const token = dir.file('token', '  s3cret\n');
      const conf = dir.file(
        'rxpafd.yaml',
        [
          'domains: [{name: prod, sockets: ["tcp:127.0.0.1:0"]}]',
          `http: {address: "127.0.0.1:0", tls: {cert: ${pki.serverCert}, key: ${pki.serverKey}}, token_file: ${token}}`,
        ].join('\n'),
      );
      const d = await Daemon.start(['-f', conf]);
      const url = httpUrl(d);
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const fetchTls = (path: string, auth?: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = httpsRequest(
            `${url}${path}`,
            {
              ca: readFileSync(pki.ca),
              checkServerIdentity: () => undefined, // the test certificate names CN=server, not 127.0.0.1
              headers: auth === undefined ? {} : { Authorization: `Bearer ${auth}` },
            },
            (res) => {
              let body = '';
              res.on('data', (x: Buffer) => (body += x.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, body }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect((await fetchTls('healthz')).status).toBe(200);
      expect((await fetchTls('v1/domains')).status).toBe(401);
      const ok = await fetchTls('v1/domains', 's3cret');
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('"name":"prod"');
      expect((await fetchTls('metrics', 'wrong')).status).toBe(401);
      await d.stop();
    } finally {
      dir.cleanup();
      pki.cleanup();
    }
  });

  it('fails with one line and exit 1 when the HTTP address is taken or unusable', async () => {
    const blocker: Server = netServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const taken = await runRxpafd(['-s', '-n', '--http', `127.0.0.1:${port}`, 'tcp:127.0.0.1:0']);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(
        new RegExp(`^rxpafd: http: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE$`, 'm'),
      );
      const bad = await runRxpafd(['--http', 'localhost', 'tcp:127.0.0.1:0']);
      expect(bad).toMatchObject({ code: 1 });
      expect(bad.stderr.trim().split('\n')).toEqual([
        "Invalid --http: invalid HTTP address 'localhost' (expected <host>:<port>, [<ipv6>]:<port> or <port>).",
      ]);
      const dir = tempDir();
      try {
        const conf = dir.file(
          'c.yaml',
          `domains: [{sockets: [ux:x]}]\nhttp: {address: "0", token_file: ${join(dir.path, 'none')}}`,
        );
        const missing = await runRxpafd(['-f', conf]);
        expect(missing.code).toBe(1);
        expect(missing.stderr.trim().split('\n')).toEqual([
          `rxpafd: http: cannot read the token file '${join(dir.path, 'none')}': ENOENT`,
        ]);
        const badTls = dir.file('bad.pem', 'not a certificate');
        const conf2 = dir.file(
          'd.yaml',
          `domains: [{sockets: [ux:y]}]\nhttp: {address: "0", tls: {cert: ${badTls}, key: ${badTls}}}`,
        );
        const tls = await runRxpafd(['-f', conf2]);
        expect(tls.code).toBe(1);
        expect(tls.stderr).toMatch(/^rxpafd: http: unusable TLS certificate or key: .+$/m);
      } finally {
        dir.cleanup();
      }
    } finally {
      blocker.close();
    }
  });

  it('does not load the HTTP side (prom-client) unless it is configured', () => {
    const root = join(__dirname, '..', '..');
    /** Run the daemon in a fresh process for half a second; did it load prom-client? */
    const loadsPromClient = (argv: string[]): boolean =>
      execFileSync(
        process.execPath,
        [
          '-e',
          `const done = require('./dist/lib/cli/daemon-main.js').runDaemon(${JSON.stringify(argv)});
           setTimeout(() => {
             process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('prom-client'))));
             process.kill(process.pid, 'SIGTERM');
           }, 500);
           done.then((status) => process.exit(status));`,
        ],
        { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ) === 'true';
    expect(loadsPromClient(['-n', 'tcp:127.0.0.1:0'])).toBe(false);
    expect(loadsPromClient(['-n', '--http', '0', 'tcp:127.0.0.1:0'])).toBe(true);
  });
});

/**
 * Interop (a): rxpaf's client library and rxpafc against tpafd, the upstream C server (protocol v2 only), over
 * tcp and ux: publish, modify, unpublish, subscribe, services, clients, ping, and reconnecting after tpafd
 * restarts. The peers are required (see peers.ts): without them this suite fails.
 */
import { expect } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';

import { runClientCli } from '../../lib/cli/client-cli';
import { clientInternals, createClient, type RxpafClient } from '../../lib/client/client';
import type { Match } from '../../lib/model';
import { eventually, waitFor } from '../client/helpers';
import { findPeers, Tpafd } from './peers';

const RXPAFC = join(__dirname, '..', '..', 'bin', 'rxpafc.js');
const randomUx = (): string => `ux:rxpaf-interop-${randomBytes(6).toString('hex')}`;

/** rxpafc as a process (bin/rxpafc.js). */
const rxpafcProcess = (args: readonly string[]): Promise<{ code: number; out: string; err: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [RXPAFC, ...args], { timeout: 15000 }, (e, out, err) =>
      resolve({ code: e === null ? 0 : Number(e.code ?? 1), out, err }),
    ),
  );

/** rxpafc in-process (the same code as the binary, without a node start per command). */
const rxpafc = async (args: readonly string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const code = await runClientCli(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
  });
  return { code, out, err };
};

/** An interactive rxpafc process, driven line by line (output read as it comes). */
const rxpafcSession = (args: readonly string[], env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [RXPAFC, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let text = '';
  let mark = 0;
  child.stdout.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr.on('data', (b: Buffer) => (text += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, ms = 10000): Promise<RegExpExecArray> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(text.slice(mark));
      if (m !== null) return m;
      if (Date.now() > end || child.exitCode !== null)
        throw new Error(`rxpafc: no ${re} within ${ms} ms; output since the command:\n${text.slice(mark)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    child,
    exited,
    waitFor,
    get output(): string {
      return text;
    },
    /** Send a command line; wait for `until` in what follows. */
    run: (line: string, until: RegExp = /^OK\.$/m): Promise<RegExpExecArray> => {
      mark = text.length;
      child.stdin.write(line + '\n');
      return waitFor(until);
    },
  };
};

describe('interop: rxpaf client library and rxpafc against tpafd', () => {
  const clients: RxpafClient[] = [];
  const subs: Subscription[] = [];
  const servers: Tpafd[] = [];
  const client = (addr: string): RxpafClient => {
    const c = createClient({ addresses: [addr], reconnectMin: 0.01, reconnectMax: 0.1 });
    clients.push(c);
    return c;
  };
  const tpafd = async (addresses: readonly string[]): Promise<Tpafd> => {
    const t = await Tpafd.start(addresses);
    servers.push(t);
    return t;
  };
  beforeAll(() => {
    const p = findPeers();
    if ('error' in p) throw new Error(p.error); // loud, not skipped
  });
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  });

  describe.each(['tcp', 'ux'])('over %s', (transport) => {
    it('publishes, modifies, unpublishes, subscribes and lists services and clients', async () => {
      const t = await tpafd([transport === 'tcp' ? 'tcp:127.0.0.1:0' : randomUx()]);
      const addr = t.addresses[0]!;
      const pub = client(addr);
      const sub = client(addr);
      const got: Match[] = [];
      subs.push(sub.matches$('(name=interop)').subscribe((m) => got.push(m)));
      await eventually(async () => (await sub.listSubscriptions()).some((s) => s.clientId === sub.clientId));
      expect(clientInternals(pub).connectionStates()[0]).toEqual(
        expect.objectContaining({ state: 'connected', protocolVersion: 2 }),
      );
      const h = await pub.publish({ name: 'interop', port: 4711, tags: ['a', 'b'] }, { ttl: 10 });
      await h.modify({ name: 'interop', port: 4712 });
      await eventually(() => got.length === 2);
      expect(got.map((m) => `${m.type}:${m.service.generation}`)).toEqual(['appeared:0', 'modified:1']);
      expect(got[0]!.service).toEqual({
        id: h.id,
        generation: 0n,
        props: { name: ['interop'], port: [4711n], tags: ['a', 'b'] },
        ttl: 10,
        clientId: pub.clientId,
      });
      const [listed] = await sub.listServices('(name=interop)');
      expect(listed).toEqual({
        id: h.id,
        generation: 1n,
        props: { name: ['interop'], port: [4712n] },
        ttl: 10,
        clientId: pub.clientId,
      });
      const who = await sub.listClients();
      expect(who.map((c) => c.clientId).sort()).toEqual([pub.clientId, sub.clientId].sort());
      for (const c of who) {
        expect(c.protocolVersion).toBeUndefined(); // v2 listing
        expect(c.address).toMatch(transport === 'tcp' ? /^tcp:127\.0\.0\.1:\d+$/ : /^ux:/);
        expect(c.connectedAt).toBeGreaterThan(1_600_000_000);
      }
      expect(await pub.ping()).toBeGreaterThanOrEqual(0);
      await h.unpublish();
      await eventually(() => got.length === 3);
      expect(got[2]).toEqual({ type: 'disappeared', service: got[1]!.service });
      // the publisher goes away with a service published: tpafd keeps it as an orphan
      const h2 = await pub.publish({ name: 'interop' }, { ttl: 60 });
      await pub.close();
      await eventually(() => got.some((m) => m.service.id === h2.id && m.service.orphanSince !== undefined));
    });
  });

  it('reconnects after tpafd restarts, and gives it the services and subscriptions back', async () => {
    const ux = randomUx();
    const first = await tpafd([ux]);
    const pub = client(ux);
    const sub = client(ux);
    const got: Match[] = [];
    subs.push(sub.matches$('(name=restart)').subscribe((m) => got.push(m)));
    await eventually(async () => (await sub.listSubscriptions()).length === 1);
    const h = await pub.publish({ name: 'restart' }, { ttl: 30 });
    await eventually(() => got.length === 1);
    await first.stop();
    await waitFor(pub.connections$, (s) => s.state === 'disconnected');
    await tpafd([ux]);
    await eventually(async () => (await pub.listServices('(name=restart)').catch(() => [])).length === 1, 8000);
    expect((await pub.listServices('(name=restart)'))[0]).toEqual(
      expect.objectContaining({ id: h.id, generation: 0n }),
    );
    await eventually(async () => (await pub.listSubscriptions().catch(() => [])).length === 1, 8000);
    const h2 = await pub.publish({ name: 'restart', n: 2 }, { ttl: 30 });
    await eventually(() => got.some((m) => m.service.id === h2.id));
    // h was an orphan in the merged view while tpafd was away, then live again; never gone
    expect(got.filter((m) => m.service.id === h.id).map((m) => m.type)).not.toContain('disappeared');
    expect(got.filter((m) => m.service.id === h.id).pop()!.service.orphanSince).toBeUndefined();
  }, 30000);

  it('rxpafc runs its commands against tpafd', async () => {
    const t = await tpafd(['tcp:127.0.0.1:0', randomUx()]);
    for (const addr of t.addresses) {
      const pub = await rxpafcProcess([addr, 'publish', '1a', '0', '60', 'name', 'cli', 'port', '80']);
      expect(pub).toEqual({ code: 0, out: 'Service Id: 0x1a\n', err: '' });
      const services = await rxpafc([addr, 'services', '(name=cli)']);
      expect(services.code).toBe(0);
      expect(services.out).toMatch(
        /^0x1a\s+0\s+60\s+(-|\d+\.\d)\s+0x[0-9a-f]+\s+\{'name': \['cli'\], 'port': \[80\]\}$/m,
      );
      const json = await rxpafc(['--json', addr, 'services', '(name=cli)']);
      expect(json.out).toMatch(
        /^\{"id":26,"generation":0,"props":\{"name":\["cli"\],"port":\[80\]\},"ttl":60,"clientId":\d+/,
      );
      const version = await rxpafc([addr, 'version']);
      expect(version.out).toContain('Negotiated protocol version: 2');
      const ping = await rxpafc([addr, 'ping']);
      expect(ping.out).toMatch(/^Latency: [0-9.]+ ms$/m);
      const clients = await rxpafc(['-i', 'beef', addr, 'clients']);
      expect(clients.out).toMatch(/^Client Id\s+Remote Address\s+Uptime$/m);
      expect(clients.out).toMatch(/^0xbeef\s/m);
      const track = await rxpafc([addr, 'track']);
      expect(track).toEqual(
        expect.objectContaining({ code: 1, err: expect.stringContaining('track requires protocol version 3') }),
      );
      const unpub = await rxpafc([addr, 'unpublish', '1a']);
      expect(unpub.code).toBe(0);
      const again = await rxpafc([addr, 'unpublish', '1a']);
      expect(again).toEqual(
        expect.objectContaining({ code: 1, err: expect.stringContaining('non-existent-service-id') }),
      );
    }
  }, 60000);

  it('rxpafc subscribes to tpafd and prints matches as they come (interactive session)', async () => {
    const t = await tpafd([randomUx()]);
    const addr = t.addresses[0]!;
    const pub = client(addr);
    const session = new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile(process.execPath, [RXPAFC, addr], { timeout: 15000 }, (e, out) =>
        resolve({ code: e === null ? 0 : Number(e.code ?? 1), out }),
      );
      let printed = '';
      child.stdout!.on('data', (chunk: Buffer | string) => (printed += chunk.toString()));
      child.stdin!.write('subscribe (name=watched)\n');
      void (async () => {
        // publish once rxpafc has printed the subscribe's OK: a match arriving in the same read as the accept may
        // be printed before it (the command completes a turn later), which is not what this test is about
        await eventually(async () => printed.includes('OK.') && (await pub.listSubscriptions()).length === 1);
        const h = await pub.publish({ name: 'watched' }, { ttl: 60 });
        await h.unpublish();
        await new Promise((r) => setTimeout(r, 300));
        child.stdin!.end('subscriptions\nquit\n');
      })();
    });
    const { code, out } = await session;
    expect(code).toBe(0);
    expect(out).toMatch(/Subscription Id: 0x[0-9a-f]+\nOK\./);
    expect(out).toMatch(
      /Match type: appeared; Service id: 0x[0-9a-f]+; Generation: 0; TTL: 60; Client Id: 0x[0-9a-f]+; Properties: \{'name': \['watched'\]\}/,
    );
    expect(out).toMatch(/Match type: disappeared; Service id: 0x[0-9a-f]+\n/);
    expect(out).toMatch(/^Subscription Id\s+Client Id\s+Filter\n0x[0-9a-f]+\s+0x[0-9a-f]+\s+\(name=watched\)$/m);
  }, 30000);

  it('rxpafc interactive: a subscription ended by unsubscribe or by the loss of tpafd is reported canceled (as lpafc does); the session reconnects to a restarted tpafd', async () => {
    const ux = randomUx();
    const first = await tpafd([ux]);
    const session = rxpafcSession([ux], { PAF_RECONNECT_MIN: '0.01', PAF_RECONNECT_MAX: '0.1' });
    try {
      const subscribed = /Subscription Id: (0x[0-9a-f]+)\nOK\.\n/;
      // unsubscribe: the subscription's transaction completes, rxpafc says so
      const [, a] = await session.run('subscribe (name=a)', subscribed);
      await session.run(`unsubscribe ${a!}`, new RegExp(`Subscription ${a!} canceled\\.\n`));
      // the server goes away: the subscription is gone with the connection (the client reconnects; the raw
      // subscription is not renewed), and rxpafc says so instead of dropping it silently
      const [, b] = await session.run('subscribe (name=b)', subscribed);
      await first.stop();
      await session.waitFor(new RegExp(`Subscription ${b!} canceled \\(.+\\)\\.\n`));
      // tpafd is back on the same address: the same session works again, subscriptions and matches included
      await tpafd([ux]);
      const [, c] = await session.run('subscribe (name=c)', subscribed);
      const pub = client(ux);
      const h = await pub.publish({ name: 'c' }, { ttl: 60 });
      await session.waitFor(
        new RegExp(`Match type: appeared; Service id: 0x${h.id.toString(16)}; Generation: 0; TTL: 60;`),
      );
      await session.run('publish 5e 0 30 name c2', /Service Id: 0x5e\nOK\./);
      await session.run('services (name=c2)', /^0x5e\s+0\s+30\s/m);
      session.child.stdin.end('quit\n');
      expect(await session.exited).toBe(0);
      // quitting closes the session's subscriptions without a word; each cancel was printed once
      expect(session.output).not.toContain(`Subscription ${c!} canceled`);
      expect(session.output.match(/canceled/g)).toHaveLength(2);
    } finally {
      session.child.kill('SIGKILL');
    }
  }, 30000);
});

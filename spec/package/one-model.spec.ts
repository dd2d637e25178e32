/**
 * One public model on every side (issue 9, item 4): one service with a 63-bit id, published by the client library
 * to a real rxpafd (recording its event log) and to an in-process server at once, looks the same — as `toJson`
 * text — in the client's `matches$`, the in-process server's `changes$`, the steps of `replay$` over the daemon's
 * log, `rxpafc --json services` and the `rxpaf-replay --at --json` directory (which adds the owner's `user`, and
 * names its clients by `clientId` too).
 * Everything emitted is a plain object (no immutable.js, no Map inside a service, no immer draft) and `toJson`
 * keeps the id digit for digit where `JSON.stringify` throws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { createClient, createServer, replay$, readLines$, toJson, type Service } from 'rxpaf';

import { runClientCli } from '../../lib/cli/client-cli';
import { Daemon } from '../helpers/daemon';
import { replayCli } from '../helpers/replay-cli';

const ID = 2n ** 63n - 1n; // the largest id: not a safe JavaScript number
const EXPECTED_KEYS = ['id', 'generation', 'props', 'ttl', 'clientId'];

/** Plain data all the way down: arrays, plain objects, strings, bigints, numbers (what toJson and users rely on). */
const isPlain = (v: unknown): boolean => {
  if (v === null || ['string', 'bigint', 'number', 'boolean'].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every(isPlain);
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(v).every(isPlain);
};

describe('one public model on every side', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-one-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('client matches$, server changes$, replay$, rxpafc --json and rxpaf-replay --json show one service alike', async () => {
    const log = join(dir, 'events.ndjson');
    const daemon = await Daemon.start(['--record', log, 'tcp:127.0.0.1:0']);
    const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const domain = server.domains[0]!;
    const client = createClient({ addresses: [daemon.addr(), domain.addresses[0]!] });
    let rxpafcOut = '';
    try {
      const added = firstValueFrom(domain.changes$.pipe(filter((c) => c.type === 'added')));
      const appeared = firstValueFrom(client.matches$('(name=one-model)').pipe(filter((m) => m.type === 'appeared')));
      await client.publish({ name: 'one-model', port: 631, note: '|x|' }, { id: ID, ttl: 30 });
      const fromClient = (await appeared).service;
      const change = await added;
      expect(change.type).toBe('added');
      const fromServer = change.service;

      let out = '';
      const status = await runClientCli(['--json', daemon.addr(), 'services', '(name=one-model)'], {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: () => true },
        stdin: new PassThrough(),
        env: { PAF_DOMAINS: dir },
      });
      expect(status).toBe(0);
      rxpafcOut = out.trimEnd();

      const wanted: Service = {
        id: ID,
        generation: 0n,
        props: { name: ['one-model'], port: [631n], note: ['|x|'] },
        ttl: 30,
        clientId: client.clientId,
      };
      for (const s of [fromClient, fromServer]) {
        expect(s).toEqual(wanted);
        expect(Object.keys(s)).toEqual(EXPECTED_KEYS);
        expect(isPlain(s)).toBe(true);
      }
      expect(() => JSON.stringify(fromClient)).toThrow(TypeError); // why toJson exists
      const text = toJson(fromClient);
      expect(text).toBe(
        `{"id":9223372036854775807,"generation":0,"props":{"name":["one-model"],"port":[631],"note":["|x|"]},` +
          `"ttl":30,"clientId":${client.clientId}}`,
      );
      expect(toJson(fromServer)).toBe(text);
      expect(rxpafcOut).toBe(text);
    } finally {
      await client.close();
      await server.close();
      await daemon.stop();
    }

    // the daemon's log, replayed in process: the same service in the same shape
    const steps = await lastValueFrom(replay$(readLines$([log])).pipe(toArray()));
    const addedStep = steps.find((s) => s.changes.some((c) => c.type === 'added' && c.service.id === ID))!;
    const replayed = addedStep.changes.find((c) => c.service.id === ID)!.service;
    expect(isPlain(replayed)).toBe(true);
    expect(toJson(replayed)).toBe(rxpafcOut);

    // rxpaf-replay's directory at that step: the same fields (and values) of the service, plus its owner's user
    const r = await replayCli('--at', String(addedStep.seq), '--json', log);
    expect(r.status).toBe(0);
    const row = (JSON.parse(r.out) as { services: Array<Record<string, unknown>> }).services.find(
      (s) => String(s.id) === String(ID) || s.id === Number(ID),
    )!;
    expect(Object.keys(row).sort()).toEqual([...EXPECTED_KEYS, 'user'].sort());
    expect(r.out).toContain(`"id":${ID}`); // digit for digit in the text, whatever JSON.parse makes of it
    // its clients are named as everywhere else: `clientId`, not `id`
    const clients = (JSON.parse(r.out) as { clients: Array<Record<string, unknown>> }).clients;
    expect(clients.length).toBeGreaterThan(0);
    for (const c of clients)
      expect([Object.keys(c).includes('clientId'), Object.keys(c).includes('id')]).toEqual([true, false]);
    expect(r.out).toContain(`"clientId":${client.clientId}`);
    const { user, ...service } = row;
    expect(typeof user).toBe('string');
    expect(JSON.parse(toJson(replayed))).toEqual(service);
  }, 60_000);
});

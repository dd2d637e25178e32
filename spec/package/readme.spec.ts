/**
 * The README's "Use it as a library" programs are the examples/library-*.ts files, verbatim (so they type-check with
 * the repository and import the package by name), and each runs and does what the README says.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { createClient } from 'rxpaf/client';
import { createServer } from 'rxpaf/server';

import { main as clientMain } from '../../examples/library-client';
import { main as filterMain } from '../../examples/library-filter';
import { main as replayMain } from '../../examples/library-replay';
import { main as serverMain } from '../../examples/library-server';
import { Daemon } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Use it as a library'));

describe('README: Use it as a library', () => {
  it.each(['library-client', 'library-server', 'library-replay', 'library-filter'])(
    'shows examples/%s.ts verbatim',
    (name) => {
      const code = readFileSync(join(ROOT, 'examples', `${name}.ts`), 'utf8');
      expect(section).toContain('```ts\n' + code + '```');
    },
  );

  it('client: publish, watch, modify, unpublish', async () => {
    const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const said: string[] = [];
    await clientMain(server.domains[0]!.addresses[0]!, (l: string) => said.push(l));
    expect(said).toEqual([expect.stringMatching(/^published \d+$/), 'modified: port 632', 'unpublished']);
    await server.close();
  });

  it('server: its directory as an observable', async () => {
    const said: string[] = [];
    const server = await serverMain('tcp:127.0.0.1:0', (l: string) => said.push(l));
    const client = createClient({ addresses: [server.domains[0]!.addresses[0]!] });
    const svc = await client.publish({ name: 'lamp' });
    await firstValueFrom(server.domains[0]!.services$().pipe(filter((all) => all.has(svc.id))));
    await client.close();
    await server.close();
    expect(said[0]).toMatch(/^listening on tcp:127\.0\.0\.1:\d+$/);
    expect(said[1]).toBe('directory: (empty)');
    expect(said).toContain(`directory: ${svc.id}:lamp`);
  });

  it('replay: a recorded log to an answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxpaf-readme-'));
    try {
      const log = join(dir, 'events.ndjson');
      const daemon = await Daemon.start(['--record', log, 'tcp:127.0.0.1:0']);
      const c = await RawClient.open(daemon.addr());
      await c.hello(1);
      for (const [ta, id] of [
        [1, 10],
        [2, 11],
      ])
        c.send(
          `{"ta-cmd":"publish","ta-id":${ta},"msg-type":"request","service-id":${id},"generation":0,"service-props":{},"ttl":5}`,
        );
      await c.next();
      await c.next();
      c.send('{"ta-cmd":"unpublish","ta-id":3,"msg-type":"request","service-id":10}');
      await c.next();
      c.close();
      await daemon.stop();
      const said: string[] = [];
      await replayMain([log], (l: string) => said.push(l));
      expect(said).toEqual(['published: 10 11; at most 2 at once']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('filter: parse, print, match, escape', () => {
    const said: string[] = [];
    filterMain((l: string) => said.push(l));
    expect(said).toEqual(['(&(name=db\\*primary)(port>1024))', 'true', 'false', 'PAF_INVALID_FILTER at 8']);
  });
});

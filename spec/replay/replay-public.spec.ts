/**
 * Issue 9 item 4, "the same field names everywhere": `replay$` names a connection `connection`, as the server's
 * `ConnectionEvent` does, and with the same numbers. A real server records its event log (the recorder the daemon
 * uses) while its public `connections$` is watched; the log replayed through `replay$` shows the same connections
 * under the same name, in its inputs and in what was sent. The log's own lines keep `conn` (the format is unchanged).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';

import { createRecorder } from '../../lib/replay/record';
import { readLines$, replay$, type ReplayInput } from '../../lib/replay';
import { createServer } from '../../lib/server/create-server';
import { publicDomain, type ConnectionEvent } from '../../lib/server/public-domain';
import { helloMsg, waitFor } from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';

describe('replay$ and the server name a connection alike', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-replay-public-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('`connection` in every input and sent message, with the numbers of ConnectionEvent; the log keeps `conn`', async () => {
    const file = join(dir, 'events.ndjson');
    const rec = createRecorder({ file });
    const server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      onStart: rec.header,
      onEvents: rec.events,
      onOutbound: rec.outbound,
    });
    const domain = publicDomain(server.domains[0]!);
    const live: ConnectionEvent[] = [];
    domain.connections$.subscribe((e) => live.push(e));
    try {
      const a = await RawClient.open(domain.addresses[0]!);
      const b = await RawClient.open(domain.addresses[0]!);
      a.send(helloMsg(7));
      expect(await a.next()).toMatchObject({ 'ta-cmd': 'hello', 'msg-type': 'complete' });
      a.send('{"ta-cmd":"nope"');
      await a.waitClosed(); // malformed: closed by the server
      b.send(helloMsg(8));
      await b.next();
      b.close();
      await waitFor(() => live.filter((e) => e.type === 'closed').length === 2, 2000, 'both closed');
    } finally {
      await server.close();
      await rec.close();
    }
    const [first, second] = live.filter((e) => e.type === 'accepted').map((e) => e.connection) as [number, number];
    expect(first).not.toBe(second);

    const steps = await lastValueFrom(replay$(readLines$([file])).pipe(toArray()));
    const inputs = steps
      .map((s) => s.input)
      .filter((i): i is Exclude<ReplayInput, { type: 'tick' | 'work' }> => 'connection' in i);
    for (const i of inputs) expect(Object.keys(i)).not.toContain('conn');
    expect(inputs.map((i) => `${i.type} ${i.connection}`)).toEqual([
      `accepted ${first}`,
      `accepted ${second}`,
      `message ${first}`,
      `malformed ${first}`,
      `message ${second}`,
      `closed ${second}`,
    ]);
    const sent = steps.flatMap((s) => s.sent);
    expect(sent.map((m) => Object.keys(m))).toEqual([
      ['connection', 'json'],
      ['connection', 'json'],
    ]);
    expect(sent.map((m) => m.connection)).toEqual([first, second]);

    // the log itself is unchanged: its event lines carry `conn`
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.some((l) => l.includes(`"conn":${first}`))).toBe(true);
    expect(lines.some((l) => l.includes('"connection"'))).toBe(false);
  });
});

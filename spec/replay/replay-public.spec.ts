/**
 * Issue 9 item 4, "the same field names everywhere": `replay$` names a connection `connection`, as the server's
 * `ConnectionEvent` does, and with the same numbers. A real server records its event log (the recorder the daemon
 * uses) while its public `connections$` is watched; the log replayed through `replay$` shows the same connections
 * under the same name, in its inputs and in what was sent. The log's own lines keep `conn` (the format is unchanged).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';

import { encodeEventLine, encodeHeaderLine } from '../../lib/replay/event-codec';
import { createRecorder } from '../../lib/replay/record';
import { defaultSettings } from '../../lib/protocol/reducer';
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
      .filter((i): i is Exclude<ReplayInput, { type: 'tick' | 'work' | 'closing' }> => 'connection' in i);
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

  it('a wave of closes: its `closing` input names the connections, each closed by its own input after', async () => {
    const t = 1_700_000_000;
    const accepted = (conn: number) =>
      ({
        type: 'accepted',
        now: t,
        conn,
        address: `tcp:127.0.0.1:${conn}`,
        user: 'ip:127.0.0.1',
        transport: 'tcp',
      }) as const;
    const lines = [
      encodeHeaderLine(0, { seed: 1, now: t, settings: defaultSettings }),
      encodeEventLine(1, 0, accepted(1)),
      encodeEventLine(2, 0, accepted(2)),
      encodeEventLine(3, 0, { type: 'closing', now: t + 1, conns: [2, 1] }),
      encodeEventLine(4, 0, { type: 'closed', now: t + 1, conn: 2, cause: 'eof' }),
      encodeEventLine(5, 0, { type: 'closed', now: t + 1, conn: 1, cause: 'eof' }),
    ];
    const steps = await lastValueFrom(replay$(from(lines)).pipe(toArray()));
    expect(steps.map((s) => s.input)).toEqual([
      expect.objectContaining({ type: 'accepted', connection: 1 }),
      expect.objectContaining({ type: 'accepted', connection: 2 }),
      { type: 'closing', connections: [2, 1] },
      { type: 'closed', connection: 2, cause: 'eof' },
      { type: 'closed', connection: 1, cause: 'eof' },
    ]);
    expect(steps.map((s) => s.counts.connections)).toEqual([1, 2, 2, 1, 0]);
  });
});

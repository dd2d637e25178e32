/**
 * `rxpaf-replay` run in-process (runReplayCli with injected stdout/stderr): each mode on a log written from the
 * reducer itself, usage errors (exit 2), corrupt and truncated logs (exit 1 / warning), and --verify divergence.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { encodeMessage } from '../../lib/codec/encode';
import { encodeEventLine, encodeHeaderLine, encodeOutLine } from '../../lib/replay/event-codec';
import type { Event } from '../../lib/state/events';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { Domain, T0 } from '../helpers/builders';
import { replayCli, type ReplayCliResult } from '../helpers/replay-cli';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-replay-cli-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A log of `events` for domain 0 as the recorder writes it (with outbound lines): the lines. */
const logLines = (events: readonly Event[]): string[] => {
  const lines = [
    encodeHeaderLine(0, { name: 'prod', settings: defaultSettings, seed: 7, now: T0 }, { outbound: true }),
  ];
  let s = initialDomainState(defaultSettings, 7, T0);
  events.forEach((e, seq) => {
    const [next, fx] = reduceAll(s, [e]);
    s = next;
    lines.push(encodeEventLine(seq, 0, e));
    for (const f of fx) if (f.type === 'send') lines.push(encodeOutLine(0, f.conn, encodeMessage(f.msg)));
  });
  return lines;
};

/** Client 1 publishes services 10 and 11, client 2 subscribes; client 1 leaves at T0+5 (its services orphaned). */
const scenario = (): Event[] => {
  const d = new Domain();
  d.connect(1, 1).connect(2, 2).at(1);
  d.publish(1, 10, 0, { name: ['a'] }, 30, 100).publish(1, 11, 0, { name: ['b'] }, 30, 101);
  d.subscribe(2, 5, '(name=a)', 200).at(5).close(1).at(6);
  return d.events;
};

const write = (name: string, lines: readonly string[], end = '\n'): string => {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + end);
  return p;
};

const run = (argv: string[]): Promise<ReplayCliResult> => replayCli(...argv);

describe('rxpaf-replay: modes', () => {
  it('summary (default): events, clients, services over time', async () => {
    const r = await run([write('e.ndjson', logLines(scenario()))]);
    expect(r).toMatchObject({ status: 0, err: '' });
    expect(r.out).toMatch(/prod/);
    expect(r.out.length).toBeGreaterThan(0);
  });

  it('--at a seq, epoch seconds or ISO time: the directory then, as tables or JSON', async () => {
    const events = scenario();
    const file = write('e.ndjson', logLines(events));
    const atSeq = await run(['--at', '6', file]);
    expect(atSeq.status).toBe(0);
    expect(atSeq.out).toMatch(/^domain 0, after seq 6 /);
    const json = await run(['--at', String(T0 + 5.5), '--json', file]);
    expect(json.status).toBe(0);
    const doc = JSON.parse(json.out) as { services: Array<{ id: unknown }> };
    expect(doc.services.map((s) => String(s.id)).sort()).toEqual(['10', '11']);
    const iso = await run(['--at', new Date((T0 + 0.5) * 1000).toISOString(), '--json', file]);
    expect((JSON.parse(iso.out) as { services: unknown[] }).services).toEqual([]);
  });

  it('--service and --client: the history of one', async () => {
    const file = write('e.ndjson', logLines(scenario()));
    const svc = await run(['--service', '10', file]);
    expect(svc.status).toBe(0);
    expect(svc.out).toMatch(/10/);
    const cli = await run(['--client', '2', file]);
    expect(cli.status).toBe(0);
    expect(cli.out.length).toBeGreaterThan(0);
  });

  it('--verify: 0 when replay sends what was recorded, 1 naming the first divergence', async () => {
    const lines = logLines(scenario());
    expect((await run(['--verify', write('ok.ndjson', lines)])).status).toBe(0);
    const i = lines.findIndex((l) => l.startsWith('{"out":') && l.includes('"ta-id":101'));
    expect(i).toBeGreaterThan(0);
    const bad = [...lines];
    bad[i] = bad[i]!.replace('"ta-id":101', '"ta-id":102');
    const r = await run(['--verify', write('bad.ndjson', bad)]);
    expect(r.status).toBe(1);
    expect(r.out + r.err).toMatch(/102|101/);
  });

  it('--verify on a log cut after an input, before its messages (a live log, head -n): not checked, not a divergence', async () => {
    const lines = logLines(scenario());
    // the publish of service 11 (ta-id 101) and its reply
    const i = lines.findIndex((l) => l.includes('"ta-id":101') && l.includes('"request"'));
    expect(lines[i + 1]).toMatch(/^\{"out":.*"ta-id":101/);
    const cut = await run(['--verify', write('cut.ndjson', lines.slice(0, i + 1))]);
    expect(cut.status).toBe(0);
    expect(cut.out).toContain(
      `verify: 1 replayed message of the inputs from log line ${i + 1} on not checked: the log ends before its recorded messages`,
    );
    // a turn of two publishes, its inputs first, cut after the first one's reply (the second's input is before it)
    const j = lines.findIndex((l) => l.includes('"ta-id":100') && l.includes('"request"'));
    expect(j).toBe(i - 2);
    const turn = [...lines.slice(0, j + 1), lines[i]!, lines[j + 1]!];
    const inTurn = await run(['--verify', write('turn.ndjson', turn)]);
    expect(inTurn.status).toBe(0);
    expect(inTurn.out).toContain(`verify: 1 replayed message of the inputs from log line ${j + 2} on not checked`);
    // a message missing before the log's last recorded one is still a divergence
    const missing = [...lines.slice(0, i + 1), ...lines.slice(i + 2)];
    expect(missing.slice(i + 1).some((l) => l.startsWith('{"out":'))).toBe(true);
    const r = await run(['--verify', write('missing.ndjson', missing)]);
    expect(r.status).toBe(1);
    expect(r.out).toContain('expected: (nothing)');
    expect(r.out).toContain('"ta-id":101');
  });

  it('--domain: only that domain is reported', async () => {
    const file = write('e.ndjson', logLines(scenario()));
    const none = await run(['--at', '6', '--domain', '3', file]);
    expect(none).toMatchObject({ status: 0, out: '' });
    expect((await run(['--at', '6', '--domain', '0', file])).out).toMatch(/^domain 0/);
  });

  it('--progress draws a progress bar on stderr', async () => {
    const r = await run(['--progress', write('e.ndjson', logLines(scenario()))]);
    expect(r.status).toBe(0);
    expect(r.err.length).toBeGreaterThan(0);
  });

  it('--help prints the usage on stdout', async () => {
    expect(await run(['--help'])).toMatchObject({
      status: 0,
      out: expect.stringMatching(/^usage: rxpaf-replay/) as unknown,
    });
  });
});

describe('rxpaf-replay: errors', () => {
  it.each<[string[], RegExp]>([
    [[], /no log file given/],
    [['--json', 'f'], /--json needs --at/],
    [['--at', '1', '--verify', 'f'], /--at and --verify cannot be combined/],
    [['--domain', 'x', 'f'], /invalid --domain 'x'/],
    [['--at', 'yesterday', 'f'], /invalid --at 'yesterday'/],
    [['--service', 'x1', 'f'], /invalid --service id 'x1'/],
    [['--client', '12345678901234567890', 'f'], /invalid --client id/],
    [['--bogus', 'f'], /bogus/],
  ])('usage error %p: exit 2 with the reason and the usage', async (argv, why) => {
    const r = await run(argv);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(why);
    expect(r.err).toMatch(/usage: rxpaf-replay/);
  });

  it('a corrupt line: everything before it replayed, then <file>:<line>: reason and exit 1', async () => {
    const lines = logLines(scenario());
    lines.splice(3, 0, '{"seq":oops}');
    const file = write('c.ndjson', lines);
    const r = await run([file]);
    expect(r.status).toBe(1);
    expect(r.err).toBe(
      `rxpaf-replay: ${file}:4: invalid JSON: ${r.err.split('invalid JSON: ')[1]!.split(' (every')[0]}` +
        ' (everything before it was replayed)\n',
    );
  });

  it('a partial last line (a crash while writing) is only a warning', async () => {
    const lines = logLines(scenario());
    const file = write('p.ndjson', lines);
    appendFileSync(file, '{"seq":99,"at":');
    const r = await run([file]);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(new RegExp(`warning: .*p\\.ndjson:${lines.length + 1}: incomplete last line ignored`));
  });

  it('a missing file: one line, exit 1', async () => {
    const r = await run([join(dir, 'none.ndjson')]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^rxpaf-replay: .*ENOENT.*\n$/);
  });
});

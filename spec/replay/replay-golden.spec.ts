import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, from, toArray } from 'rxjs';

import { replayCli as run } from '../helpers/replay-cli';
import { changes$, replay$, replayLines, ReplayError, splitLines, states$ } from '../../lib/replay/replay';
import { classifyChange } from '../../lib/replay/replay-summary';

const dir = join(__dirname, '../fixtures/logs');
const fixture = (name: string): string => join(dir, name);
const golden = (name: string): string => readFileSync(fixture(name), 'utf8');

describe('golden logs', () => {
  const log = fixture('orphan-expiry.ndjson');

  // a version-1 log has no index: seeking and histories say they replay all of it
  const noIndexAt = 'rxpaf-replay: warning: no index beside the log: replaying from its start (slow)\n';
  const noIndexAll = 'rxpaf-replay: warning: no index beside the log: replaying all of it (slow)\n';
  it.each([
    ['orphan-expiry.summary.txt', [] as string[], ''],
    ['orphan-expiry.at.txt', ['--at', '1970-01-01T00:16:48Z'], noIndexAt],
    ['orphan-expiry.at.json', ['--at', '8', '--json'], noIndexAt],
    ['orphan-expiry.service.txt', ['--service', '9223372036854775807'], noIndexAll],
    ['orphan-expiry.client-1.txt', ['--client', '1'], noIndexAll],
  ])('prints %s', async (expected, args, err) => {
    expect(await run(log, ...args)).toEqual({ status: 0, out: golden(expected), err });
  });

  it('--at accepts epoch seconds and gives the state after the last event at or before it', async () => {
    expect((await run(log, '--at', '1008.5')).out).toBe(golden('orphan-expiry.at.txt'));
  });

  it('--verify reproduces every recorded outbound message', async () => {
    expect(await run(log, '--verify')).toEqual({
      status: 0,
      out: 'verify: ok, 15 outbound messages reproduced\n',
      err: '',
    });
  });

  it('--verify reports the first divergence', async () => {
    const { status, out } = await run(fixture('diverged.ndjson'), '--verify');
    expect(status).toBe(1);
    expect(out).toBe(
      'verify: divergence after 6 matching messages\n' +
        '  seq 5 (log line 11), domain 0, conn 2\n' +
        '  expected: {"ta-cmd":"subscribe","ta-id":1,"msg-type":"notify","match-type":"appeared","service-id":100,"generation":0,"service-props":{"name":["A"]},"ttl":5,"client-id":1}\n' +
        '  actual:   {"ta-cmd":"subscribe","ta-id":1,"msg-type":"notify","match-type":"appeared","service-id":100,"generation":0,"service-props":{"name":["a"]},"ttl":5,"client-id":1}\n' +
        '  inputs that led to it (conn 2 and timer ticks, last 3):\n' +
        '    line 5: {"seq":2,"at":1001,"type":"accepted","conn":2,"address":"tcp:10.0.0.2:6000","user":"ip:10.0.0.2","transport":"tcp"}\n' +
        '    line 6: {"seq":3,"at":1001.25,"type":"message","conn":2,"msg":{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":2,"protocol-minimum-version":2,"protocol-maximum-version":2}}\n' +
        '    line 8: {"seq":4,"at":1001.5,"type":"message","conn":2,"msg":{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":7}}\n',
    );
  });

  it('reports a corrupt line with its number after replaying everything before it', async () => {
    const r = await run(fixture('corrupt.ndjson'));
    expect(r.status).toBe(1);
    expect(r.out).toBe(golden('corrupt.summary.txt'));
    expect(r.err).toBe(
      `rxpaf-replay: ${fixture('corrupt.ndjson')}:12: invalid 'e.msg': invalid 'ta-id': 2.5 (everything before it was replayed)\n`,
    );
  });

  it('only warns about a partial last line (a crash while writing)', async () => {
    const r = await run(fixture('truncated.ndjson'));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^16 events in 1 domain/);
    expect(r.err).toMatch(/^rxpaf-replay: warning: .*truncated\.ndjson:33: incomplete last line ignored/);
  });

  it('draws a progress bar on stderr with --progress, and erases it', async () => {
    const r = await run(log, '--progress');
    expect(r.out).toBe(golden('orphan-expiry.summary.txt'));
    // eslint-disable-next-line no-control-regex -- the progress bar ends by clearing the line with ESC [K
    expect(r.err).toMatch(/^\rreplaying \[#+\] 100% 0\.0\/0\.0 MiB\r\x1b\[K$/);
  });

  it('rejects bad usage with status 2', async () => {
    expect((await run()).status).toBe(2);
    expect((await run(log, '--at', 'yesterday')).err).toMatch(/invalid --at 'yesterday'/);
    expect((await run(log, '--verify', '--client', '1')).status).toBe(2);
  });
});

describe('library API on a golden log', () => {
  const lines = splitLines(golden('orphan-expiry.ndjson'));

  it('replayLines steps through every event with the states before and after', () => {
    const steps = [...replayLines(lines)];
    expect(steps.map((s) => s.seq)).toEqual([...Array(17).keys()]);
    expect(steps[8]!.changes.map(classifyChange)).toEqual(['expired']);
    expect(steps[16]!.state.services.size).toBe(0);
  });

  it('replay$ with changes$ and states$ gives directory diffs and states', async () => {
    const kinds = await lastValueFrom(replay$(from(lines)).pipe(changes$, toArray()));
    expect(kinds.map((c) => `${c.seq}:${classifyChange(c.change)}`)).toEqual([
      '5:published',
      '6:published',
      '7:orphaned',
      '7:orphaned',
      '8:expired',
      '11:reclaimed',
      '14:unpublished',
    ]);
    const states = await lastValueFrom(replay$(from(lines)).pipe(states$, toArray()));
    expect(states.every((s, i) => i === 0 || s.state !== states[i - 1]!.state)).toBe(true);
  });

  it('replay$ emits every step before a corrupt line, then errors with a ReplayError', async () => {
    const seen: number[] = [];
    const err = await new Promise<unknown>((resolve) =>
      replay$(from(splitLines(golden('corrupt.ndjson')))).subscribe({
        next: (s) => seen.push(s.seq),
        error: resolve,
      }),
    );
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(err).toBeInstanceOf(ReplayError);
    expect(err).toMatchObject({ line: 12 });
  });
});

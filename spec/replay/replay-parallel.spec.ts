/**
 * `rxpaf-replay --jobs N`: a log cut at checkpoints into stretches, each summarised from its checkpoint's snapshot,
 * merges into the summary of a replay from the start — byte for byte, on one file and on rotated files, with the
 * size series decimated (more than 4,096 events), whatever the number of stretches; a bad line ends the report where
 * a replay from the start would. The worker threads themselves run from the built package (bin/rxpaf-replay.js).
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as E from 'fp-ts/Either';

import { synthLog } from '../../bench/replay-synth';
import { decodeClientMessage } from '../../lib/codec/decode';
import { defaultSettings, initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { createRecorder } from '../../lib/replay/record';
import type { Event } from '../../lib/state/events';
import type { DomainState } from '../../lib/state/model';
import { summaryStretch } from '../../lib/cli/replay-main';
import { parseReplayArgs } from '../../lib/cli/replay-args';
import { readIndex, type IndexEntry } from '../../lib/replay/log-index';
import { planStretches } from '../../lib/replay/replay-parallel';
import { Summary } from '../../lib/replay/replay-summary';
import { replayCli } from '../helpers/replay-cli';

const dir = mkdtempSync(join(tmpdir(), 'rxpaf-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const one = join(dir, 'one.ndjson');
synthLog({ file: one, inputs: 12_000, perProducer: 10, snapshotEvery: 997 }); // (cuts not on a multiple of the stride)
const rotated = join(dir, 'rot', 'events.ndjson');
rmSync(join(dir, 'rot'), { recursive: true, force: true });
mkdirSync(join(dir, 'rot'));
synthLog({ file: rotated, inputs: 12_000, perProducer: 10, snapshotEvery: 1000, maxBytes: 700_000 });
/** The rotated files, oldest first (events.ndjson.N … events.ndjson.1, events.ndjson). */
const rotatedFiles = readdirSync(join(dir, 'rot'))
  .filter((f) => /^events\.ndjson(\.\d+)?$/.test(f))
  .sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0))
  .map((f) => join(dir, 'rot', f));

/**
 * A log of two domains (the second one's header after the first checkpoints), each with clients publishing,
 * republishing and leaving (their services orphaned, then expiring), and a checkpoint every 40 events.
 */
const twoDomains = (file: string): void => {
  const rec = createRecorder({ file, snapshotEvery: 40 });
  const states: DomainState[] = [];
  let now = 1_700_000_000;
  const header = (d: number): void => {
    states[d] = initialDomainState(defaultSettings, 7 + d, now);
    rec.header(d, { name: `dom${d}`, settings: defaultSettings, seed: 7 + d, now, state: () => states[d]! });
  };
  const run = (d: number, batch: Event[]): void => {
    rec.events(d, batch);
    states[d] = reduceAll(states[d]!, batch)[0];
    rec.flush();
  };
  const m = (conn: number, json: string): Event => {
    const r = decodeClientMessage(json);
    if (E.isLeft(r)) throw new Error(json);
    return { type: 'message', now: (now += 0.01), conn, msg: r.right };
  };
  header(0);
  for (let round = 0; round < 30; round++) {
    if (round === 5) header(1);
    for (const d of round < 5 ? [0] : [0, 1]) {
      const conn = 100 * round + 1;
      run(d, [
        { type: 'accepted', now: (now += 0.01), conn, address: `tcp:127.0.0.1:${conn}`, user: 'u', transport: 'tcp' },
        m(
          conn,
          `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${round + 1},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
        ),
      ]);
      for (let k = 0; k < 6; k++)
        run(d, [
          m(
            conn,
            `{"ta-cmd":"publish","ta-id":${k + 1},"msg-type":"request","service-id":${round * 10 + k},"generation":0,"service-props":{"name":["s${k}"]},"ttl":2}`,
          ),
          m(
            conn,
            `{"ta-cmd":"publish","ta-id":${k + 7},"msg-type":"request","service-id":${round * 10 + k},"generation":1,"service-props":{"name":["s${k}"],"v":[${round}]},"ttl":2}`,
          ),
        ]);
      run(d, [
        { type: 'closed', now: (now += 0.5), conn, cause: 'eof' },
        { type: 'tick', now: (now += 1) },
      ]);
    }
  }
  rec.flush();
  void rec.close();
};

const sizes = (files: readonly string[]): number[] => files.map((f) => statSync(f).size);
const indexes = (files: readonly string[]) => files.map((f) => readIndex(f, statSync(f).size));

/** The summary from stretches, each replayed on its own (as the threads do), merged. */
const merged = async (files: readonly string[], jobs: number): Promise<{ text: string; stretches: number }> => {
  const plan = planStretches(files, sizes(files), indexes(files), jobs)!;
  const args = parseReplayArgs([...files, '--jobs', String(jobs)]);
  if (args._tag === 'Left') throw new Error(args.left);
  const parts = [];
  for (const st of plan) parts.push((await summaryStretch(args.right, st)).part);
  return { text: Summary.merge(parts).render(), stretches: plan.length };
};

describe('planStretches', () => {
  const entry = (seq: number, offset: number): IndexEntry => ({
    seq,
    at: seq,
    offset,
    line: seq + 2,
    headers: [[0, 0, 1]],
    domains: [0],
    services: '',
    clients: '',
  });
  const idx = [entry(99, 1000), entry(199, 2000), entry(299, 3000), entry(399, 4000)];

  it('cuts at the checkpoints nearest to equal shares of the bytes', () => {
    expect(planStretches(['a'], [5000], [idx], 2)).toEqual([
      { from: [{ file: 'a' }], until: 199 },
      { from: [{ file: 'a', offset: 2000, line: 201, entry: idx[1] }] },
    ]);
    const three = planStretches(['a'], [5000], [idx], 3)!;
    expect(three.map((s) => s.until)).toEqual([199, 299, undefined]);
  });

  it('never cuts twice at one checkpoint, and not more often than there are checkpoints', () => {
    expect(planStretches(['a'], [5000], [idx], 50)!.map((s) => s.until)).toEqual([99, 199, 299, 399, undefined]);
  });

  it('cuts across rotated files: the stretch reads on into the next file', () => {
    const plan = planStretches(['a.1', 'a'], [5000, 5000], [idx, [entry(450, 0), entry(599, 3000)]], 2)!;
    expect(plan).toEqual([
      { from: [{ file: 'a.1' }, { file: 'a' }], until: 450 },
      { from: [{ file: 'a', offset: 0, line: 452, entry: entry(450, 0) }] },
    ]);
  });

  it('nothing to cut at: one job, no index, or checkpoints only at the very start', () => {
    expect(planStretches(['a'], [5000], [idx], 1)).toBeUndefined();
    expect(planStretches(['a'], [5000], [undefined], 4)).toBeUndefined();
    expect(planStretches(['a'], [5000], [[entry(-1, 0)]], 4)).toBeUndefined();
  });
});

describe('a summary merged from stretches', () => {
  it('is the summary of a replay from the start, for 2 to 7 stretches (12,000 events: the series decimated)', async () => {
    const whole = await replayCli(one);
    expect(whole.status).toBe(0);
    expect(whole.out).toMatch(/12000 events/);
    for (const jobs of [2, 3, 5, 7]) {
      const m = await merged([one], jobs);
      expect(m.stretches).toBe(jobs);
      expect(m.text).toBe(whole.out);
    }
  });

  it('is the same on rotated files, a stretch starting in one file and ending in another', async () => {
    expect(rotatedFiles.length).toBeGreaterThan(2);
    const whole = await replayCli(...rotatedFiles);
    expect(whole.status).toBe(0);
    for (const jobs of [2, 4]) expect((await merged(rotatedFiles, jobs)).text).toBe(whole.out);
    // the CLI from the sources (no worker entry built next to it: the stretches run one after the other)
    const cli = await replayCli(...rotatedFiles, '--jobs', '3');
    expect(cli).toEqual(whole);
  });

  it('is the same on a log of two domains, one starting later (with --domain too)', async () => {
    const two = join(dir, 'two.ndjson');
    twoDomains(two);
    const whole = await replayCli(two);
    expect(whole.out).toMatch(/^\d+ events in 2 domains/);
    expect(whole.out).toMatch(/domain 1 \(dom1\)/);
    for (const jobs of [2, 3, 6]) expect((await merged([two], jobs)).text).toBe(whole.out);
    for (const d of ['0', '1'])
      expect(await replayCli(two, '--domain', d, '--jobs', '4')).toEqual(await replayCli(two, '--domain', d));
  });

  it('--domain: the same as one thread', async () => {
    expect(await replayCli(one, '--domain', '0', '--jobs', '2')).toEqual(await replayCli(one, '--domain', '0'));
  });

  it('a log without an index: one thread, and a warning', async () => {
    const plain = join(dir, 'plain.ndjson');
    writeFileSync(plain, readFileSync(one));
    const r = await replayCli(plain, '--jobs', '2');
    expect(r.err).toMatch(/no checkpoint to start a second thread from/);
    expect(r.out).toBe((await replayCli(one)).out);
  });

  it('a corrupt line in a stretch: the report and the error of a replay from the start', async () => {
    const bad = join(dir, 'bad.ndjson');
    const lines = readFileSync(one, 'utf8').split('\n');
    const at = Math.floor(lines.length * 0.4); // in the first half
    lines.splice(at, 0, '{"seq": oops');
    writeFileSync(bad, lines.join('\n'));
    writeFileSync(`${bad}.idx`, '');
    // the index of the original, shifted by the inserted line (checkpoints after it move by its bytes and one line)
    const shift = '{"seq": oops\n'.length;
    const cut = lines.slice(0, at).join('\n').length + 1;
    for (const e of readIndex(one, statSync(one).size)!) {
      const move = (o: number): number => (o >= cut ? o + shift : o);
      const moved = {
        ...e,
        offset: move(e.offset),
        line: e.offset >= cut ? e.line + 1 : e.line,
        ...(e.snapshots !== undefined
          ? { snapshots: e.snapshots.map(([d, o, l]) => [d, move(o), o >= cut ? l + 1 : l]) }
          : {}),
      };
      appendFileSync(`${bad}.idx`, JSON.stringify(moved) + '\n');
    }
    const whole = await replayCli(bad);
    expect(whole.status).toBe(1);
    expect(whole.err).toMatch(new RegExp(`bad\\.ndjson:${at + 1}: `));
    for (const jobs of ['2', '4']) expect(await replayCli(bad, '--jobs', jobs)).toEqual(whole);
  });

  it('on worker threads (the built rxpaf-replay): the same output as one thread', () => {
    const bin = join(__dirname, '../../bin/rxpaf-replay.js');
    const run = (...a: string[]) => spawnSync(process.execPath, [bin, ...a], { encoding: 'utf8' });
    const whole = run(...rotatedFiles);
    expect(whole.status).toBe(0);
    for (const jobs of ['2', '3']) {
      const r = run(...rotatedFiles, '--jobs', jobs);
      expect({ status: r.status, out: r.stdout, err: r.stderr }).toEqual({ status: 0, out: whole.stdout, err: '' });
    }
  });
});

describe('--jobs on the command line', () => {
  it('takes 1 to 999, for the summary only', () => {
    expect(parseReplayArgs(['a', '-j', '4'])).toMatchObject({ right: { jobs: 4 } });
    expect(parseReplayArgs(['a'])).toMatchObject({ right: { jobs: 1 } });
    for (const bad of ['0', 'x', '1000'])
      expect(parseReplayArgs(['a', '--jobs', bad])).toMatchObject({ left: `invalid --jobs '${bad}' (1 to 999)` });
    expect(parseReplayArgs(['a', '--verify', '--jobs', '2'])).toMatchObject({
      left: '--jobs is for the summary, not --verify',
    });
  });
});

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
import { summaryStretch, verifyStretch, type VerifyStretchResult } from '../../lib/cli/replay-main';
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

/**
 * `src` with `remove` lines from line index `at` replaced by `insert`, written to `dst`, with `src`'s index moved to
 * match (a checkpoint after the change moves by its bytes and lines).
 */
const spliceLog = (src: string, dst: string, at: number, remove: number, ...insert: string[]): void => {
  const lines = readFileSync(src, 'utf8').split('\n');
  const cut = lines.slice(0, at).join('\n').length + 1;
  const removed = lines.splice(at, remove, ...insert);
  writeFileSync(dst, lines.join('\n'));
  const bytes =
    insert.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) -
    removed.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const moveLine = insert.length - remove;
  const gone = removed.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  const inRemoved = (o: number): boolean => o >= cut && o < cut + gone;
  writeFileSync(`${dst}.idx`, '');
  for (const e of readIndex(src, statSync(src).size)!) {
    if (inRemoved(e.offset) || (e.snapshots ?? []).some(([, o]) => inRemoved(o))) continue;
    const move = (o: number): number => (o >= cut ? o + bytes : o);
    const moved = {
      ...e,
      offset: move(e.offset),
      line: e.offset >= cut ? e.line + moveLine : e.line,
      ...(e.snapshots !== undefined
        ? { snapshots: e.snapshots.map(([d, o, l]) => [d, move(o), o >= cut ? l + moveLine : l]) }
        : {}),
    };
    appendFileSync(`${dst}.idx`, JSON.stringify(moved) + '\n');
  }
};

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

  it('leaves out a checkpoint whose snapshot costs more than half a share to decode (10 bytes of log a byte)', () => {
    const big = (e: IndexEntry, bytes: number): IndexEntry => ({ ...e, bytes });
    const at = (k: number): IndexEntry => entry(100 * k - 1, k * (10 << 20)); // every 10 MiB
    const four = [1, 2, 3, 4].map(at);
    // 50 MiB, two jobs, shares of 25: a 2 MiB snapshot costs 20 > 12.5, so the cut moves to the other nearest checkpoint
    const plan = planStretches(['a'], [50 << 20], [[four[0]!, big(four[1]!, 2 << 20), four[2]!, four[3]!]], 2)!;
    expect(plan.map((st) => st.until)).toEqual([299, undefined]);
    // 60 MiB, shares of 30: 1 MiB costs 10 <= 15, kept (and counted: 30 + 10 of 60 in the second stretch)
    const five = [1, 2, 3, 4, 5].map(at);
    const kept = planStretches(
      ['a'],
      [60 << 20],
      [[five[0]!, five[1]!, big(five[2]!, 1 << 20), five[3]!, five[4]!]],
      2,
    )!;
    expect(kept.map((st) => st.until)).toEqual([299, undefined]);
    // under 1 MiB a snapshot costs nothing, however small the share
    expect(planStretches(['a'], [50 << 20], [four.map((e) => big(e, (1 << 20) - 1))], 50)!.length).toBe(5);
  });

  it('not at all when the largest stretch, its snapshot included, would still be 80 % of the log', () => {
    const total = 100 << 20;
    // only a checkpoint near the end (a rotated file's top whose snapshot is small): 90 % in the first stretch
    expect(planStretches(['a.1', 'a'], [90 << 20, 10 << 20], [[], [entry(500, 0)]], 2)).toBeUndefined();
    // a checkpoint in the middle: a 2.5 MiB snapshot costs 25 (half a share, kept), 50 + 25 of 100 in the second
    // stretch; 3 MiB costs 30 (kept, but 80 % in the second stretch); 3.5 MiB 35 (left out)
    const mid = (mib: number): IndexEntry => ({ ...entry(300, 50 << 20), bytes: mib * (1 << 20) });
    expect(planStretches(['a'], [total], [[mid(2.5)]], 2)!.map((st) => st.until)).toEqual([300, undefined]);
    expect(planStretches(['a'], [total], [[mid(3)]], 2)).toBeUndefined();
    expect(planStretches(['a'], [total], [[mid(3.5)]], 2)).toBeUndefined();
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
    const at = Math.floor(readFileSync(one, 'utf8').split('\n').length * 0.4); // in the first half
    spliceLog(one, bad, at, 0, '{"seq": oops');
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

/** Each stretch of `files` verified on its own (as the threads do). */
const verifiedStretches = async (files: readonly string[], jobs: number): Promise<VerifyStretchResult[]> => {
  const plan = planStretches(files, sizes(files), indexes(files), jobs)!;
  const args = parseReplayArgs([...files, '--verify', '--jobs', String(jobs)]);
  if (args._tag === 'Left') throw new Error(args.left);
  const results = [];
  for (const st of plan) results.push(await verifyStretch(args.right, st));
  return results;
};

/** The line index (0-based) of the last recorded message before the second stretch of `file` cut in `jobs`. */
const lastOutBefore2ndStretch = (file: string, jobs: number): number => {
  const plan = planStretches([file], sizes([file]), indexes([file]), jobs)!;
  const cutLine = plan[1]!.from[0]!.line!; // (1-based: the first line the second stretch reads)
  const lines = readFileSync(file, 'utf8').split('\n');
  let i = cutLine - 2;
  while (!lines[i]!.startsWith('{"out":')) i--;
  return i;
};

describe('--verify from stretches', () => {
  it('is ok with the count of one thread when every stretch matches (the stretches verified at once, no second run)', async () => {
    const whole = await replayCli(one, '--verify');
    expect(whole.status).toBe(0);
    expect(whole.out).toMatch(/^verify: ok, \d+ outbound messages reproduced\n$/);
    const total = Number(/ok, (\d+)/.exec(whole.out)![1]);
    for (const jobs of [2, 3, 5]) {
      const parts = await verifiedStretches([one], jobs);
      expect(parts).toHaveLength(jobs);
      expect(parts.every((r) => r.clean)).toBe(true);
      expect(parts.reduce((n, r) => n + r.matched, 0)).toBe(total);
      expect(parts.every((r) => r.matched > 0)).toBe(true);
      expect(await replayCli(one, '--verify', '--jobs', String(jobs))).toEqual(whole);
    }
    expect(await replayCli(one, '--verify', '--domain', '0', '--jobs', '2')).toEqual(
      await replayCli(one, '--verify', '--domain', '0'),
    );
  });

  it('is the same on rotated files, and on a log without outbound messages (two domains)', async () => {
    const whole = await replayCli(...rotatedFiles, '--verify');
    expect(whole.out).toMatch(/^verify: ok/);
    expect((await verifiedStretches(rotatedFiles, 3)).every((r) => r.clean)).toBe(true);
    expect(await replayCli(...rotatedFiles, '--verify', '--jobs', '3')).toEqual(whole);
    const two = join(dir, 'two-verify.ndjson');
    twoDomains(two);
    const none = await replayCli(two, '--verify');
    expect(none.out).toMatch(/no outbound messages/);
    expect(await replayCli(two, '--verify', '--jobs', '3')).toEqual(none);
  });

  it('a changed message: the divergence one thread reports (verified again from the start)', async () => {
    const changed = join(dir, 'changed.ndjson');
    const lines = readFileSync(one, 'utf8').split('\n');
    let at = lastOutBefore2ndStretch(one, 3) + 7; // in the second of three stretches
    while (!lines[at]!.startsWith('{"out":')) at++;
    const line = lines[at]!;
    expect(line).toMatch(/^\{"out":\d+,"msg":\{"ta-cmd":"\w+","ta-id":\d+,/);
    spliceLog(
      one,
      changed,
      at,
      1,
      line.replace(/"ta-id":(\d+)/, (_, id: string) => `"ta-id":${Number(id) + 7_000_000}`),
    );
    expect((await verifiedStretches([changed], 3)).map((r) => r.clean)).toEqual([true, false, true]);
    const whole = await replayCli(changed, '--verify');
    expect(whole.status).toBe(1);
    expect(whole.out).toMatch(/^verify: divergence after \d+ matching messages\n {2}seq \d+ \(log line \d+\)/);
    expect(whole.out).toMatch(/"ta-id":7\d{6}/);
    for (const jobs of ['2', '3']) expect(await replayCli(changed, '--verify', '--jobs', jobs)).toEqual(whole);
  });

  it("a message missing at a stretch's end: not a clean stretch (a later one could have matched it), the report of one thread", async () => {
    const missing = join(dir, 'missing.ndjson');
    const at = lastOutBefore2ndStretch(one, 2);
    spliceLog(one, missing, at, 1);
    const parts = await verifiedStretches([missing], 2);
    // the first stretch ends with a replayed message left over; the second, from its snapshot, matches all it has
    expect(parts.map((r) => r.clean)).toEqual([false, true]);
    const whole = await replayCli(missing, '--verify');
    expect(whole.status).toBe(1);
    expect(whole.out).toMatch(/^verify: divergence/);
    expect(await replayCli(missing, '--verify', '--jobs', '2')).toEqual(whole);
  });

  it('a log cut short (messages not checked) and a corrupt line: the report of one thread', async () => {
    const lines = readFileSync(one, 'utf8').split('\n');
    const cut = join(dir, 'cut.ndjson');
    // the log ends with an event whose recorded messages are not written yet, as when read while the server writes it
    let end = Math.floor(lines.length * 0.9);
    while (!(lines[end]!.startsWith('{"seq":') && lines[end + 1]!.startsWith('{"out":'))) end++;
    spliceLog(one, cut, end + 1, lines.length - end - 2);
    const short = await replayCli(cut, '--verify');
    expect(short.out).toMatch(/not checked: the log ends before its recorded messages/);
    expect(await replayCli(cut, '--verify', '--jobs', '3')).toEqual(short);
    const bad = join(dir, 'bad-verify.ndjson');
    spliceLog(one, bad, lastOutBefore2ndStretch(one, 2) + 11, 0, '{"seq": oops');
    const corrupt = await replayCli(bad, '--verify');
    expect(corrupt.status).toBe(1);
    expect(corrupt.err).toMatch(/bad-verify\.ndjson:\d+: /);
    expect(await replayCli(bad, '--verify', '--jobs', '2')).toEqual(corrupt);
  });

  it('on worker threads (the built rxpaf-replay): the same output as one thread, matching or not', () => {
    const bin = join(__dirname, '../../bin/rxpaf-replay.js');
    const run = (...a: string[]) => spawnSync(process.execPath, [bin, ...a], { encoding: 'utf8' });
    for (const files of [rotatedFiles, [join(dir, 'changed.ndjson')], [join(dir, 'missing.ndjson')]]) {
      const whole = run(...files, '--verify');
      const r = run(...files, '--verify', '--jobs', '2');
      expect({ status: r.status, out: r.stdout, err: r.stderr }).toEqual({
        status: whole.status,
        out: whole.stdout,
        err: whole.stderr,
      });
    }
  });
});

describe('--jobs on the command line', () => {
  it('takes 1 to 999, for the summary and --verify', () => {
    expect(parseReplayArgs(['a', '-j', '4'])).toMatchObject({ right: { jobs: 4 } });
    expect(parseReplayArgs(['a'])).toMatchObject({ right: { jobs: 1 } });
    for (const bad of ['0', 'x', '1000'])
      expect(parseReplayArgs(['a', '--jobs', bad])).toMatchObject({ left: `invalid --jobs '${bad}' (1 to 999)` });
    expect(parseReplayArgs(['a', '--verify', '--jobs', '2'])).toMatchObject({
      right: { jobs: 2, mode: { kind: 'verify' } },
    });
    expect(parseReplayArgs(['a', '--at', '5', '--jobs', '2'])).toMatchObject({
      left: '--jobs is for the summary and --verify, not --at',
    });
  });
});

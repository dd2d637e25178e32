import { expect } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from, lastValueFrom, Subject, toArray } from 'rxjs';

import { synthLog } from '../../bench/replay-synth';
import { tally } from '../../examples/replay-million';
import { replayCli as cli } from '../helpers/replay-cli';
import { readLines$, replay$ } from '../../lib/replay';
import { decodeLine, LOG_VERSION, type EventRecord } from '../../lib/replay/event-codec';
import { IdSet, mayContain, readIndex } from '../../lib/replay/log-index';
import { Replayer, ReplayError, splitLines } from '../../lib/replay/replay';
import { encodeDomainState } from '../../lib/replay/state-codec';
import { encodeMessage } from '../../lib/codec/encode';
import { stringifyJson } from '../../lib/codec/json';

describe('replay at scale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-scale-'));
  const file = join(dir, 'synth.ndjson');
  const plain = join(dir, 'plain.ndjson');
  beforeAll(() => {
    synthLog({ file, inputs: 6000, perProducer: 20, snapshotEvery: 1000 });
    synthLog({ file: plain, inputs: 6000, perProducer: 20, snapshotEvery: 0 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lines = (): string[] => splitLines(readFileSync(file, 'utf8'));

  it('writes a checkpoint every N inputs and an index pointing at its snapshot lines and where its events resume', () => {
    const idx = readIndex(file, readFileSync(file).length)!;
    expect(idx.length).toBeGreaterThanOrEqual(5);
    const all = lines();
    const bytes = readFileSync(file);
    const at = (offset: number, line: number): void =>
      expect(bytes.subarray(offset, offset + 30).toString()).toBe(all[line - 1]!.slice(0, 30));
    for (const e of idx) {
      // snapshots encoded in slices land after the events that followed the checkpoint
      expect(e.snapshots).toHaveLength(1);
      const [d, offset, line] = e.snapshots![0]!;
      expect(d).toBe(0);
      expect(line).toBeGreaterThan(e.line);
      expect(all[line - 1]!.startsWith(`{"v":${LOG_VERSION},"kind":"snapshot","d":0,"seq":${e.seq},`)).toBe(true);
      // the size of the snapshot line, its newline included
      expect(e.bytes).toBe(Buffer.byteLength(all[line - 1]!) + 1);
      at(offset, line);
      at(e.offset, e.line);
      const next = all.slice(e.line - 1).find((l) => l.startsWith('{"seq"'))!;
      expect(next.startsWith(`{"seq":${e.seq + 1},`)).toBe(true);
      expect(all.slice(0, e.line - 1).some((l) => l.startsWith(`{"seq":${e.seq + 1},`))).toBe(false);
    }
    expect(readIndex(plain, 1)).toEqual([]);
  });

  it('folding batches gives the same states and effects as folding one event at a time', () => {
    const recs = lines().map((l) => {
      const r = decodeLine(l);
      if (r._tag === 'Left') throw new Error(r.left);
      return r.right;
    });
    const one = new Replayer();
    const many = new Replayer();
    let pending: EventRecord[] = [];
    const effects: [string[], string[]] = [[], []];
    const flush = (): void => {
      if (pending.length === 0) return;
      const b = many.feedBatch(
        pending,
        pending.map((r) => r.seq),
      );
      effects[1].push(...b.delivered.map((f) => `${f.conn}:${encodeMessage(f.msg)}`));
      pending = [];
    };
    for (const r of recs) {
      const i = one.feed(r, 0);
      if (i.kind === 'step') effects[0].push(...i.step.delivered.map((f) => `${f.conn}:${encodeMessage(f.msg)}`));
      if (r.kind === 'event' && r.event.type !== 'closed') {
        pending.push(r);
        if (pending.length === 97) flush();
      } else {
        flush();
        if (r.kind === 'event') {
          pending.push(r);
          flush();
        } else many.feed(r, 0);
      }
    }
    flush();
    expect(effects[1]).toEqual(effects[0]);
    expect(stringifyJson(encodeDomainState(many.domains.get(0)!.state))).toBe(
      stringifyJson(encodeDomainState(one.domains.get(0)!.state)),
    );
  });

  it('--at from a checkpoint prints what a replay from the start prints', async () => {
    for (const point of ['2500', '5999', '3']) {
      const seek = await cli(file, '--at', point, '--json');
      const full = await cli(plain, '--at', point, '--json');
      expect(seek).toMatchObject({ status: 0, err: '' });
      expect(seek.out).toBe(full.out);
    }
  });

  it('--service and --client histories with the index equal those of a replay from the start', async () => {
    for (const args of [
      ['--service', '1000005'],
      ['--service', '19000019'],
      ['--client', '2003'],
      ['--client', '1005'],
    ]) {
      const seek = await cli(file, ...args);
      const full = await cli(plain, ...args);
      expect(seek.status).toBe(0);
      expect(seek.out).toBe(full.out);
      expect(seek.out).toMatch(/entries/);
    }
  });

  it('--verify passes with batching; the summary is the same with or without checkpoints', async () => {
    expect(await cli(file, '--verify')).toMatchObject({
      status: 0,
      out: expect.stringMatching(/^verify: ok, \d+ outbound/),
    });
    expect((await cli(file)).out).toBe((await cli(plain)).out);
  });

  it('replay$ is cold: two subscriptions replay independently, even interleaved', async () => {
    const ls = lines().slice(0, 400);
    const twice = replay$(from(ls));
    const a = await lastValueFrom(twice.pipe(toArray()));
    const b = await lastValueFrom(twice.pipe(toArray()));
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(100);
    const subject = new Subject<string>();
    const shared = replay$(subject);
    const first = lastValueFrom(shared.pipe(toArray()));
    const second = lastValueFrom(shared.pipe(toArray()));
    for (const l of ls) subject.next(l);
    subject.complete();
    expect(await first).toEqual(a);
    expect(await second).toEqual(a);
    expect(a.some((s) => s.changes.some((c) => c.type === 'added' && typeof c.service.ttl === 'number'))).toBe(true);
  });

  it('replay$ errors with a PafReplayError naming the line', async () => {
    const err = await firstValueFrom(replay$(from(['{"v":2,"kind":"domain"', 'x'])).pipe(toArray())).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReplayError);
    expect(err).toMatchObject({ code: 'PAF_REPLAY', line: 1 });
  });

  it('the example replays a recorded log in process', async () => {
    const t = await tally([file]);
    expect(t.inputs).toBe(6000);
    expect(t.added).toBeGreaterThan(0);
    const counted = await lastValueFrom(readLines$([file]).pipe(toArray()));
    expect(counted.length).toBe(lines().length);
  });

  it('Bloom filters of ids: no false negatives', () => {
    const s = new IdSet();
    const ids = Array.from({ length: 500 }, (_, i) => BigInt(i) * 7919n + 9223372036854775000n);
    for (const id of ids) s.add(id);
    const f = s.encode();
    expect(ids.every((id) => mayContain(f, id))).toBe(true);
    const fp = Array.from({ length: 2000 }, (_, i) => BigInt(i) + 1n).filter((id) => mayContain(f, id)).length;
    expect(fp).toBeLessThan(100);
    expect(mayContain('', 1n)).toBe(false);
  });
});

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { replayCli as cli } from '../helpers/replay-cli';
import { decodeLine, LOG_VERSION, type EventRecord, type HeaderRecord } from '../../lib/replay/event-codec';
import { createRecorder } from '../../lib/replay/record';
import { rotatedFiles } from '../../lib/replay/record-rotate';
import { Replayer, replayItems, splitLines } from '../../lib/replay/replay';
import { directoryView } from '../../lib/replay/replay-directory';
import { Verifier } from '../../lib/replay/replay-verify';
import { createServer } from '../../lib/server/create-server';
import type { DomainState } from '../../lib/state/model';
import { initialDomainState, reduceAll } from '../../lib/protocol/reducer';
import { RawClient, type Msg } from '../helpers/raw-client';
import { projectState } from './state-projection';

const golden = splitLines(readFileSync(join(__dirname, '../fixtures/logs/orphan-expiry.ndjson'), 'utf8')).map((l) => {
  const r = decodeLine(l);
  if (r._tag === 'Left') throw new Error(r.left);
  return r.right;
});
const header = golden[0] as HeaderRecord;
const events = golden.filter((r): r is EventRecord => r.kind === 'event').map((r) => r.event);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const finalView = (lines: string[]) => {
  const r = new Replayer();
  for (const _ of replayItems(lines, r));
  return directoryView(r.domains.get(0)!.state);
};

/** Replay files (in order); the replayer and the verifier fed with every item. */
const replayFiles = (files: readonly string[]) => {
  const replayer = new Replayer();
  const verifier = new Verifier();
  const items = [
    ...replayItems(
      files.flatMap((f) => splitLines(readFileSync(f, 'utf8'))),
      replayer,
    ),
  ];
  for (const i of items) verifier.add(i);
  return { replayer, verifier, items };
};
const outLines = (files: readonly string[]): number =>
  files.flatMap((f) => splitLines(readFileSync(f, 'utf8'))).filter((l) => l.startsWith('{"out":')).length;

/**
 * Record the golden log as the live server would: each event batch goes to the recorder before the reducer applies
 * it, its messages after; the recorder's state getter sees the reducer's current state. Returns the final state.
 */
const recordGolden = (file: string, maxBytes: number, keep: number): DomainState => {
  const rec = createRecorder({ file, maxBytes, keep, outbound: true });
  let state = initialDomainState(header.settings, header.seed, header.now);
  rec.header(0, { ...header, state: () => state });
  for (const r of golden) {
    if (r.kind === 'event') {
      rec.events(0, [r.event]);
      state = reduceAll(state, [r.event])[0];
    } else if (r.kind === 'out') rec.outbound(0, r.conn, r.json);
    rec.flush();
  }
  rec.flush();
  void rec.close();
  return state;
};

describe('recorder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-rotate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('buffers lines and writes them once per event-loop turn', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file });
    rec.header(0, header);
    rec.events(0, events.slice(0, 3));
    expect(statSync(file).size).toBe(0);
    await turn();
    expect(splitLines(readFileSync(file, 'utf8'))).toHaveLength(4);
    await rec.close();
  });

  it('rotates by size; each file starts with the headers and the files replay in order', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file, maxBytes: 700, keep: 50 });
    rec.header(0, header);
    for (const e of events) {
      rec.events(0, [e]);
      await turn();
    }
    await rec.close();
    const files = rotatedFiles(file, 50);
    expect(files.length).toBeGreaterThan(3);
    expect(files[files.length - 1]).toBe(file);
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    for (const [i, t] of texts.entries()) {
      expect(Buffer.byteLength(t)).toBeLessThanOrEqual(700);
      expect(t.startsWith(`{"v":${LOG_VERSION},"kind":"domain","d":0,"name":"main"`)).toBe(true);
      expect(t.split('\n')[0]!.endsWith(i === 0 ? '}' : ',"rotated":true}')).toBe(true);
    }
    const expected = finalView(
      splitLines(readFileSync(join(__dirname, '../fixtures/logs/orphan-expiry.ndjson'), 'utf8')),
    );
    expect(finalView(texts.flatMap(splitLines))).toEqual(expected);
  });

  it('keeps at most `keep` rotated files; a replay starting in a rotated file is flagged partial', async () => {
    const file = join(dir, 'e.ndjson');
    const rec = createRecorder({ file, maxBytes: 600, keep: 2 });
    rec.header(0, header);
    for (const e of events) {
      rec.events(0, [e]);
      rec.flush();
    }
    await rec.close();
    expect(rotatedFiles(file, 10)).toEqual([`${file}.2`, `${file}.1`, file]);
    const r = new Replayer();
    for (const _ of replayItems(splitLines(readFileSync(`${file}.2`, 'utf8')), r));
    expect(r.domains.get(0)!.partial).toBe(true);
  });

  it('starts every rotated file with a snapshot: each file replays on its own, continuing the one before', () => {
    const file = join(dir, 'e.ndjson');
    const final = recordGolden(file, 2500, 50);
    const files = rotatedFiles(file, 50);
    expect(files.length).toBeGreaterThan(3);
    // all files in order: the snapshots are not needed, and each equals the replayed state at its place
    const all = replayFiles(files);
    expect(projectState(all.replayer.domains.get(0)!.state)).toBe(projectState(final));
    const snapshots = all.items.filter((i) => i.kind === 'snapshot');
    expect(snapshots).toHaveLength(files.length - 1);
    let prev: DomainState | undefined;
    for (const i of all.items) {
      if (i.kind === 'step') prev = i.step.state;
      if (i.kind !== 'snapshot') continue;
      expect(i.adopted).toBe(false);
      expect(projectState(i.snapshot.state)).toBe(projectState(prev!));
    }
    expect(all.verifier.finish()).toBeUndefined();
    expect(all.verifier.matched).toBe(outLines(files));
    // each file alone: from its snapshot to the state the next file's snapshot holds
    for (const [n, f] of files.entries()) {
      const one = replayFiles([f]);
      const dom = one.replayer.domains.get(0)!;
      expect(dom.partial).toBe(false);
      const next =
        n + 1 < files.length ? replayFiles([files[n + 1]!]).items.find((i) => i.kind === 'snapshot') : undefined;
      const expected = next?.kind === 'snapshot' ? next.snapshot.state : final;
      expect(projectState(dom.state)).toBe(projectState(expected));
      expect(one.verifier.finish()).toBeUndefined();
      expect(one.verifier.matched).toBe(outLines([f]));
      const lines = splitLines(readFileSync(f, 'utf8'));
      if (n > 0) {
        expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'domain', d: 0, rotated: true });
        expect(lines[1]!.startsWith(`{"v":${LOG_VERSION},"kind":"snapshot","d":0,"seq":`)).toBe(true);
      }
    }
  });

  it('with the oldest files deleted, the newest file alone gives the final state; --verify and --at work on it', async () => {
    const file = join(dir, 'e.ndjson');
    const final = recordGolden(file, 3000, 1);
    expect(rotatedFiles(file, 10)).toEqual([`${file}.1`, file]);
    const first = JSON.parse(readFileSync(`${file}.1`, 'utf8').split('\n')[1]!) as { kind: string; seq: number };
    expect(first).toMatchObject({ kind: 'snapshot' });
    expect(first.seq).toBeGreaterThan(0); // older files existed and are gone
    for (const files of [[file], [`${file}.1`, file]]) {
      const r = replayFiles(files);
      expect(r.replayer.domains.get(0)!.partial).toBe(false);
      expect(projectState(r.replayer.domains.get(0)!.state)).toBe(projectState(final));
      expect(r.verifier.finish()).toBeUndefined();
      const n = outLines(files);
      expect(n).toBeGreaterThan(0);
      expect(await cli(...files, '--verify')).toEqual({
        status: 0,
        out: `verify: ok, ${n} outbound messages reproduced\n`,
        err: '',
      });
    }
    const full = join(__dirname, '../fixtures/logs/orphan-expiry.ndjson');
    for (const point of ['14', '1012.5']) {
      // the rotated file starts from its index's checkpoint; the version-1 fixture has no index and is replayed whole
      const at = await cli(file, '--at', point, '--json');
      expect(at.out).toEqual((await cli(full, '--at', point, '--json')).out);
      expect(at).toMatchObject({ status: 0, err: '' });
    }
    // a point before the file's snapshot: nothing known yet, and said so
    const early = await cli(file, '--at', '0');
    expect(early).toEqual({
      status: 0,
      out: '',
      err: `rxpaf-replay: warning: domain 0 starts after that point (snapshot after seq ${
        (JSON.parse(readFileSync(file, 'utf8').split('\n')[1]!) as { seq: number }).seq
      })\n`,
    });
    expect((await cli(file, '--service', '9223372036854775807')).status).toBe(0);
    expect((await cli(file)).out).toMatch(/^\d+ events in 1 domain/);
  });

  it('live server, oldest files deleted: the remaining files reproduce its final state and messages', async () => {
    const file = join(dir, 'live.ndjson');
    const rec = createRecorder({ file, maxBytes: 12000, keep: 1, outbound: true });
    const server = await createServer({
      domains: [
        { sockets: [{ addr: 'tcp:127.0.0.1:0' }] },
        { name: 'two', sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { idleMin: 1, idleMax: 2 } },
      ],
      seed: 99,
      onStart: rec.header,
      onEvents: rec.events,
      onOutbound: rec.outbound,
    });
    const clients: RawClient[] = [];
    const open = async (d: number): Promise<RawClient> => {
      const c = await RawClient.open(server.domains[d]!.addresses[0]!);
      clients.push(c);
      return c;
    };
    const until = async (c: RawClient, pred: (m: Msg) => boolean): Promise<Msg> => {
      for (;;) {
        const m = await c.next(5000);
        if (pred(m)) return m;
      }
    };
    const done = (cmd: string) => (m: Msg) => m['ta-cmd'] === cmd && m['msg-type'] === 'complete';
    try {
      const sub = await open(0);
      await sub.hello(100);
      sub.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1,"filter":"(name=svc*)"}');
      await until(sub, (m) => m['msg-type'] === 'accept');
      const other = await open(1);
      await other.hello(7, 3, 3);
      other.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":5}');
      await until(other, (m) => m['msg-type'] === 'accept');
      for (let i = 1; i <= 12; i++) {
        const p = await open(0);
        await p.hello(i);
        p.send(
          `{"ta-cmd":"publish","ta-id":${i},"msg-type":"request","service-id":${1000 + i},"generation":0,` +
            `"service-props":{"name":["svc${i}"],"n":[${i}]},"ttl":${i % 3 === 0 ? 1 : 300}}`,
        );
        await until(p, done('publish'));
        await until(sub, (m) => m['service-id'] === BigInt(1000 + i));
        if (i % 2 === 0) {
          p.close(); // orphans its service (a TTL-1 one expires soon)
          await until(sub, (m) => m['service-id'] === BigInt(1000 + i) && m['match-type'] === 'modified');
        }
        sub.send(`{"ta-cmd":"ping","ta-id":${100 + i},"msg-type":"request"}`);
        await until(sub, done('ping'));
      }
      sub.send('{"ta-cmd":"services","ta-id":99,"msg-type":"request"}');
      await until(sub, done('services'));
      await until(sub, (m) => m['service-id'] === 1006n && m['match-type'] === 'disappeared');
      for (let i = 0; i < 20; i++) {
        sub.send(`{"ta-cmd":"ping","ta-id":${200 + i},"msg-type":"request"}`);
        await until(sub, done('ping'));
      }
    } finally {
      clients.forEach((c) => c.close());
      await server.close();
      await rec.close();
    }
    const files = rotatedFiles(file, 10);
    expect(files).toEqual([`${file}.1`, file]);
    const firstSnapshot = JSON.parse(readFileSync(files[0]!, 'utf8').split('\n')[1]!) as { kind: string; seq: number };
    expect(firstSnapshot.kind).toBe('snapshot');
    expect(firstSnapshot.seq).toBeGreaterThan(0);
    expect(outLines(files)).toBeGreaterThan(5);
    const live = server.domains.map((d) => projectState(d.snapshot()));
    for (const set of [[file], files]) {
      const r = replayFiles(set);
      expect([0, 1].map((d) => projectState(r.replayer.domains.get(d)!.state))).toEqual(live);
      expect([0, 1].map((d) => r.replayer.domains.get(d)!.partial)).toEqual([false, false]);
      expect(r.verifier.finish()).toBeUndefined();
      expect(r.verifier.matched).toBe(outLines(set));
      expect(await cli(...set, '--verify')).toEqual({
        status: 0,
        out: `verify: ok, ${outLines(set)} outbound messages reproduced\n`,
        err: '',
      });
    }
  }, 20000);

  it('compresses rotated files (gzip) after the rotation; the files replay and verify as they were', async () => {
    const plain = join(dir, 'p.ndjson');
    recordGolden(plain, 2500, 50);
    const file = join(dir, 'z.ndjson');
    const rec = createRecorder({ file, maxBytes: 2500, keep: 50, outbound: true, compress: true });
    let state = initialDomainState(header.settings, header.seed, header.now);
    rec.header(0, { ...header, state: () => state });
    for (const r of golden) {
      if (r.kind === 'event') {
        rec.events(0, [r.event]);
        state = reduceAll(state, [r.event])[0];
      } else if (r.kind === 'out') rec.outbound(0, r.conn, r.json);
      await turn();
    }
    await rec.close();
    const files = rotatedFiles(file, 50);
    const plainFiles = rotatedFiles(plain, 50);
    expect(files.length).toBe(plainFiles.length);
    expect(files.slice(0, -1).every((f) => f.endsWith('.gz'))).toBe(true);
    expect(files.slice(0, -1).some((f) => existsSync(f.slice(0, -3)) || existsSync(`${f.slice(0, -3)}.idx`))).toBe(
      false,
    );
    for (const [i, f] of files.slice(0, -1).entries())
      expect(gunzipSync(readFileSync(f)).toString()).toBe(readFileSync(plainFiles[i]!, 'utf8'));
    const a = await cli(...files, '--verify');
    expect(a.status).toBe(0);
    expect(a.out).toBe((await cli(...plainFiles, '--verify')).out);
    expect((await cli(...files)).out).toBe((await cli(...plainFiles)).out);
  });

  it('appends to an existing log: drops a partial last line and continues the numbering', async () => {
    const file = join(dir, 'e.ndjson');
    const first = createRecorder({ file });
    first.header(0, header);
    first.events(0, events.slice(0, 5));
    await first.close();
    appendFileSync(file, '{"v":1,"seq":5,"d":0,"at":10');
    const second = createRecorder({ file });
    second.header(0, header);
    second.events(0, events.slice(0, 2));
    await second.close();
    const lines = splitLines(readFileSync(file, 'utf8'));
    expect(lines).toHaveLength(9);
    expect(lines.slice(7).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([5, 6]);
    expect([...replayItems(lines)].filter((i) => i.kind === 'step')).toHaveLength(7);
  });

  it('continues the numbering from a snapshot line too, however long', async () => {
    const file = join(dir, 'e.ndjson');
    const first = createRecorder({ file });
    first.header(0, header);
    first.events(0, events.slice(0, 5));
    await first.close();
    appendFileSync(file, `{"v":1,"kind":"snapshot","d":0,"seq":41,"state":{"pad":"${'x'.repeat(200_000)}"}}\n`);
    const second = createRecorder({ file });
    second.events(0, events.slice(0, 2));
    await second.close();
    const lines = splitLines(readFileSync(file, 'utf8'));
    expect(lines.slice(-2).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([42, 43]);
  });

  it('ignores records after close', async () => {
    const file = join(dir, 'e.ndjson');
    writeFileSync(file, '');
    const rec = createRecorder({ file });
    rec.header(0, header);
    await rec.close();
    rec.events(0, events);
    rec.flush();
    expect(splitLines(readFileSync(file, 'utf8'))).toHaveLength(1);
  });
});

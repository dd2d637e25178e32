import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runReplayCli } from '../../lib/cli/replay-main';
import { stringifyJson } from '../../lib/codec/json';
import { encodeDomainState } from '../../lib/replay/state-codec';
import { createRecorder } from '../../lib/replay/record';
import { Replayer, replayItems, splitLines } from '../../lib/replay/replay';
import { directoryView } from '../../lib/replay/replay-directory';
import { Verifier } from '../../lib/replay/replay-verify';
import { createServer } from '../../lib/server/create-server';
import type { DomainState } from '../../lib/state/model';
import { RawClient, type Msg } from '../helpers/raw-client';

/** Read messages until one matches. */
const until = async (c: RawClient, pred: (m: Msg) => boolean, ms = 5000): Promise<Msg> => {
  for (;;) {
    const m = await c.next(ms);
    if (pred(m)) return m;
  }
};
const is = (cmd: string, type: string) => (m: Msg) => m['ta-cmd'] === cmd && m['msg-type'] === type;
const match = (kind: string, id: bigint) => (m: Msg) => m['match-type'] === kind && m['service-id'] === id;

const project = (s: DomainState) => ({
  view: directoryView(s),
  now: s.now,
  rng: s.rng,
  seq: s.seq,
  used: s.used,
  conns: [...s.conns.keys()],
  users: s.usedByUser.toJS(),
});

const captured = () => {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: false } },
    out: () => out,
    err: () => err,
  };
};

describe('recording a live multi-client session and replaying it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxpaf-record-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reproduces the final state of every domain and every outbound message', async () => {
    const file = join(dir, 'session.ndjson');
    const rec = createRecorder({ file, outbound: true });
    const server = await createServer({
      domains: [
        { sockets: [{ addr: 'tcp:127.0.0.1:0' }] },
        { name: 'fast', sockets: [{ addr: 'tcp:127.0.0.1:0' }], settings: { idleMin: 1, idleMax: 2 } },
      ],
      seed: 4242,
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
    try {
      // domain 0: publish, subscribe, listings, a disconnect that orphans a TTL-1 service which expires, reclaim
      const a = await open(0);
      const b = await open(0);
      await a.hello(1);
      await b.hello(2);
      b.send('{"ta-cmd":"subscribe","ta-id":5,"msg-type":"request","subscription-id":77,"filter":"(name=x)"}');
      await until(b, is('subscribe', 'accept'));
      a.send(
        '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":10,"generation":0,"service-props":{"name":["x"],"port":[4711]},"ttl":1}',
      );
      await until(a, is('publish', 'complete'));
      a.send(
        '{"ta-cmd":"publish","ta-id":2,"msg-type":"request","service-id":11,"generation":0,"service-props":{"name":["y"]},"ttl":60}',
      );
      await until(a, is('publish', 'complete'));
      await until(b, match('appeared', 10n));
      b.send('{"ta-cmd":"services","ta-id":6,"msg-type":"request"}');
      await until(b, is('services', 'complete'));
      b.send('{"ta-cmd":"clients","ta-id":7,"msg-type":"request"}');
      await until(b, is('clients', 'complete'));
      a.close();
      await until(b, match('modified', 10n));
      const c = await open(0);
      await c.hello(3);
      c.send(
        '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":12,"generation":0,"service-props":{"name":["x"]},"ttl":5}',
      );
      await until(c, is('publish', 'complete'));
      c.send('{"ta-cmd":"unpublish","ta-id":2,"msg-type":"request","service-id":12}');
      await until(c, is('unpublish', 'complete'));
      const bad = await open(0);
      bad.send('{"ta-cmd":"ping","ta-id":-1,"msg-type":"request"}');
      await bad.waitClosed();
      const a2 = await open(0);
      await a2.hello(1);
      a2.send(
        '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":11,"generation":1,"service-props":{"name":["y"]},"ttl":60}',
      );
      await until(a2, is('publish', 'complete'));
      await until(b, match('disappeared', 10n)); // the TTL-1 orphan expired

      // domain 1 (idle 1..2 s): a tracked v3 client answers one query, then stops answering and is timed out
      const w = await open(1);
      await w.hello(8, 2, 2);
      w.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1}');
      await until(w, is('subscribe', 'accept'));
      const t = await open(1);
      await t.hello(7, 3, 3);
      t.send('{"ta-cmd":"track","ta-id":9,"msg-type":"request"}');
      await until(t, is('track', 'accept'));
      t.send(
        '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":20,"generation":0,"service-props":{},"ttl":1}',
      );
      await until(t, is('publish', 'complete'));
      await until(t, (m) => m['track-type'] === 'query');
      t.send('{"ta-cmd":"track","ta-id":9,"msg-type":"inform","track-type":"reply"}');
      await until(t, (m) => m['track-type'] === 'query');
      await t.waitClosed();
      await until(w, match('modified', 20n));
      await until(w, match('disappeared', 20n));
    } finally {
      clients.forEach((c) => c.close());
      await server.close();
      await rec.close();
    }
    const live = server.domains.map((d) => project(d.snapshot()));
    expect(live[0]!.view.services.map((s) => s.id)).toEqual([11n]);
    expect(live[1]!.view.services).toEqual([]);

    const lines = splitLines(readFileSync(file, 'utf8'));
    const replayer = new Replayer();
    const verifier = new Verifier();
    for (const item of replayItems(lines, replayer)) verifier.add(item);
    expect([0, 1].map((d) => project(replayer.domains.get(d)!.state))).toEqual(live);
    expect(verifier.finish()).toBeUndefined();
    const outLines = lines.filter((l) => l.startsWith('{"out":')).length;
    expect(outLines).toBeGreaterThan(20);
    expect(verifier.matched).toBe(outLines);

    const cli = captured();
    expect(await runReplayCli([file, '--verify'], cli.io)).toBe(0);
    expect(cli.out()).toBe(`verify: ok, ${outLines} outbound messages reproduced\n`);
    const summary = captured();
    expect(await runReplayCli([file], summary.io)).toBe(0);
    expect(summary.out()).toMatch(/orphans expired: 1\n[^]*orphans expired: 1\n$/);
  }, 20000);

  it('reproduces a big subscriber closing (its subscriptions removed in slices) while others publish', async () => {
    const file = join(dir, 'big-subscriber.ndjson');
    const rec = createRecorder({ file, outbound: true });
    // the live domain's states while the closed connection's subscriptions are being removed, by events folded before
    let liveState: (() => DomainState) | undefined;
    const removing: Array<readonly [number, DomainState]> = [];
    let folded = 0;
    const server = await createServer({
      domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }],
      seed: 99,
      onStart: (d, info) => {
        liveState = info.state;
        rec.header(d, info);
      },
      onEvents: (d, batch) => {
        const before = liveState!(); // (the state before this batch)
        if (before.work.some((j) => j.kind === 'unsubscribe')) removing.push([folded, before]);
        folded += batch.length;
        rec.events(d, batch);
      },
      onOutbound: rec.outbound,
    });
    const addr = server.domains[0]!.addresses[0]!;
    const [big, watcher, publisher] = await Promise.all([0, 1, 2].map(() => RawClient.open(addr)));
    const many = 2000;
    try {
      await big!.hello(1);
      await watcher!.hello(2);
      await publisher!.hello(3);
      watcher!.send('{"ta-cmd":"subscribe","ta-id":1,"msg-type":"request","subscription-id":1,"filter":"(name=s*)"}');
      await until(watcher!, is('subscribe', 'accept'));
      for (let i = 0; i < many; i++)
        big!.send(
          `{"ta-cmd":"subscribe","ta-id":${10 + i},"msg-type":"request","subscription-id":${100 + i},"filter":"(name=s${i % 50})"}`,
        );
      await until(big!, (m) => m['ta-cmd'] === 'subscribe' && m['ta-id'] === BigInt(9 + many), 10000);
      big!.close();
      for (let t = 0; server.domains[0]!.snapshot().conns.size > 2; t++) {
        if (t > 500) throw new Error('the close was not seen');
        await new Promise((r) => setTimeout(r, 2));
      }
      // publishes while the closed connection's subscriptions are being removed; one takes an id of theirs
      for (let i = 0; i < 20; i++)
        publisher!.send(
          `{"ta-cmd":"publish","ta-id":${i},"msg-type":"request","service-id":${i},"generation":0,"service-props":{"name":["s${i}"]},"ttl":30}`,
        );
      watcher!.send('{"ta-cmd":"subscribe","ta-id":2,"msg-type":"request","subscription-id":100,"filter":"(name=s3)"}');
      // (the appearances under subscription 1 and the new subscription's accept, in whatever order they came)
      const appeared = new Set<unknown>();
      for (let accepted = false; !accepted || appeared.size < 20;) {
        const m = await watcher!.next();
        if (is('subscribe', 'accept')(m)) accepted = true;
        else if (m['ta-id'] === 1n && m['match-type'] === 'appeared') appeared.add(m['service-id']);
      }
      watcher!.send('{"ta-cmd":"subscriptions","ta-id":3,"msg-type":"request"}');
      await until(watcher!, is('subscriptions', 'complete'));
    } finally {
      [big, watcher, publisher].forEach((c) => c!.close());
      await server.close();
      await rec.close();
    }
    const live = project(server.domains[0]!.snapshot());
    const lines = splitLines(readFileSync(file, 'utf8'));
    // the recording holds the `work` events that removed the big subscriber's subscriptions after its close
    expect(lines.filter((l) => l.includes('"work"')).length).toBeGreaterThanOrEqual(Math.floor(many / 128) - 1);
    const replayer = new Replayer();
    const verifier = new Verifier();
    // the replayed states, by events replayed
    const states: DomainState[] = [];
    for (const item of replayItems(lines, replayer)) {
      verifier.add(item);
      if (item.kind === 'step') states.push(item.step.state);
    }
    expect(project(replayer.domains.get(0)!.state)).toEqual(live);
    expect(replayer.domains.get(0)!.state.subscriptions.size).toBe(0);
    // while the removal was pending, the replay was in the live domain's state (the job, its walk, the maps)
    expect(removing.length).toBeGreaterThan(0);
    const encoded = (x: DomainState): string => stringifyJson(encodeDomainState(x));
    for (const [n, x] of removing) expect(encoded(states[n - 1]!)).toBe(encoded(x));
    expect(verifier.finish()).toBeUndefined();
    expect(verifier.matched).toBe(lines.filter((l) => l.startsWith('{"out":')).length);
  }, 30000);
});

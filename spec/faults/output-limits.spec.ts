/**
 * Slow consumers, the rules on virtual time: the output limiter's hard limit, soft limit and grace period, and the
 * idle state machine while the server has stopped reading a connection whose output is blocked (back-pressure).
 */
import { expect } from '@jest/globals';
import { EMPTY, Subject } from 'rxjs';

import type { ServerMessage } from '../../lib/codec/messages';
import { interpret } from '../../lib/server/interpret';
import { DEFAULT_OUTPUT_LIMITS, OutputLimiter } from '../../lib/server/output-limits';
import type { Connection } from '../../lib/transport/transport';
import { decodeLine, encodeEventLine } from '../../lib/replay/event-codec';
import { decodeDomainState, encodeDomainState } from '../../lib/replay/state-codec';
import { Domain } from '../helpers/builders';

const KiB = 1024;

describe('OutputLimiter (hard limit, soft limit + grace, on virtual time)', () => {
  const limits = { hardBytes: 100 * KiB, softBytes: 10 * KiB, softSeconds: 5 };

  it('cuts at once over the hard limit, whatever the soft state', () => {
    const l = new OutputLimiter(limits);
    expect(l.check(1, 100 * KiB, 0)).toBeUndefined();
    expect(l.check(1, 100 * KiB + 1, 0)).toEqual({ limit: 'hard', pendingBytes: 100 * KiB + 1 });
    expect(l.overSoft).toBe(0);
  });

  it('cuts over the soft limit only once it stayed over it for the grace period', () => {
    const l = new OutputLimiter(limits);
    expect(l.check(1, 20 * KiB, 1000)).toBeUndefined();
    expect(l.check(1, 30 * KiB, 3000)).toBeUndefined();
    expect(l.check(1, 30 * KiB, 5999)).toBeUndefined();
    expect(l.check(1, 30 * KiB, 6000)).toEqual({ limit: 'soft', pendingBytes: 30 * KiB });
    expect(l.overSoft).toBe(0);
  });

  it('restarts the grace period after the output went back under the soft limit', () => {
    const l = new OutputLimiter(limits);
    expect(l.check(1, 20 * KiB, 0)).toBeUndefined();
    expect(l.check(1, 5 * KiB, 4000)).toBeUndefined(); // drained below soft
    expect(l.overSoft).toBe(0);
    expect(l.check(1, 20 * KiB, 4500)).toBeUndefined();
    expect(l.check(1, 20 * KiB, 9000)).toBeUndefined(); // 4.5 s over: still within grace
    expect(l.check(1, 20 * KiB, 9500)?.limit).toBe('soft');
  });

  it('keeps connections apart, forgets closed ones, and 0 disables a limit', () => {
    const l = new OutputLimiter(limits);
    l.check(1, 20 * KiB, 0);
    l.check(2, 20 * KiB, 4000);
    expect(l.check(2, 20 * KiB, 5000)).toBeUndefined();
    expect(l.check(1, 20 * KiB, 5000)?.limit).toBe('soft');
    l.forget(2);
    expect(l.overSoft).toBe(0);
    const off = new OutputLimiter({ hardBytes: 0, softBytes: 0, softSeconds: 0 });
    expect(off.check(1, 2 ** 40, 0)).toBeUndefined();
    expect(off.check(1, 2 ** 40, 1e9)).toBeUndefined();
    const noGrace = new OutputLimiter({ hardBytes: 0, softBytes: 10, softSeconds: 0 });
    expect(noGrace.check(1, 11, 0)?.limit).toBe('soft');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_OUTPUT_LIMITS).toEqual({
      hardBytes: 64 * 1024 * 1024,
      softBytes: 16 * 1024 * 1024,
      softSeconds: 60,
    });
  });
});

describe('idle state machine while output is blocked (back-pressure, §8, §15.3)', () => {
  const impatient = { idleMin: 2, idleMax: 4 };

  it('a tracked v3 client whose output is blocked is never timed out for idleness; after the drain it is active', () => {
    const d = new Domain(impatient);
    d.connect(1, 7).track(1, 5).clear();
    d.step({ type: 'output-blocked', now: d.now, conn: 1 });
    for (let t = 0.5; t <= 60; t += 0.5) d.at(t);
    expect(d.isOpen(1)).toBe(true);
    // no track query is queued behind blocked output
    expect(d.takeParsed(1)).toEqual([]);
    d.step({ type: 'output-drained', now: d.now, conn: 1 });
    // active again: the query comes ~2 s (½·max idle ±10 %) after the drain, the timeout 2 s later
    for (let t = 60.5; t <= 66; t += 0.1) d.at(t);
    expect(d.isOpen(1)).toBe(false);
    const q = d.takeSent(1).filter((s) => s.msg['track-type'] === 'query');
    expect(q).toHaveLength(1);
    expect(q[0]!.at - 60).toBeGreaterThanOrEqual(1.8 - 1e-6);
    expect(q[0]!.at - 60).toBeLessThanOrEqual(2.2 + 1e-6);
    expect(d.closeLog).toEqual([{ conn: 1, at: expect.closeTo(q[0]!.at + 2, 6), reason: 'idle timeout' }]);
  });

  it('the handshake deadline still applies to a blocked connection that never said hello', () => {
    const d = new Domain();
    d.accept(1);
    d.step({ type: 'output-blocked', now: d.now, conn: 1 });
    d.at(3);
    expect(d.closeLog).toEqual([{ conn: 1, at: 2.5, reason: 'handshake timeout' }]);
  });

  it('flow events for unknown connections change nothing; the flag round-trips through replay codecs', () => {
    const d = new Domain(impatient);
    const before = d.state;
    d.step({ type: 'output-drained', now: d.now, conn: 9 });
    d.step({ type: 'output-blocked', now: d.now, conn: 9 });
    expect(d.state).toBe(before);
    d.connect(1, 7);
    d.step({ type: 'output-blocked', now: d.now, conn: 1 });
    expect(d.state.conns.get(1)?.outputBlocked).toBe(true);
    const snap = decodeDomainState(encodeDomainState(d.state));
    expect(snap._tag).toBe('Right');
    if (snap._tag === 'Right') expect(snap.right.conns.get(1)?.outputBlocked).toBe(true);
    for (const type of ['output-blocked', 'output-drained'] as const) {
      const line = encodeEventLine(1, 0, { type, now: d.now, conn: 1 });
      const back = decodeLine(line);
      expect(back).toMatchObject({ _tag: 'Right', right: { kind: 'event', event: { type, conn: 1 } } });
    }
  });
});

describe('interpret: output accounting after each flush, on the domain clock (seconds)', () => {
  const fakeConn = (pending: () => number) => {
    const c = {
      flushed: 0,
      aborted: false,
      transport: 'tcp' as const,
      remoteAddress: 'tcp:127.0.0.1:1',
      localAddress: 'tcp:127.0.0.1:2',
      userId: 'ip:127.0.0.1',
      acceptedAt: 0,
      messages$: EMPTY,
      send: () => undefined,
      flush: () => void c.flushed++,
      close: () => undefined,
      abort: () => void (c.aborted = true),
      setKeepAlive: () => undefined,
      pendingOutbound: 0,
      get pendingOutboundBytes() {
        return pending();
      },
      onOutputBlocked: undefined,
    };
    return c;
  };
  const ping = { 'ta-cmd': 'ping', 'ta-id': 1n, 'msg-type': 'complete' } as unknown as ServerMessage;

  it('cuts a connection over the soft limit once the grace period (seconds) has passed, not before', () => {
    let bytes = 0;
    let now = 1000; // seconds
    const c = fakeConn(() => bytes);
    const conns = new Map<number, Connection>([[1, c]]);
    const cut: Array<[number, string]> = [];
    const limiter = new OutputLimiter({ hardBytes: 1000, softBytes: 100, softSeconds: 2 });
    const run = (): void =>
      interpret([{ type: 'send', conn: 1, msg: ping }], {
        conns,
        onServerClose: () => undefined,
        changes$: new Subject(),
        domain: 'd',
        onSendFailed: () => undefined,
        limiter,
        now: () => now,
        onSlowConsumer: (id, v) => cut.push([id, v.limit]),
      });
    bytes = 500;
    run();
    now += 1.999;
    run();
    expect(cut).toEqual([]);
    now += 0.001;
    run();
    expect(cut).toEqual([[1, 'soft']]);
    expect(c.aborted).toBe(true);
    expect(conns.has(1)).toBe(false);
    expect(c.flushed).toBe(3); // one flush per batch
  });
});

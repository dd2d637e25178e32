/**
 * The pure client core, step by step: `reduceAll` is called directly (through the driver, which plays the
 * servers from the effects). Publish/subscription bookkeeping across servers, the in-flight bound, protocol
 * errors, fail handling, close.
 */
import { encodeMessage } from '../../lib/codec/encode';
import type { Effect } from '../../lib/client/core/effects';
import { toWireProps } from '../../lib/client/core/props';
import { reduceAll } from '../../lib/client/core/reducer';
import { LOSS_SLICE } from '../../lib/client/core/subscribe';
import {
  PafArgumentError,
  PafClosedError,
  PafConnectionError,
  PafRequestError,
  PafUnpublishedError,
} from '../../lib/errors';
import { heapPeek } from '../../lib/util/heap';
import { CoreDriver } from './core-driver';

const A = 'tcp:127.0.0.1:1001';
const B = 'tcp:127.0.0.1:1002';
const props = toWireProps({ name: 'svc' });

const answers = (fx: readonly Effect[], req: number): string[] =>
  fx.flatMap((e) =>
    (e.type === 'resolve' || e.type === 'reject') && e.req === req
      ? [e.type === 'resolve' ? 'resolve' : `reject:${e.error.code}`]
      : [],
  );

const sentTo = (d: CoreDriver, address: string, cmd: string): Array<Record<string, unknown>> =>
  d.server(address).received.filter((m) => m['ta-cmd'] === cmd && m['msg-type'] === 'request');

describe('client core: own services', () => {
  it('answers a publish once every connected server has it, and republishes at the current generation on reconnect', () => {
    const d = new CoreDriver([A, B]);
    let fx = d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 1)).toEqual(['resolve']);
    expect(sentTo(d, A, 'publish')).toHaveLength(1);
    expect(sentTo(d, B, 'publish')).toHaveLength(1);
    fx = d.run([{ type: 'modify', req: 2, id: 5n, generation: 1n, props, ttl: 10 }]);
    expect(answers(fx, 2)).toEqual(['resolve']);
    d.drop(A);
    d.advanceTo(10000); // reconnected after the back-off
    const again = sentTo(d, A, 'publish');
    expect(again.map((m) => `${String(m.generation)}/${String(m.ttl)}`)).toEqual(['0/30', '1/10', '1/10']);
  });

  it('waits for a server while none is connected', () => {
    const d = new CoreDriver([A]);
    d.server(A).accepting = false;
    d.drop(A);
    let fx = d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 1)).toEqual([]);
    d.server(A).accepting = true;
    fx = d.advanceTo(10000);
    expect(answers(fx, 1)).toEqual(['resolve']);
  });

  it('answers as soon as one server has it: a hung server does not hold the caller', () => {
    const d = new CoreDriver([A, B], { idleMin: 1, idleMax: 4 }, 1, 3);
    d.server(B).answering = false; // hung after connecting
    const fx = d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 1)).toEqual(['resolve']);
    expect(sentTo(d, B, 'publish')).toHaveLength(1);
    d.advanceTo(5000); // B's track query goes unanswered: the link is restarted, and B gets it again
    d.server(B).answering = true;
    d.advanceTo(10000);
    expect(sentTo(d, B, 'publish')).toHaveLength(2);
  });

  it('rejects a duplicate id, and modify/unpublish after unpublish', () => {
    const d = new CoreDriver([A]);
    d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    let fx = d.run([{ type: 'publish', req: 2, id: 5n, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 2)).toEqual([`reject:${new PafArgumentError('').code}`]);
    fx = d.run([{ type: 'unpublish', req: 3, id: 5n }]);
    expect(answers(fx, 3)).toEqual(['resolve']);
    fx = d.run([{ type: 'modify', req: 4, id: 5n, generation: 1n, props, ttl: 30 }]);
    expect(answers(fx, 4)).toEqual([`reject:${new PafUnpublishedError('').code}`]);
    fx = d.run([{ type: 'unpublish', req: 5, id: 5n }]);
    expect(answers(fx, 5)).toEqual(['resolve']);
    expect(sentTo(d, A, 'unpublish')).toHaveLength(1);
  });

  it('keeps at most maxInFlight sync transactions outstanding per server, and sends a queued service once, at its latest generation', () => {
    const d = new CoreDriver([A], { maxInFlight: 2 });
    d.server(A).answering = false;
    const events = [1n, 2n, 3n, 4n].map((id, i) => ({
      type: 'publish' as const,
      req: i + 1,
      id,
      generation: 0n,
      props,
      ttl: 30,
    }));
    d.run(events);
    expect(sentTo(d, A, 'publish').map((m) => m['service-id'])).toEqual([1n, 2n]);
    d.run([
      { type: 'modify', req: 9, id: 3n, generation: 1n, props, ttl: 30 },
      { type: 'modify', req: 10, id: 3n, generation: 2n, props, ttl: 30 },
    ]);
    // answer the two outstanding ones: the queue moves on
    const conn = d.server(A).conn!;
    const complete = (ta: unknown) => ({
      type: 'frame' as const,
      conn,
      data: encodeMessage({ 'ta-cmd': 'publish', 'ta-id': ta, 'msg-type': 'complete' }),
    });
    const [p1, p2] = sentTo(d, A, 'publish');
    d.run([complete(p1!['ta-id']), complete(p2!['ta-id'])]);
    expect(sentTo(d, A, 'publish').map((m) => `${String(m['service-id'])}@${String(m.generation)}`)).toEqual([
      '1@0',
      '2@0',
      '3@2',
      '4@0',
    ]);
  });

  it('publishes an id again after it was unpublished', () => {
    const d = new CoreDriver([A]);
    d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    d.run([{ type: 'unpublish', req: 2, id: 5n }]);
    const fx = d.run([{ type: 'publish', req: 3, id: 5n, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 3)).toEqual(['resolve']);
    expect(
      d
        .server(A)
        .received.filter((m) => m['msg-type'] === 'request')
        .map((m) => m['ta-cmd']),
    ).toEqual(['hello', 'publish', 'unpublish', 'publish']);
  });

  it('a server refusing a publish rejects it and restarts its link (libpaf: any fail)', () => {
    const d = new CoreDriver([A]);
    d.server(A).answering = false;
    d.run([{ type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 }]);
    const [p] = sentTo(d, A, 'publish');
    const conn = d.server(A).conn!;
    const fx = d.run([
      {
        type: 'frame',
        conn,
        data: encodeMessage({
          'ta-cmd': 'publish',
          'ta-id': p!['ta-id'],
          'msg-type': 'fail',
          'fail-reason': 'permission-denied',
        }),
      },
    ]);
    expect(answers(fx, 1)).toEqual([`reject:${new PafRequestError('publish', '').code}`]);
    expect(fx).toContainEqual({ type: 'close', conn });
    const down = fx.find((e) => e.type === 'link')!;
    expect(down.type === 'link' && down.state.error?.message).toBe('publish failed: permission-denied');
  });

  it('keeps own services apart whose ids share a slot of the id index', () => {
    // 0, 2^32+1 and 2·2^32+2 have equal 32-bit halves xor-ed: one slot of the index
    const ids = [0n, (1n << 32n) | 1n, (2n << 32n) | 2n];
    const d = new CoreDriver([A]);
    let fx = d.run(ids.map((id, i) => ({ type: 'publish' as const, req: i + 1, id, generation: 0n, props, ttl: 30 })));
    expect([1, 2, 3].map((req) => answers(fx, req))).toEqual([['resolve'], ['resolve'], ['resolve']]);
    fx = d.run([{ type: 'publish', req: 4, id: ids[1]!, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 4)).toEqual([`reject:${new PafArgumentError('').code}`]);
    d.run([{ type: 'unpublish', req: 5, id: ids[1]! }]);
    fx = d.run(ids.map((id, i) => ({ type: 'modify' as const, req: 10 + i, id, generation: 1n, props, ttl: 30 })));
    expect([10, 11, 12].map((req) => answers(fx, req))).toEqual([
      ['resolve'],
      [`reject:${new PafUnpublishedError('').code}`],
      ['resolve'],
    ]);
    fx = d.run([{ type: 'publish', req: 20, id: ids[1]!, generation: 0n, props, ttl: 30 }]);
    expect(answers(fx, 20)).toEqual(['resolve']);
    expect(sentTo(d, A, 'unpublish').map((m) => m['service-id'])).toEqual([ids[1]]);
    expect(sentTo(d, A, 'publish').map((m) => `${String(m['service-id'])}@${String(m.generation)}`)).toEqual([
      ...ids.map((id) => `${id}@0`),
      `${ids[0]}@1`,
      `${ids[2]}@1`,
      `${ids[1]}@0`,
    ]);
  });

  it('changes its copies of a link and wire in place, never the state it was given', () => {
    const d = new CoreDriver([A], { maxInFlight: 2 });
    d.server(A).answering = false;
    d.run(
      [1n, 2n, 3n, 4n].map((id, i) => ({ type: 'publish' as const, req: i + 1, id, generation: 0n, props, ttl: 30 })),
    );
    const before = d.state;
    // frozen: a change in place throws (specs run in strict mode)
    Object.freeze(before.links);
    for (const l of before.links) Object.freeze(Object.freeze(l).wire);
    const wire = before.links[0]!.wire!;
    const [inFlight, queued, txs, nextTa] = [wire.inFlight, wire.queue.size, wire.txs, wire.nextTa];
    const conn = d.server(A).conn!;
    const complete = (m: Record<string, unknown>) => ({
      type: 'frame' as const,
      conn,
      data: encodeMessage({ 'ta-cmd': 'publish', 'ta-id': m['ta-id'], 'msg-type': 'complete' }),
    });
    const fx = d.run([
      ...sentTo(d, A, 'publish').map(complete),
      { type: 'publish', req: 5, id: 5n, generation: 0n, props, ttl: 30 },
    ]);
    expect([1, 2].map((req) => answers(fx, req))).toEqual([['resolve'], ['resolve']]);
    expect(sentTo(d, A, 'publish').map((m) => m['service-id'])).toEqual([1n, 2n, 3n, 4n]);
    expect([wire.inFlight, wire.queue.size, wire.txs, wire.nextTa]).toEqual([inFlight, queued, txs, nextTa]);
    expect(before.links[0]!.wire).toBe(wire);
    const after = d.state.links[0]!.wire!;
    expect([after.inFlight, after.queue.size]).toEqual([2, 1]);
  });
});

describe('client core: a lost link with many services', () => {
  const many = (d: CoreDriver, n: number): void => {
    for (let i = 1; i <= n; i++)
      d.server(A).dir.set(BigInt(i), { id: BigInt(i), generation: 0n, ttl: 30, clientId: 7n });
  };

  it('marks its reports lost a slice per step (continued on the next turn), never all in one step', () => {
    const d = new CoreDriver([A], { reconnectMin: 100, reconnectMax: 100 });
    many(d, 5000);
    d.run([{ type: 'subscribe', key: 'k', id: 9n, filter: undefined }]);
    expect(d.state.subs.get('k')!.merge.size).toBe(5000);
    d.autoContinue = false;
    const orphans = (fx: readonly Effect[]): number => CoreDriver.matches(fx, 'k').length;
    let fx = d.drop(A);
    const steps = [orphans(fx)];
    while (fx.some((e) => e.type === 'continue')) {
      fx = d.run([{ type: 'continue' }]);
      steps.push(orphans(fx));
    }
    expect(steps.every((n) => n <= LOSS_SLICE)).toBe(true);
    expect(steps.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(steps.length).toBe(Math.ceil(5000 / LOSS_SLICE));
    expect([...d.state.subs.get('k')!.merge.values()].every((e) => e.record.orphanSince !== undefined)).toBe(true);
    // they expire together when their TTL has run out: one deadline per expiry time, again a slice per step
    expect(d.state.deadlines !== undefined).toBe(true);
    d.server(A).accepting = false;
    fx = d.advanceTo(30000);
    const gone: number[] = [CoreDriver.matches(fx, 'k').filter((m) => m.type === 'disappeared').length];
    while (fx.some((e) => e.type === 'continue')) {
      fx = d.run([{ type: 'continue' }]);
      gone.push(CoreDriver.matches(fx, 'k').length);
    }
    expect(gone.every((n) => n <= LOSS_SLICE)).toBe(true);
    expect(gone.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(d.state.subs.get('k')!.merge.size).toBe(0);
  });

  it('does not mark lost what the server reported again on a new connection meanwhile', () => {
    const d = new CoreDriver([A], { reconnectMin: 0.01, reconnectMax: 0.01 });
    many(d, 3000);
    d.run([{ type: 'subscribe', key: 'k', id: 9n, filter: undefined }]);
    d.autoContinue = false;
    d.drop(A); // the first LOSS_SLICE of 3000 marked lost
    d.advanceTo(100); // reconnected: the server reports all 3000 again (live)
    // the rest of the old connection's loss: nothing to do any more
    while (d.state.losses.length > 0) d.run([{ type: 'continue' }]);
    expect([...d.state.subs.get('k')!.merge.values()].every((e) => e.record.orphanSince === undefined)).toBe(true);
  });
});

describe('client core: protocol errors close only that link', () => {
  const cases: Array<[string, string | Record<string, unknown>, RegExp]> = [
    ['unparsable JSON', '{"ta-cmd": ', /unparsable message/],
    ['not an object', '[1,2]', /not a JSON object/],
    ['unknown transaction', { 'ta-cmd': 'ping', 'ta-id': 999, 'msg-type': 'complete' }, /unknown transaction 999/],
    ['missing ta-id', { 'ta-cmd': 'ping', 'msg-type': 'complete' }, /ta-id/],
    [
      'wrong command',
      { 'ta-cmd': 'ping', 'ta-id': 0, 'msg-type': 'complete' },
      /does not match transaction 0 \(hello\)/,
    ],
    ['invalid fields', { 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'complete' }, /invalid hello complete/],
    ['unknown msg-type', { 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'bogus' }, /unexpected 'msg-type' bogus/],
    [
      'accept of a single-response command',
      { 'ta-cmd': 'hello', 'ta-id': 0, 'msg-type': 'accept' },
      /unexpected accept/,
    ],
  ];
  it.each(cases)('%s', (_name, frame, reason) => {
    const d = new CoreDriver([A, B]);
    d.server(A).answering = false;
    d.drop(A);
    d.advanceTo(1000); // reconnected: hello sent, not answered
    const conn = d.server(A).conn!;
    const fx = d.run([{ type: 'frame', conn, data: typeof frame === 'string' ? frame : encodeMessage(frame) }]);
    const link = fx.find((e) => e.type === 'link');
    expect(link?.type === 'link' && link.state.error).toBeInstanceOf(PafConnectionError);
    expect(link?.type === 'link' && link.state.error?.message).toMatch(reason);
    expect(fx).toContainEqual({ type: 'close', conn });
    expect(d.state.links.find((l) => l.spec.address === B)!.phase).toBe('up');
  });
});

describe('client core: close', () => {
  it('closes every connection, answers every request with PafClosedError and ends every subscription', () => {
    const d = new CoreDriver([A]);
    d.server(A).answering = false;
    d.run([
      { type: 'publish', req: 1, id: 5n, generation: 0n, props, ttl: 30 },
      { type: 'request', req: 2, cmd: 'ping', fields: {}, server: undefined },
      { type: 'subscribe', key: 'k', id: 9n, filter: undefined },
    ]);
    const conn = d.server(A).conn!;
    const fx = d.run([{ type: 'close' }]);
    expect(answers(fx, 1)).toEqual([`reject:${new PafClosedError('').code}`]);
    expect(answers(fx, 2)).toEqual([`reject:${new PafClosedError('').code}`]);
    expect(fx).toContainEqual({ type: 'sub-end', key: 'k' });
    expect(fx).toContainEqual({ type: 'close', conn });
    expect(fx[fx.length - 1]).toEqual({ type: 'closed' });
    expect(heapPeek(d.state.deadlines)).toBeUndefined();
    const after = d.run([{ type: 'request', req: 3, cmd: 'ping', fields: {}, server: undefined }]);
    expect(answers(after, 3)).toEqual([`reject:${new PafClosedError('').code}`]);
  });

  it('returns the same state when nothing happened', () => {
    const d = new CoreDriver([A]);
    const [s, fx] = reduceAll(d.state, { now: d.now, events: [] });
    expect(fx).toEqual([]);
    expect(s).toEqual(d.state);
  });
});

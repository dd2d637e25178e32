/**
 * The effect interpreter queues each message on its connection and flushes every connection written to once, at the
 * end of a fold (lib/server/interpret.ts). A connection that tells how many messages it has queued is noted as
 * written to at its first message only (the fan-out of a change sends to many connections in turn).
 */
import { Observable, Subject } from 'rxjs';

import type { ServerMessage } from '../../lib/codec/messages';
import { type Dirty, flushDirty, type InterpreterDeps, queueEffects } from '../../lib/server/interpret';
import type { DirectoryChange, Effect } from '../../lib/state/effects';
import type { Connection } from '../../lib/transport/transport';

class FakeConnection implements Connection {
  readonly transport = 'tcp' as const;
  readonly remoteAddress = 'tcp:127.0.0.1:1';
  readonly localAddress = 'tcp:127.0.0.1:2';
  readonly userId = 'ip:127.0.0.1';
  readonly acceptedAt = 0;
  readonly messages$ = new Observable<Uint8Array>();
  readonly pendingOutbound = 0;
  readonly pendingOutboundBytes = 0;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;
  /** Each flush's messages. */
  readonly flushes: string[][] = [];
  closed = false;
  private queue: string[] = [];
  constructor(private readonly counts: boolean) {}
  get queuedMessages(): number | undefined {
    return this.counts ? this.queue.length : undefined;
  }
  send(payload: string | Uint8Array): void {
    if (typeof payload === 'string' && payload.length > 200) throw new Error('too long');
    if (!this.closed) this.queue.push(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  }
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    this.flushes.push(this.queue);
    this.queue = [];
  }
  close(): void {
    this.closed = true;
    this.queue = [];
  }
  abort(): void {
    this.close();
  }
  setKeepAlive(): void {}
}

const ping = (taId: bigint): ServerMessage => ({ 'ta-cmd': 'ping', 'ta-id': taId, 'msg-type': 'complete' });
const send = (conn: number, taId: bigint): Effect => ({ type: 'send', conn, msg: ping(taId) });
const text = (taId: bigint): string => `{"ta-cmd":"ping","ta-id":${taId},"msg-type":"complete"}`;

const setup = (counts: boolean[]): { conns: FakeConnection[]; deps: InterpreterDeps; failed: number[] } => {
  const conns = counts.map((c) => new FakeConnection(c));
  const failed: number[] = [];
  const deps: InterpreterDeps = {
    conns: new Map(conns.map((c, i) => [i + 1, c])),
    onServerClose: () => undefined,
    changes$: new Subject<DirectoryChange>(),
    domain: 'test',
    onSendFailed: (id) => failed.push(id),
  };
  return { conns, deps, failed };
};

describe('the effect interpreter', () => {
  it.each([
    ['count their queued messages', [true, true, true]],
    ['do not', [false, false, false]],
    ['mixed', [true, false, true]],
  ])(
    'flushes every connection written to once per fold, all its messages in order (connections that %s)',
    (_how, counts) => {
      const { conns, deps } = setup(counts);
      // a fold in two parts, each a fan-out to the three connections in turn, a change and a keepalive between
      const dirty: Dirty = new Map();
      const part1: Effect[] = [send(1, 1n), send(2, 2n), send(3, 3n), send(1, 4n), send(2, 5n), send(3, 6n)];
      const part2: Effect[] = [send(2, 7n), send(1, 8n), send(2, 9n)];
      queueEffects(part1, deps, dirty);
      queueEffects(part2, deps, dirty);
      expect(conns.map((c) => c.flushes.length)).toEqual([0, 0, 0]);
      flushDirty(dirty, deps);
      expect(conns.map((c) => c.flushes)).toEqual([
        [[text(1n), text(4n), text(8n)]],
        [[text(2n), text(5n), text(7n), text(9n)]],
        [[text(3n), text(6n)]],
      ]);
      // the next fold: only the connections written to are flushed, one of them with a single message
      const next: Dirty = new Map();
      queueEffects([send(3, 10n), send(1, 12n), send(3, 11n)], deps, next);
      flushDirty(next, deps);
      expect(conns.map((c) => c.flushes.length)).toEqual([2, 1, 2]);
      expect(conns[0]!.flushes[1]).toEqual([text(12n)]);
      expect(conns[2]!.flushes[1]).toEqual([text(10n), text(11n)]);
    },
  );

  it('a connection whose message cannot be sent is closed and not flushed; the others are', () => {
    const { conns, deps, failed } = setup([true, true]);
    const dirty: Dirty = new Map();
    const long: Effect = {
      type: 'send',
      conn: 1,
      msg: { 'ta-cmd': 'services', 'ta-id': 5n, 'msg-type': 'fail', 'fail-reason': 'x'.repeat(300) } as ServerMessage,
    };
    queueEffects([send(1, 1n), send(2, 2n), long, send(2, 3n), send(1, 4n)], deps, dirty);
    flushDirty(dirty, deps);
    expect(failed).toEqual([1]);
    expect(conns[0]!.closed).toBe(true);
    expect(conns[0]!.flushes).toEqual([]);
    expect(conns[1]!.flushes).toEqual([[text(2n), text(3n)]]);
  });
});

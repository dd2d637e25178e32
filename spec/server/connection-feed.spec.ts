/**
 * The domain reads each accepted connection through one plain observer (`Connection.attach`, a ConnectionFeed), not
 * through an Observable subscription per connection (issue 12, the cost of a connection); a connection without
 * `attach` is read through `messages$`. Either way: accepted, messages in order, replies, the peer's close.
 */
import { Observable, Subject } from 'rxjs';

import type { ChannelObserver } from '../../lib/transport/hot-channel';
import type { Connection, Listener } from '../../lib/transport/transport';
import { DomainRuntime } from '../../lib/server/domain-runtime';

const hello = (clientId: number): Uint8Array =>
  new TextEncoder().encode(
    `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${clientId},"protocol-minimum-version":2,"protocol-maximum-version":2}`,
  );
const ping = (taId: number): Uint8Array =>
  new TextEncoder().encode(`{"ta-cmd":"ping","ta-id":${taId},"msg-type":"request"}`);

class FakeConnection implements Connection {
  readonly transport = 'tcp' as const;
  readonly remoteAddress = 'tcp:127.0.0.1:1';
  readonly localAddress = 'tcp:127.0.0.1:2';
  readonly userId = 'ip:127.0.0.1';
  readonly acceptedAt = 0;
  readonly sent: string[] = [];
  subscriptions = 0;
  observer: ChannelObserver<Uint8Array> | undefined;
  attach: ((o: ChannelObserver<Uint8Array>) => boolean) | undefined;
  readonly messages$ = new Observable<Uint8Array>((s) => {
    this.subscriptions++;
    this.observer = s;
  });
  pendingOutbound = 0;
  pendingOutboundBytes = 0;
  onOutputBlocked: ((blocked: boolean) => void) | undefined = undefined;
  constructor(withAttach: boolean) {
    if (withAttach)
      this.attach = (o) => {
        this.observer = o;
        return true;
      };
  }
  send(payload: string | Uint8Array): void {
    this.sent.push(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  }
  flush(): void {}
  close(): void {}
  abort(): void {}
  setKeepAlive(): void {}
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each([
  ['attach', true],
  ['messages$', false],
])('a connection read through %s', (_how, withAttach) => {
  it('is accepted, its messages answered in order, its end a close', async () => {
    const accepted = new Subject<Connection>();
    const listener: Listener = { address: 'tcp:127.0.0.1:1', connections$: accepted, close: () => Promise.resolve() };
    let t = 1000;
    const rt = new DomainRuntime({ name: undefined, index: 0, clock: () => t, seed: 1 });
    const notices: string[] = [];
    rt.connections$.subscribe((n) => notices.push(`${n.type} ${n.conn}`));
    rt.start([listener]);
    const c = new FakeConnection(withAttach);
    accepted.next(c);
    expect(c.subscriptions).toBe(withAttach ? 0 : 1);
    c.observer!.next(hello(5));
    c.observer!.next(ping(1));
    c.observer!.next(ping(2));
    await turn();
    expect(c.sent.map((m) => (JSON.parse(m) as Record<string, unknown>)['ta-id'])).toEqual([0, 1, 2]);
    expect(rt.state$.value.conns.get(1)?.handshaked).toBe(true);
    t += 1;
    c.observer!.complete();
    await turn();
    expect(rt.state$.value.conns.has(1)).toBe(false);
    expect(notices).toEqual(['accepted 1', 'closed 1']);
    expect(c.subscriptions).toBe(withAttach ? 0 : 1);
    rt.stop();
  });
});

/**
 * A tcp connection after close (Connection.close is idempotent, messages$ completes): later sends, flushes,
 * keepalive changes and a second close or abort do nothing, and the peer sees an orderly end with only what was
 * flushed before.
 */
import { connect } from '../../lib/transport/connect';
import { listen } from '../../lib/transport/listen';
import type { Connection } from '../../lib/transport/transport';
import { nextConnection } from './helpers';

const waitUntil = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 250 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(cond()).toBe(true);
};

describe('tcp connection after close', () => {
  it('ignores sends, flushes and keepalive; closing again is a no-op', async () => {
    const listener = await listen('tcp:127.0.0.1:0');
    try {
      const accepted = nextConnection(listener);
      const client = await connect(listener.address);
      const server: Connection = await accepted;
      let ended = false;
      const all: string[] = [];
      server.messages$.subscribe({ next: (m) => all.push(Buffer.from(m).toString()), complete: () => (ended = true) });
      client.flush(); // nothing queued: nothing written
      client.send('before');
      client.flush();
      await waitUntil(() => all.length === 1);
      expect(all).toEqual(['before']);
      let completed = false;
      client.messages$.subscribe({ complete: () => (completed = true) });
      client.close();
      expect(completed).toBe(true);
      client.send('after');
      client.flush();
      client.setKeepAlive(true);
      client.close();
      client.abort();
      expect(client.pendingOutbound).toBe(0);
      await waitUntil(() => ended);
      expect(all).toEqual(['before']); // nothing sent after the close arrived
      server.close();
    } finally {
      await listener.close();
    }
  });
});

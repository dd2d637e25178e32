import { safeReduceAll } from '../../lib/server/safe-reduce';
import type { Event } from '../../lib/state/events';
import { defaultSettings, initialDomainState } from '../../lib/protocol/reducer';
import { wire } from '../helpers/builders';

describe('safeReduceAll', () => {
  const now = 1_700_000_000;
  const accepted = (conn: number): Event => ({
    type: 'accepted',
    now,
    conn,
    address: `tcp:127.0.0.1:${conn}`,
    user: 'u',
    transport: 'tcp',
  });
  const hello = (conn: number, id: number): Event => ({
    type: 'message',
    now,
    conn,
    msg: wire(
      `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":${id},"protocol-minimum-version":2,"protocol-maximum-version":3}`,
    ),
  });

  it('should close only the connection whose event makes the reducer throw, and keep the rest of the batch', () => {
    // a message whose props are not a Map makes the reducer throw (it cannot come from the decoder)
    const poison: Event = {
      type: 'message',
      now,
      conn: 1,
      msg: {
        ...(wire(
          '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":1,"generation":0,"service-props":{},"ttl":1}',
        ) as object),
        'service-props': null,
      } as never,
    };
    const s0 = initialDomainState(defaultSettings, 1, now);
    const crit: string[] = [];
    const logger = { critical: (_c: string, m: string) => crit.push(m) } as never;
    const [s, fx] = safeReduceAll(s0, [accepted(1), accepted(2), hello(1, 1), hello(2, 2), poison], logger, 'd');
    expect(fx.filter((f) => f.type === 'close').map((f) => (f as { conn: number }).conn)).toEqual([1]);
    expect([...s.conns.keys()]).toEqual([2]);
    expect(s.clients.has(2n)).toBe(true);
    expect(crit.length).toBeGreaterThan(0);
  });
});

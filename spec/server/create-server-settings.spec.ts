/**
 * createServer checks its settings before it binds anything: each unusable value is a PafConfigError naming the
 * domain (or the limit) and the rule.
 */
import { expect } from '@jest/globals';

import { createServer, type ServerOptions } from '../../lib/server';

const ADDR = 'tcp:127.0.0.1:0';

describe('createServer settings', () => {
  it.each<[string, Partial<ServerOptions> & { settings?: Record<string, number> }, RegExp]>([
    ['a protocol range outside 2..3', { settings: { protocolMax: 4 } }, /domain d: protocol versions must satisfy/],
    ['an inverted protocol range', { settings: { protocolMin: 3, protocolMax: 2 } }, /protocol versions/],
    ['an idle minimum below 1 s', { settings: { idleMin: 0 } }, /domain d: idle limits must satisfy 1 <= min <= max/],
    ['an idle maximum below the minimum', { settings: { idleMin: 10, idleMax: 5 } }, /idle limits/],
    ['a zero handshake timeout', { settings: { handshakeTimeout: 0 } }, /the handshake timeout must be positive/],
    ['a negative output limit', { outputLimits: { hardBytes: -1 } }, /output limit hardBytes must be an integer >= 0/],
    ['a fractional output limit', { outputLimits: { softSeconds: 1.5 } }, /output limit softSeconds must be/],
  ])('rejects %s', async (_what, o, message) => {
    const { settings, ...rest } = o;
    const opts: ServerOptions = { domains: [{ name: 'd', sockets: [{ addr: ADDR }], settings }], ...rest };
    await expect(createServer(opts)).rejects.toMatchObject({ name: 'PafConfigError', code: 'PAF_CONFIG', message });
  });

  it('accepts the boundaries: idle 1..1 s, protocol 2..2, zero output limits', async () => {
    const server = await createServer({
      domains: [{ name: 'd', sockets: [{ addr: ADDR }], settings: { idleMin: 1, idleMax: 1, protocolMax: 2 } }],
      outputLimits: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
    });
    expect(server.domains[0]!.addresses[0]).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    await server.close();
  });
});

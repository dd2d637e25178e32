/**
 * The daemon's server (lib/server/create-server.ts) with a logger at debug level logs every protocol message in
 * and out as it is on the wire (README "Using it": `rxpafd -l debug`), under the domain's label and the
 * connection's id; at info level none is.
 */
import { expect } from '@jest/globals';

import type { LogFields } from '../../lib/log/logger';
import type { Logger } from '../../lib/log/logger';
import { createServer } from '../../lib/server/create-server';
import { RawClient } from '../helpers/raw-client';

const recording = (level: 'debug' | 'info'): { logger: Logger; lines: Array<[string, string, LogFields]> } => {
  const lines: Array<[string, string, LogFields]> = [];
  const at =
    (l: string) =>
    (category: string, msg: string, fields: LogFields = {}) =>
      void lines.push([`${l} ${category}`, msg, fields]);
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warning: at('warning'),
    error: at('error'),
    critical: at('critical'),
    isEnabled: (l) => l !== 'debug' || level === 'debug',
    close: () => Promise.resolve(),
  };
  return { logger, lines };
};

const pingOnce = async (level: 'debug' | 'info'): Promise<Array<[string, string, LogFields]>> => {
  const { logger, lines } = recording(level);
  const server = await createServer({ domains: [{ name: 'd', sockets: [{ addr: 'tcp:127.0.0.1:0' }] }], logger });
  const c = await RawClient.open(server.domains[0]!.addresses[0]!);
  await c.hello(5);
  c.send('{"ta-cmd":"ping","ta-id":9,"msg-type":"request"}');
  expect(await c.next()).toMatchObject({ 'ta-cmd': 'ping', 'msg-type': 'complete' });
  c.close();
  await server.close();
  return lines.filter(([l, msg]) => l === 'debug protocol' && (msg === 'in' || msg === 'out'));
};

describe('protocol messages in the debug log', () => {
  it('logs each message in and out, as on the wire, at debug level', async () => {
    const lines = await pingOnce('debug');
    const ping = lines.filter(([, , f]) => String(f.msg).includes('"ta-cmd":"ping"'));
    expect(ping.map(([, msg]) => msg)).toEqual(['in', 'out']);
    expect(ping[0]![2]).toEqual({
      domain: 'd',
      conn: expect.any(Number),
      msg: '{"ta-cmd":"ping","ta-id":9,"msg-type":"request"}',
    });
    expect(ping[1]![2]).toEqual({
      domain: 'd',
      conn: ping[0]![2].conn,
      msg: '{"ta-cmd":"ping","ta-id":9,"msg-type":"complete"}',
    });
  });

  it('logs none at info level', async () => {
    expect(await pingOnce('info')).toEqual([]);
  });
});

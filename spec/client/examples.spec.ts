/** The client examples run against a real rxpafd (they are documentation: they must keep working). */
import { expect } from '@jest/globals';
import { main as leastLoaded } from '../../examples/client-least-loaded';
import { main as membership } from '../../examples/client-membership';
import { main as publishDiscover } from '../../examples/client-publish-discover';
import { createClient } from '../../lib/client/client';
import { Daemon, startDaemon } from './helpers';

describe('client examples against a real server', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(() => daemon.stop());
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('client-publish-discover finds the printer and unpublishes it', async () => {
    const m = await publishDiscover(daemon.addr());
    expect(m).toEqual(
      expect.objectContaining({
        type: 'appeared',
        service: expect.objectContaining({ props: expect.objectContaining({ service: ['printer'] }) }),
      }),
    );
    const c = createClient({ addresses: [daemon.addr()] });
    try {
      expect(await c.listServices('(service=printer)')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('client-least-loaded follows the least-loaded worker', async () => {
    expect(await leastLoaded(daemon.addr())).toEqual(['tcp:10.0.0.2:80', 'tcp:10.0.0.1:80']);
  });

  it('client-membership reports online, gone and orphan transitions', async () => {
    const seen = await membership(daemon.addr());
    expect(seen.filter((s) => s.startsWith('alice'))).toEqual(['alice:online', 'alice:gone']);
    expect(seen.filter((s) => s.startsWith('bob'))).toEqual(['bob:online', 'bob:orphan', 'bob:gone']);
  });
});

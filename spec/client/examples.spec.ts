import { main as leastLoaded } from '../../examples/client-least-loaded';
import { main as membership } from '../../examples/client-membership';
import { main as publishDiscover } from '../../examples/client-publish-discover';
import type { RxpafServer } from '../../lib/server/create-server';
import { addressOf, startServer } from './helpers';

describe('client examples against a real server', () => {
  let server: RxpafServer;
  beforeEach(async () => {
    server = await startServer();
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await server.close();
  });

  it('client-publish-discover finds the printer', async () => {
    const m = await publishDiscover(addressOf(server));
    expect(m).toEqual(
      expect.objectContaining({ type: 'appeared', props: expect.objectContaining({ service: ['printer'] }) }),
    );
    expect(server.domains[0]!.snapshot().services.size).toBe(0);
  });

  it('client-least-loaded follows the least-loaded worker', async () => {
    expect(await leastLoaded(addressOf(server))).toEqual(['tcp:10.0.0.2:80', 'tcp:10.0.0.1:80']);
  });

  it('client-membership reports online, gone and orphan transitions', async () => {
    const seen = await membership(addressOf(server));
    expect(seen.filter((s) => s.startsWith('alice'))).toEqual(['alice:online', 'alice:gone']);
    expect(seen.filter((s) => s.startsWith('bob'))).toEqual(['bob:online', 'bob:orphan', 'bob:gone']);
  });
});

/**
 * Without the native addon (no prebuilt binary fits, none was compiled) only ux:, uxf: and utls: fail, with an
 * error that says what to install; tcp: (its server side through node:net) and tls: work. node-gyp-build looks in `$RXPAF_PREBUILD` instead of the
 * package root when it is set: an empty directory stands in for a machine where the addon is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { firstValueFrom } from 'rxjs';

import { PafError, PafTransportError } from '../../lib/errors';

describe('transports without the native addon', () => {
  const empty = mkdtempSync(join(tmpdir(), 'rxpaf-no-addon-'));
  const saved = process.env.RXPAF_PREBUILD;
  beforeAll(() => {
    process.env.RXPAF_PREBUILD = empty;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.RXPAF_PREBUILD;
    else process.env.RXPAF_PREBUILD = saved;
    rmSync(empty, { recursive: true, force: true });
  });

  it('ux: and uxf: fail with PafTransportError naming what to install', async () => {
    // a fresh module registry: the addon is loaded (and cached) by the first transport that needs it
    const { listen } = jest.requireActual<typeof import('../../lib/transport/listen')>('../../lib/transport/listen');
    for (const addr of [`ux:rxpaf-no-addon-${process.pid}`, `uxf:${join(empty, 's')}`]) {
      const err: unknown = await listen(addr).then(
        (l) => l.close().then(() => 'listened'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PafTransportError);
      expect(err).toBeInstanceOf(PafError);
      expect(err).toMatchObject({ code: 'PAF_TRANSPORT', errno: 'ENOENT' });
      expect((err as Error).message).toMatch(/native addon.*apt-get install g\+\+ make python3.*npm rebuild rxpaf/);
    }
  });

  it('tcp: still works, its server side through node:net', async () => {
    const { listen } = jest.requireActual<typeof import('../../lib/transport/listen')>('../../lib/transport/listen');
    const { connect } = jest.requireActual<typeof import('../../lib/transport/connect')>('../../lib/transport/connect');
    const l = await listen('tcp:127.0.0.1:0');
    const accepted = firstValueFrom(l.connections$);
    const c = await connect(l.address);
    const server = await accepted;
    expect(server.constructor.name).toBe('StreamConnection');
    const got = firstValueFrom(server.messages$);
    c.send('hello');
    c.flush();
    expect(Buffer.from(await got).toString()).toBe('hello');
    c.close();
    server.close();
    await l.close();
  });
});

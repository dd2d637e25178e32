import { join } from 'node:path';

import { firstValueFrom, toArray } from 'rxjs';

import { orphanLifetimes } from '../../examples/replay-orphans';

it('examples/replay-orphans: reports how long each orphan of a recorded log lived', async () => {
  const lines = await firstValueFrom(
    orphanLifetimes([join(__dirname, '..', 'fixtures', 'logs', 'orphan-expiry.ndjson')]).pipe(toArray()),
  );
  expect(lines).toEqual([
    'domain 0 service 100: expired after 5.000 s (orphaned at seq 7, ended at seq 8)',
    'domain 0 service 9223372036854775807: reclaimed after 8.000 s (orphaned at seq 7, ended at seq 11)',
  ]);
});

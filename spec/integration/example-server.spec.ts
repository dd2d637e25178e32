import { firstValueFrom, take, toArray } from 'rxjs';

import { changeLines, totals } from '../../examples/server-observe';
import { createServer } from 'rxpaf/server';
import { RawClient } from '../helpers/raw-client';

it('examples/server-observe: composes the change and connection observables and snapshots of a running server', async () => {
  const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  const lines = firstValueFrom(changeLines(server).pipe(take(2), toArray()));
  const counts = firstValueFrom(totals(server).pipe(take(2), toArray()));
  const c = await RawClient.open(server.domains[0]!.addresses[0]!);
  await c.hello(5);
  c.send(
    '{"ta-cmd":"publish","ta-id":1,"msg-type":"request","service-id":42,"generation":0,"service-props":{"name":["foo"]},"ttl":5}',
  );
  await c.next();
  c.send('{"ta-cmd":"unpublish","ta-id":2,"msg-type":"request","service-id":42}');
  await c.next();
  expect(await lines).toEqual(['added 42 name=foo', 'removed 42 name=foo']);
  expect(await counts).toEqual(['clients=0 services=0 subscriptions=0', 'clients=1 services=1 subscriptions=0']);
  c.close();
  await server.close();
});

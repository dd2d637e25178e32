// TypeScript consumer of the packed tarball (strict, skipLibCheck false; compiled with moduleResolution nodenext,
// node16 and bundler): typed imports from every entry point and real work against a real rxpafd.
import { filter, firstValueFrom, map, Observable } from 'rxjs';
import { createClient, toJson, type Match, type Service, type ServiceChange } from 'rxpaf';
import { createClient as createClient2 } from 'rxpaf/client';
import { escapeFilterValue, matchFilter, parseFilter, printFilter, type Filter } from 'rxpaf/filter';
import { readLines$, replay$, PafReplayError } from 'rxpaf/replay';
import { createServer, PafError, type RxpafServer, type ServerDomain } from 'rxpaf/server';

interface Env {
  readonly tcp: string;
  readonly ux: string;
  readonly log: string;
}
const env = JSON.parse(process.env.CONSUMER_ENV ?? '{}') as Env;

const describe = (m: Match): string =>
  // a discriminated union: after narrowing, `service` is there
  m.type === 'disappeared' ? `gone ${m.service.id}` : `${m.type} ${m.service.id} ${m.service.props.name?.[0] ?? ''}`;
const idOf = (c: ServiceChange): bigint => c.service.id;

const main = async (): Promise<void> => {
  if (createClient !== createClient2) throw new Error('two createClient functions');
  const f: Filter = parseFilter(`(name=${escapeFilterValue('ts*')})`);
  if (!matchFilter(f, { name: ['ts*'] }) || printFilter(f) !== '(name=ts\\*)') throw new Error('filter');
  try {
    parseFilter('(');
    throw new Error('parseFilter accepted (');
  } catch (e) {
    if (!(e instanceof PafError) || e.code !== 'PAF_INVALID_FILTER') throw e;
  }

  const client = createClient({ addresses: [env.tcp] });
  const all$: Observable<ReadonlyMap<bigint, unknown>> = client.services$('(name=ts-consumer)');
  const svc = await client.publish({ name: 'ts-consumer', port: 1 });
  await firstValueFrom(all$.pipe(filter((m) => m.has(svc.id))));
  await svc.modify({ name: 'ts-consumer', port: 2 });
  await svc.unpublish();
  await firstValueFrom(all$.pipe(filter((m) => !m.has(svc.id))));
  const ms: number = await client.ping();
  await client.close();
  console.log(`ok client ${typeof ms}`);

  const server: RxpafServer = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
  const domain: ServerDomain = server.domains[0]!;
  const first = firstValueFrom(domain.matches$('(name=ts-in-process)').pipe(map(describe)));
  const added = firstValueFrom(domain.changes$.pipe(map(idOf)));
  const c2 = createClient2({ addresses: [domain.addresses[0]!] });
  const p = await c2.publish({ name: 'ts-in-process' });
  if ((await added) !== p.id || (await first) !== `appeared ${p.id} ts-in-process`) throw new Error('server');
  const services: readonly Service[] = domain.snapshot().services;
  console.log(`ok server ${toJson(services.map((s) => s.props))}`);
  await c2.close();
  await server.close();

  let steps = 0;
  await new Promise<void>((resolve, reject) =>
    replay$(readLines$([env.log])).subscribe({ next: () => steps++, error: reject, complete: resolve }),
  );
  if (steps === 0) throw new Error('nothing replayed');
  if (!(new PafReplayError(1, 'x') instanceof PafError)) throw new Error('PafReplayError');
  console.log('ok replay');
  console.log('done');
};

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

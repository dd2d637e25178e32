/**
 * Pick the least-loaded instance of a service by composing operators over `services$`: every instance publishes
 * its load as a property; the consumer keeps the current best choice as an observable.
 *
 * Run: node dist/examples/client-least-loaded.js tcp:127.0.0.1:4711
 */
import { distinctUntilChanged, filter, firstValueFrom, map, type Observable } from 'rxjs';

import { createClient, type RxpafClient, type Service } from 'rxpaf/client';

const loadOf = (s: Service): bigint => {
  const v = s.props.load?.[0];
  return typeof v === 'bigint' ? v : 2n ** 62n;
};

/** The address of the least-loaded `worker` instance, whenever it changes. */
export const leastLoaded = (client: RxpafClient): Observable<string> =>
  client.services$('(&(service=worker)(load=*))').pipe(
    map((all) => [...all.values()].sort((a, b) => (loadOf(a) < loadOf(b) ? -1 : loadOf(a) > loadOf(b) ? 1 : 0))[0]),
    filter((best): best is Service => best !== undefined),
    map((best) => String(best.props.address?.[0])),
    distinctUntilChanged(),
  );

/** Three workers publish their load; the choice follows when the best one gets busy. Returns the choices seen. */
export const main = async (address: string): Promise<string[]> => {
  const workers = createClient({ addresses: [address] });
  const consumer = createClient({ addresses: [address] });
  try {
    const [a] = await Promise.all([
      workers.publish({ service: 'worker', address: 'tcp:10.0.0.1:80', load: 30 }),
      workers.publish({ service: 'worker', address: 'tcp:10.0.0.2:80', load: 10 }),
      workers.publish({ service: 'worker', address: 'tcp:10.0.0.3:80', load: 20 }),
    ]);
    const first = await firstValueFrom(leastLoaded(consumer).pipe(filter((x) => x === 'tcp:10.0.0.2:80')));
    console.log('least loaded:', first);
    await a.modify({ service: 'worker', address: 'tcp:10.0.0.1:80', load: 1 });
    const second = await firstValueFrom(leastLoaded(consumer).pipe(filter((x) => x === 'tcp:10.0.0.1:80')));
    console.log('least loaded now:', second);
    return [first, second];
  } finally {
    await Promise.all([workers.close(), consumer.close()]);
  }
};

if (require.main === module) void main(process.argv[2] ?? 'tcp:127.0.0.1:4711');

/**
 * Methods ending in `$` return cold Observables (issue 9, item 5; the naming rule itself is checked at the type
 * level in spec/package/types/public-model.ts): calling one does nothing — no server subscription, no file opened,
 * no input consumed — until something subscribes, and every subscription gets its own run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer, firstValueFrom, from, lastValueFrom, type Observable, toArray } from 'rxjs';
import { createClient, createServer, readLines$, replay$, type RxpafClient, type RxpafServer } from 'rxpaf';

const subscriptionsOn = (server: RxpafServer): number => server.domains[0]!.snapshot().subscriptions.length;

describe('$ methods are cold', () => {
  let server: RxpafServer;
  let client: RxpafClient;
  beforeEach(async () => {
    server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    client = createClient({ addresses: [server.domains[0]!.addresses[0]!] });
    await client.ping(); // connected
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('client matches$, services$, membership$: no server subscription until subscribed, none after', async () => {
    const observables: Array<Observable<unknown>> = [
      client.matches$('(a=1)'),
      client.services$('(b=2)'),
      client.membership$('(c=3)'),
    ];
    await client.ping(); // anything sent before this ping has reached the server
    expect(subscriptionsOn(server)).toBe(0);
    const subs = observables.map((o) => o.subscribe());
    // a ping answered after the subscribe requests means the server has them (one connection, in order)
    for (let i = 0; i < 50 && subscriptionsOn(server) < 3; i++) await client.ping();
    expect(subscriptionsOn(server)).toBe(3);
    subs.forEach((s) => s.unsubscribe());
    for (let i = 0; i < 50 && subscriptionsOn(server) > 0; i++) await client.ping();
    expect(subscriptionsOn(server)).toBe(0);
  });

  it('server matches$ and services$: a bad filter errors on subscribe, not on call', async () => {
    const d = server.domains[0]!;
    const calls: Array<() => Observable<unknown>> = [() => d.matches$('(bad'), () => d.services$('(bad')];
    for (const call of calls) {
      const o = call(); // does not throw
      await expect(firstValueFrom(o)).rejects.toMatchObject({ code: 'PAF_INVALID_FILTER' });
    }
  });
});

describe('replay$ and readLines$ are cold', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-cold-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('readLines$ looks at its files only when subscribed, afresh each time', async () => {
    const file = join(dir, 'later.ndjson');
    const lines$ = readLines$([file]); // the file does not exist yet: nothing happens
    writeFileSync(file, 'a\nb\n');
    expect(await lastValueFrom(lines$.pipe(toArray()))).toEqual(['a', 'b']);
    writeFileSync(file, 'c\n');
    expect(await lastValueFrom(lines$.pipe(toArray()))).toEqual(['c']);
  });

  it('replay$ subscribes to its input only when subscribed, once per subscription', async () => {
    let subscribed = 0;
    const input$ = defer(() => {
      subscribed++;
      return from([] as string[]);
    });
    const steps$ = replay$(input$);
    expect(subscribed).toBe(0);
    await lastValueFrom(steps$.pipe(toArray()));
    await lastValueFrom(steps$.pipe(toArray()));
    expect(subscribed).toBe(2);
  });
});

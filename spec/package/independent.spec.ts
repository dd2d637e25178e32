/**
 * Issue 10 item 6: every Observable the package exports is cold and independent per subscription. For each of them
 * two subscriptions run at the same time; one ends early, and the other still gets everything; a subscription made
 * later gets its own run from the start (the current state, not the first one's history).
 * The exported Observables: the client's matches$, services$, membership$ and connections$; a server domain's
 * changes$, matches$, services$ and connections$; readLines$ and replay$. (That calling one does nothing until a
 * subscription is spec/package/cold.spec.ts; replay$ interleaved over one Subject is spec/replay/replay-scale.spec.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, lastValueFrom, type Observable, take, toArray } from 'rxjs';
import { createClient, createServer, readLines$, replay$, type RxpafClient, type RxpafServer } from 'rxpaf';

/** The first `n` values of `o$` (one subscription). */
const first = <T>(o$: Observable<T>, n: number): Promise<T[]> => lastValueFrom(o$.pipe(take(n), toArray()));

describe('every exported Observable: two subscriptions are independent', () => {
  let server: RxpafServer;
  let watcher: RxpafClient;
  let publisher: RxpafClient;
  beforeEach(async () => {
    server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const addresses = [server.domains[0]!.addresses[0]!];
    watcher = createClient({ addresses });
    publisher = createClient({ addresses });
    await Promise.all([watcher.ping(), publisher.ping()]);
  });
  afterEach(async () => {
    await Promise.all([watcher.close(), publisher.close()]);
    await server.close();
  });

  /** Publish `name`, and wait until `o$`'s newest value satisfies `seen` (so the change has gone through). */
  const publishSeen = async <T>(name: string, o$: Observable<T>, seen: (v: T) => boolean): Promise<bigint> => {
    const done = firstValueFrom(o$.pipe(filter(seen)));
    const { id } = await publisher.publish({ name });
    await done;
    return id;
  };

  it('client matches$: one ending early leaves the other; a late one starts from the current set', async () => {
    const long = first(watcher.matches$('(name=*)'), 2);
    const short = first(watcher.matches$('(name=*)'), 1);
    const a = await publishSeen('a', watcher.matches$('(name=a)'), () => true);
    expect((await short).map((m) => m.service.id)).toEqual([a]);
    const b = await publisher.publish({ name: 'b' });
    expect((await long).map((m) => `${m.type} ${m.service.id}`)).toEqual([`appeared ${a}`, `appeared ${b.id}`]);
    const late = await first(watcher.matches$('(name=*)'), 2);
    expect(late.map((m) => m.service.id).sort()).toEqual([a, b.id].sort());
  });

  it('client services$ and membership$: the same', async () => {
    const setsLong = first(watcher.services$('(name=*)'), 3);
    const setsShort = first(watcher.services$('(name=*)'), 2);
    const memLong = first(watcher.membership$('(name=*)'), 3);
    const memShort = first(watcher.membership$('(name=*)'), 2);
    const a = await publishSeen('a', watcher.services$('(name=*)'), (m) => m.size === 1);
    await setsShort;
    await memShort;
    const b = await publishSeen('b', watcher.services$('(name=*)'), (m) => m.size === 2);
    expect((await setsLong).map((m) => [...m.keys()])).toEqual([[], [a], [a, b]]);
    expect((await memLong).map((m) => [...m.entries()])).toEqual([
      [],
      [[a, 'online']],
      [
        [a, 'online'],
        [b, 'online'],
      ],
    ]);
    // a late subscription (the others have ended, so the client subscribes on the server afresh) gets the set anew
    const late = await firstValueFrom(watcher.services$('(name=*)').pipe(filter((m) => m.size === 2)));
    expect([...late.keys()].sort()).toEqual([a, b].sort());
  });

  it('client connections$: each subscription gets the current state first; one ending leaves the other', async () => {
    const long = lastValueFrom(watcher.connections$.pipe(toArray()));
    expect((await first(watcher.connections$, 1)).map((s) => s.state)).toEqual(['connected']);
    await watcher.close();
    expect((await long).map((s) => s.state)).toEqual(['connected', 'disconnected']);
  });

  it('server changes$, matches$, services$ and connections$: the same', async () => {
    const d = server.domains[0]!;
    const changesLong = first(d.changes$, 2);
    const changesShort = first(d.changes$, 1);
    const matchesLong = first(d.matches$('(name=*)'), 2);
    const matchesShort = first(d.matches$('(name=*)'), 1);
    const setsLong = first(d.services$('(name=*)'), 3);
    const setsShort = first(d.services$('(name=*)'), 2);
    const connsLong = first(d.connections$, 2);
    const connsShort = first(d.connections$, 1);
    const a = await publishSeen('a', d.changes$, () => true);
    await Promise.all([changesShort, matchesShort, setsShort]);
    const b = await publishSeen('b', d.changes$, () => true);
    expect((await changesLong).map((c) => `${c.type} ${c.service.id}`)).toEqual([`added ${a}`, `added ${b}`]);
    expect((await matchesLong).map((m) => `${m.type} ${m.service.id}`)).toEqual([`appeared ${a}`, `appeared ${b}`]);
    expect((await setsLong).map((m) => [...m.keys()])).toEqual([[], [a], [a, b]]);
    expect((await first(d.matches$('(name=*)'), 2)).map((m) => m.service.id)).toEqual([a, b]);
    const third = createClient({ addresses: [d.addresses[0]!] });
    await third.ping();
    expect((await connsShort).map((e) => e.type)).toEqual(['accepted']);
    await third.close();
    expect((await connsLong).map((e) => e.type)).toEqual(['accepted', 'closed']);
  });
});

describe('readLines$ and replay$: two subscriptions at once', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rxpaf-independent-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('readLines$: each subscription reads the files itself; one ending early leaves the other', async () => {
    const file = join(dir, 'lines.ndjson');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const lines$ = readLines$([file]);
    const [all, few] = await Promise.all([
      lastValueFrom(lines$.pipe(toArray())),
      lastValueFrom(lines$.pipe(take(3), toArray())),
    ]);
    expect(all).toHaveLength(5000);
    expect(all[4999]).toBe('line 4999');
    expect(few).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('replay$: two runs at once over the same input, one ending early, the other unaffected', async () => {
    const input$ = readLines$([join(__dirname, '..', 'fixtures', 'logs', 'orphan-expiry.ndjson')]);
    const steps$ = replay$(input$);
    const alone = await lastValueFrom(steps$.pipe(toArray()));
    const [all, few] = await Promise.all([
      lastValueFrom(steps$.pipe(toArray())),
      lastValueFrom(steps$.pipe(take(3), toArray())),
    ]);
    expect(alone.length).toBeGreaterThan(10);
    expect(all).toEqual(alone);
    expect(few).toEqual(alone.slice(0, 3));
  });
});

/**
 * `services$` on both sides, as the README and the doc comments promise it: "the matching set, as a map by service
 * id", typed `ReadonlyMap<bigint, Service>`. The client's and the in-process server's emissions of one directory hold
 * the same entries, answer `get`/`has`/`size`/iteration alike, turn into the same JSON with `toJson`, hold plain
 * `Service` objects, and are snapshots: a map once emitted never changes.
 */
import { filter, firstValueFrom } from 'rxjs';
import { createClient, createServer, toJson, type Service } from 'rxpaf';

/** Plain data all the way down (what users and toJson rely on). */
const isPlain = (v: unknown): boolean => {
  if (v === null || ['string', 'bigint', 'number', 'boolean'].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every(isPlain);
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(v).every(isPlain);
};

/** What a ReadonlyMap answers, through the ReadonlyMap interface only, keyed by decimal id. */
const contents = (m: ReadonlyMap<bigint, Service>): Record<string, Service> => {
  const viaIteration = Object.fromEntries([...m].map(([k, v]) => [String(k), v]));
  const viaForEach: Record<string, Service> = {};
  m.forEach((v, k, self) => {
    expect(self).toBe(m);
    viaForEach[String(k)] = v;
  });
  expect(viaForEach).toEqual(viaIteration);
  expect(Object.fromEntries([...m.keys()].map((k) => [String(k), m.get(k)]))).toEqual(viaIteration);
  expect([...m.values()]).toEqual([...m.entries()].map(([, v]) => v));
  expect(m.size).toBe([...m.keys()].length);
  for (const k of m.keys()) expect([m.has(k), m.get(k)?.id]).toEqual([true, k]);
  expect([m.has(-1n), m.get(-1n)]).toEqual([false, undefined]);
  return viaIteration;
};

describe('services$: one ReadonlyMap contract on the client and the server', () => {
  it('same entries, same answers, same JSON, plain services, and every emitted map is a snapshot', async () => {
    const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });
    const domain = server.domains[0]!;
    const client = createClient({ addresses: [domain.addresses[0]!] });
    try {
      const a = await client.publish({ name: 'map', n: 1 });
      const b = await client.publish({ name: 'map', n: 2 }, { id: 2n ** 63n - 1n });
      const both = (m: ReadonlyMap<bigint, Service>): boolean => m.has(a.id) && m.has(b.id);
      const fromClient = await firstValueFrom(client.services$('(name=map)').pipe(filter(both)));
      const fromServer = await firstValueFrom(domain.services$('(name=map)').pipe(filter(both)));

      const c = contents(fromClient);
      expect(contents(fromServer)).toEqual(c);
      expect(Object.keys(c).sort()).toEqual([String(a.id), String(b.id)].sort());
      for (const s of Object.values(c)) expect(isPlain(s)).toBe(true);
      expect(JSON.parse(toJson(fromClient)) as unknown).toEqual(JSON.parse(toJson(fromServer)) as unknown);
      expect(toJson(fromClient)).toContain(`"${2n ** 63n - 1n}":{"id":${2n ** 63n - 1n},`); // digit for digit

      // snapshots: a change makes a new map; the ones already emitted keep what they held
      const before = [contents(fromClient), contents(fromServer)];
      // (a new client subscription first emits what it knows so far, possibly nothing: the protocol does not say
      // when a subscription's initial matches are complete; the server's first map is the complete set)
      const onlyB = (m: ReadonlyMap<bigint, Service>): boolean => !m.has(a.id) && m.has(b.id);
      const nextClient = firstValueFrom(client.services$('(name=map)').pipe(filter(onlyB)));
      const nextServer = firstValueFrom(domain.services$('(name=map)').pipe(filter(onlyB)));
      await a.unpublish();
      const [afterClient, afterServer] = await Promise.all([nextClient, nextServer]);
      expect([afterClient.size, afterServer.size]).toEqual([1, 1]);
      expect(contents(afterClient)).toEqual(contents(afterServer));
      expect([contents(fromClient), contents(fromServer)]).toEqual(before);
    } finally {
      await client.close();
      await server.close();
    }
  }, 30_000);
});

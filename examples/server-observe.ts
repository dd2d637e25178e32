/**
 * The server as a library: start a domain, compose its observables, close it.
 *
 * Run: `node dist/examples/server-observe.js` (after `npm run build`); it listens on tcp:127.0.0.1:0 and ux:rxpaf-example
 * until interrupted, printing every directory change and, at most once per second while something changed, the totals.
 */
import { defer, distinctUntilChanged, map, merge, type Observable, of, sampleTime } from 'rxjs';
import { createServer, type RxpafServer, type ServerDomain } from 'rxpaf/server';

/** One line per change: `added 42 name=foo`, `modified 42 name=foo (orphan)`, `removed 42 name=foo`. */
export const changeLines = (server: RxpafServer): Observable<string> =>
  server.domains[0]!.changes$.pipe(
    map((c) => {
      const orphan = c.type === 'modified' && c.service.orphanSince !== undefined ? ' (orphan)' : '';
      return `${c.type} ${c.service.id} name=${c.service.props.name?.join(',') ?? ''}${orphan}`;
    }),
  );

const totalsOf = (d: ServerDomain): string => {
  const { clients, services, subscriptions } = d.snapshot();
  return `clients=${clients.length} services=${services.length} subscriptions=${subscriptions.length}`;
};

/** Totals of the directory: now, then whenever a service or a connection changed and the totals with it. */
export const totals = (server: RxpafServer, period = 0): Observable<string> => {
  const d = server.domains[0]!;
  const events$ = merge(d.changes$, d.connections$);
  return defer(() => merge(of(0), period > 0 ? events$.pipe(sampleTime(period)) : events$)).pipe(
    map(() => totalsOf(d)),
    distinctUntilChanged(),
  );
};

export const main = async (sockets = ['tcp:127.0.0.1:0']): Promise<RxpafServer> => {
  const server = await createServer({ domains: [{ name: 'example', sockets: sockets.map((addr) => ({ addr })) }] });
  console.log(`listening on ${server.domains[0]!.addresses.join(' ')}`);
  changeLines(server).subscribe((l) => console.log(l));
  totals(server, 1000).subscribe((l) => console.log(l));
  return server;
};

if (require.main === module) {
  void main(['tcp:127.0.0.1:0', 'ux:rxpaf-example']).then((server) => {
    process.once('SIGINT', () => void server.close());
  });
}

/**
 * The server as a library: start a domain, compose its observables, close it.
 *
 * Run: `node dist/examples/server-observe.js` (after `npm run build`); it listens on tcp:127.0.0.1:0 and ux:rxpaf-example
 * until interrupted, printing every directory change and, once per second while something changed, the totals.
 */
import { distinctUntilChanged, map, type Observable, sampleTime } from 'rxjs';

import { createServer, type RxpafServer } from '../lib/server/create-server';

/** One line per change: `added 42 (name=foo)` etc. */
export const changeLines = (server: RxpafServer): Observable<string> =>
  server.domains[0]!.changes$.pipe(
    map((c) => {
      const s = c.kind === 'removed' ? c.before : c.after;
      const name = s.props.get('name')?.join(',') ?? '';
      const orphan = c.kind === 'modified' && c.after.orphanSince !== undefined ? ' (orphan)' : '';
      return `${c.kind} ${s.id} name=${name}${orphan}`;
    }),
  );

/** Totals of the directory, emitted when they change. */
export const totals = (server: RxpafServer): Observable<string> =>
  server.domains[0]!.state$.pipe(
    map((s) => `clients=${s.clients.size} services=${s.services.size} subscriptions=${s.subscriptions.size}`),
    distinctUntilChanged(),
  );

export const main = async (sockets = ['tcp:127.0.0.1:0']): Promise<RxpafServer> => {
  const server = await createServer({ domains: [{ name: 'example', sockets: sockets.map((addr) => ({ addr })) }] });
  console.log(`listening on ${server.domains[0]!.addresses.join(' ')}`);
  changeLines(server).subscribe((l) => console.log(l));
  totals(server)
    .pipe(sampleTime(1000))
    .subscribe((l) => console.log(l));
  return server;
};

if (require.main === module) {
  void main(['tcp:127.0.0.1:0', 'ux:rxpaf-example']).then((server) => {
    process.once('SIGINT', () => void server.close());
  });
}

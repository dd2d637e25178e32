/**
 * rxpaf/server: a Pathfinder server in this process, its directory as an observable.
 * Run: node dist/examples/library-server.js (serves tcp:127.0.0.1:4711 until interrupted).
 */
import { map } from 'rxjs';
import { createServer, type RxpafServer } from 'rxpaf/server';

export const main = async (address: string, say = console.log): Promise<RxpafServer> => {
  const server = await createServer({ domains: [{ name: 'demo', sockets: [{ addr: address }] }] });
  const [domain] = server.domains;
  say(`listening on ${domain!.addresses.join(' ')}`);
  domain!
    .services$() // every service, as a map by id; a new map after each change
    .pipe(map((all) => [...all.values()].map((s) => `${s.id}:${s.props.name?.join() ?? '?'}`)))
    .subscribe((names) => say(`directory: ${names.join(' ') || '(empty)'}`));
  return server;
};

if (require.main === module)
  void main('tcp:127.0.0.1:4711').then((server) => process.once('SIGINT', () => void server.close()));

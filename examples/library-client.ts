/**
 * rxpaf/client: publish a service, watch it, modify it, unpublish it.
 * Run: node dist/examples/library-client.js tcp:127.0.0.1:4711 (with rxpafd listening there).
 */
import { filter, firstValueFrom } from 'rxjs';
import { createClient } from 'rxpaf/client';

export const main = async (address: string, say = console.log): Promise<void> => {
  const client = createClient({ addresses: [address] });
  const printers$ = client.services$('(name=printer)'); // the matching set, as a map by service id

  const printer = await client.publish({ name: 'printer', port: 631 });
  await firstValueFrom(printers$.pipe(filter((all) => all.has(printer.id))));
  say(`published ${printer.id}`);

  await printer.modify({ name: 'printer', port: 632 });
  const now = await firstValueFrom(printers$.pipe(filter((all) => all.get(printer.id)?.props.port?.[0] === 632n)));
  say(`modified: port ${now.get(printer.id)?.props.port?.join()}`);

  await printer.unpublish();
  await firstValueFrom(printers$.pipe(filter((all) => !all.has(printer.id))));
  say('unpublished');
  await client.close();
};

if (require.main === module) void main(process.argv[2] ?? 'tcp:127.0.0.1:4711');

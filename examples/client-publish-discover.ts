/**
 * Publish a service and discover it, in a few lines.
 *
 * Run: node dist/examples/client-publish-discover.js tcp:127.0.0.1:4711
 */
import { filter, firstValueFrom } from 'rxjs';

import { createClient, type Match } from 'rxpaf/client';

/** Publish `printer`, wait until a subscription sees it, unpublish; returns the match that was seen. */
export const main = async (address: string): Promise<Match> => {
  const client = createClient({ addresses: [address] });
  try {
    const seen = firstValueFrom(client.matches$('(service=printer)').pipe(filter((m) => m.type === 'appeared')));
    const printer = await client.publish(
      { service: 'printer', address: 'tcp:10.0.0.7:631', color: 'yes' },
      { ttl: 10 },
    );
    const match = await seen;
    console.log(`found printer 0x${match.service.id.toString(16)} at ${match.service.props.address?.[0]}`);
    await printer.unpublish();
    return match;
  } finally {
    await client.close();
  }
};

if (require.main === module) void main(process.argv[2] ?? 'tcp:127.0.0.1:4711');

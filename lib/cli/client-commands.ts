/**
 * The commands of rxpafc (pafc's command set, §14.1). Each maps to one protocol transaction on the server the CLI
 * is attached to; results are printed as tables (or JSON lines) and errors are thrown.
 *
 * @example
 * await COMMANDS.get('services')!.run(['(name=foo)'], ctx);
 */
import {
  count,
  filterArg,
  idArg,
  publish,
  subscribe,
  track,
  transact,
  UsageError,
  version,
  type Command,
} from './client-command-ops';
import * as f from './client-format';

export { UsageError, type Command, type CommandContext } from './client-command-ops';

const entries: Array<[string, Command]> = [
  [
    'id',
    {
      usage: 'id',
      help: 'Print the client id.',
      run: (_a, ctx) => {
        ctx.out(
          ctx.json ? f.jsonLine({ clientId: ctx.client.clientId }) : `Client Id: ${f.hex(ctx.client.clientId)}\n`,
        );
      },
    },
  ],
  [
    'hello',
    {
      usage: 'hello',
      help: 'Send another hello.',
      run: async (a, ctx) => {
        count(a, 0, 0);
        const m = await transact(ctx, 'hello', {
          'client-id': ctx.client.clientId,
          'protocol-minimum-version': BigInt(ctx.versions.min),
          'protocol-maximum-version': BigInt(ctx.versions.max),
        });
        const v = Number(m['protocol-version']);
        ctx.out(ctx.json ? f.jsonLine({ protocolVersion: v }) : `Protocol version: ${v}\n`);
      },
    },
  ],
  [
    'version',
    {
      usage: 'version',
      help: 'Show supported, advertised and negotiated protocol versions.',
      run: (_a, ctx) => {
        const v = version(ctx);
        const { min, max } = ctx.versions;
        ctx.out(
          ctx.json
            ? f.jsonLine({ supported: [2, 3], advertised: [min, max], negotiated: v })
            : `Client supported protocol versions: 2 - 3\nAdvertised protocol versions: ${min} - ${max}\nNegotiated protocol version: ${v}\n`,
        );
      },
    },
  ],
  [
    'ping',
    {
      usage: 'ping',
      help: 'Ping the server and print the latency.',
      run: async (_a, ctx) => {
        const ms = await ctx.client.ping(0);
        ctx.out(ctx.json ? f.jsonLine({ latencyMs: ms }) : `Latency: ${ms.toFixed(3)} ms\n`);
      },
    },
  ],
  [
    'track',
    {
      usage: 'track [query|verbose|quiet]',
      help: 'Track status, send a track query, log server queries or not.',
      run: track,
    },
  ],
  [
    'clients',
    {
      usage: 'clients',
      help: 'List the clients of the domain.',
      run: async (_a, ctx) => {
        const list = await ctx.client.listClients(0);
        ctx.out(ctx.json ? list.map(f.jsonLine).join('') : f.clientsTable(list, version(ctx) === 3, ctx.now()));
      },
    },
  ],
  [
    'services',
    {
      usage: 'services [<filter>]',
      help: 'List services, optionally filtered.',
      run: async (a, ctx) => {
        const list = await ctx.client.listServices(filterArg(a), 0);
        ctx.out(ctx.json ? list.map(f.jsonLine).join('') : f.servicesTable(list, ctx.now()));
      },
    },
  ],
  [
    'subscriptions',
    {
      usage: 'subscriptions',
      help: 'List the subscriptions of the domain.',
      run: async (_a, ctx) => {
        const list = await ctx.client.listSubscriptions(0);
        ctx.out(ctx.json ? list.map(f.jsonLine).join('') : f.subscriptionsTable(list));
      },
    },
  ],
  [
    'publish',
    {
      usage: 'publish [<service-id>] <generation> <ttl> [<name> <value>]...',
      help: 'Publish a service (random id if none given; |123| is a string).',
      run: publish,
    },
  ],
  [
    'unpublish',
    {
      usage: 'unpublish <service-id>',
      help: 'Unpublish a service.',
      run: async (a, ctx) => {
        count(a, 1, 1);
        await transact(ctx, 'unpublish', { 'service-id': idArg(a[0], 'service') });
      },
    },
  ],
  [
    'subscribe',
    { usage: 'subscribe [<filter>]', help: 'Subscribe; matches are printed as they arrive.', run: subscribe },
  ],
  [
    'unsubscribe',
    {
      usage: 'unsubscribe <subscription-id>',
      help: 'Cancel a subscription.',
      run: async (a, ctx) => {
        count(a, 1, 1);
        await transact(ctx, 'unsubscribe', { 'subscription-id': idArg(a[0], 'subscription') });
      },
    },
  ],
  [
    'help',
    {
      usage: 'help [<command>]',
      help: 'Show help.',
      run: (a, ctx) => {
        const one = a[0] === undefined ? undefined : COMMANDS.get(a[0]);
        if (a[0] !== undefined && one === undefined) throw new UsageError(`unknown command ${JSON.stringify(a[0])}`);
        const list = one === undefined ? [...COMMANDS.values()] : [one];
        ctx.out(list.map((c) => `${c.usage.padEnd(62)} ${c.help}\n`).join(''));
      },
    },
  ],
  ['quit', { usage: 'quit', help: 'Leave (own services become orphans).', run: () => undefined }],
];

/** Every command by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map(entries);

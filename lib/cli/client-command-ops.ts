/**
 * The operations behind rxpafc's commands that need more than one line: argument parsing helpers, `publish`
 * (pafc's value rules), `subscribe` (streams matches) and `track`.
 *
 * @example
 * await publish(['0', '30', 'name', 'foo'], ctx); // prints "Service Id: 0x..."
 */
import { randomId63 } from '../client/publisher';
import type { Session } from '../client/session';
import { checkFilter, recordOf } from '../client/subscriber';
import type { PafClient } from '../client/client';
import type { PropValue } from '../filter/props';
import { makeProps } from '../codec/primitives';
import * as f from './client-format';

export interface CommandContext {
  readonly client: PafClient;
  readonly json: boolean;
  readonly interactive: boolean;
  readonly out: (s: string) => void;
  /** The protocol versions the CLI offers. */
  readonly versions: { readonly min: number; readonly max: number };
  /** Resolves on SIGINT (one-shot `subscribe` runs until then). */
  readonly interrupted: Promise<void>;
  trackVerbose: boolean;
}

export interface Command {
  readonly usage: string;
  readonly help: string;
  run(args: readonly string[], ctx: CommandContext): Promise<void>;
}

/** A usage error (wrong arguments). */
export class UsageError extends Error {}

export const session = (ctx: CommandContext): Promise<Session> => ctx.client.session(0);
export const filterArg = (args: readonly string[]): string | undefined =>
  args.length === 0 ? undefined : args.join(' ');
export const idArg = (s: string | undefined, what: string): bigint => {
  const v = f.parseHexId(s);
  if (v === undefined) throw new UsageError(`invalid ${what} id ${JSON.stringify(s ?? '')} (expected hex)`);
  return v;
};
export const count = (args: readonly string[], min: number, max: number): void => {
  if (args.length < min || args.length > max) throw new UsageError('wrong number of arguments');
};
/** pafc's value rule: decimal integers become integers, `|text|` forces a string. */
export const propValue = (s: string): PropValue =>
  /^-?[0-9]+$/.test(s) ? BigInt(s) : /^\|.*\|$/.test(s) && s.length >= 2 ? s.slice(1, -1) : s;

export const publish = async (args: readonly string[], ctx: CommandContext): Promise<void> => {
  const hasId = args.length % 2 === 1;
  if (args.length < 2) throw new UsageError('wrong number of arguments');
  const id = hasId ? idArg(args[0], 'service') : randomId63();
  const [gen, ttl, ...pairs] = hasId ? args.slice(1) : args;
  if (!/^[0-9]+$/.test(gen!) || !/^[0-9]+$/.test(ttl!)) throw new UsageError('generation and TTL must be integers');
  const entries: Array<[string, PropValue[]]> = [];
  for (let i = 0; i < pairs.length; i += 2) entries.push([pairs[i]!, [propValue(pairs[i + 1]!)]]);
  const fields = { 'service-id': id, generation: BigInt(gen!), 'service-props': makeProps(entries), ttl: BigInt(ttl!) };
  await (await session(ctx)).request('publish', fields);
  ctx.out(ctx.json ? f.jsonLine({ serviceId: id }) : `Service Id: ${f.hex(id)}\n`);
};

export const subscribe = async (args: readonly string[], ctx: CommandContext): Promise<void> => {
  const filter = filterArg(args);
  checkFilter(filter);
  const s = await session(ctx);
  const id = randomId63();
  const ended = new Promise<void>((resolve, reject) => {
    const accepted = new Promise<void>((acc) => {
      s.start('subscribe', filter === undefined ? { 'subscription-id': id } : { 'subscription-id': id, filter }, {
        accept: () => {
          ctx.out(ctx.json ? '' : `Subscription Id: ${f.hex(id)}\n`);
          acc();
        },
        notify: (m) => {
          const type = m['match-type'] as 'appeared' | 'modified' | 'disappeared';
          const match =
            type === 'disappeared' ? { type, serviceId: m['service-id'] as bigint } : { type, ...recordOf(m) };
          ctx.out(ctx.json ? f.jsonLine({ subscriptionId: id, ...match }) : f.matchLine(id, match));
        },
        complete: () => resolve(),
        fail: (reason) => reject(new Error(`subscribe failed: ${reason ?? 'unknown reason'}`)),
        lost: (err) => reject(err),
      });
    });
    if (ctx.interactive) void accepted.then(() => resolve());
  });
  if (ctx.interactive) return ended;
  await Promise.race([ended, ctx.interrupted]);
};

export const track = async (args: readonly string[], ctx: CommandContext): Promise<void> => {
  count(args, 0, 1);
  const s = await session(ctx);
  if (s.version !== 3) throw new Error('track requires protocol version 3');
  switch (args[0]) {
    case undefined:
      ctx.out('Track transaction active; server queries are answered automatically.\n');
      return;
    case 'query': {
      const ms = await s.trackQuery();
      ctx.out(ctx.json ? f.jsonLine({ latencyMs: ms }) : `Track query latency: ${ms.toFixed(3)} ms\n`);
      return;
    }
    case 'verbose':
    case 'quiet':
      ctx.trackVerbose = args[0] === 'verbose';
      return;
    default:
      throw new UsageError(`unknown track mode ${JSON.stringify(args[0])}`);
  }
};

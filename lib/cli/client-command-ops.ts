/**
 * The operations behind rxpafc's commands that need more than one line: argument helpers, `publish` (pafc's value
 * rules, one raw transaction), `subscribe` (streams one server's matches) and `track`.
 *
 * @example
 * await publish(['0', '30', 'name', 'foo'], ctx); // prints "Service Id: 0x..."
 */
import { lastValueFrom } from 'rxjs';

import { clientInternals, type RxpafClient } from '../client/client';
import { serviceOf } from '../client/core/wire';
import { filterKey } from '../client/views';
import { makeProps } from '../codec/primitives';
import { messageOf, PafClosedError } from '../errors';
import type { Command as WireCommand } from '../codec/messages';
import type { PropValue } from '../filter/props';
import type { Match, Service } from '../model';
import * as f from './client-format';

export interface CommandContext {
  readonly client: RxpafClient;
  readonly json: boolean;
  readonly interactive: boolean;
  readonly out: (s: string) => void;
  /** The protocol versions the CLI offers. */
  readonly versions: { readonly min: number; readonly max: number };
  /** Resolves on SIGINT (one-shot `subscribe` runs until then). */
  readonly interrupted: Promise<void>;
  /** Seconds since the epoch (for uptimes and orphan timeouts). */
  readonly now: () => number;
  /** A random 63-bit id. */
  readonly randomId: () => bigint;
  trackVerbose: boolean;
}

export interface Command {
  readonly usage: string;
  readonly help: string;
  /** Runs the command; one that does no I/O returns synchronously (the caller awaits either). */
  run(args: readonly string[], ctx: CommandContext): void | Promise<void>;
}

/** A usage error (wrong arguments). */
export class UsageError extends Error {}

/** One raw transaction on the CLI's server; resolves with its last message. */
export const transact = (ctx: CommandContext, cmd: WireCommand, fields: Readonly<Record<string, unknown>> = {}) =>
  lastValueFrom(clientInternals(ctx.client).transact(cmd, fields, 0));

/** The negotiated protocol version of the CLI's server. */
export const version = (ctx: CommandContext): number | undefined =>
  clientInternals(ctx.client).connectionStates()[0]?.protocolVersion;

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
  const id = hasId ? idArg(args[0], 'service') : ctx.randomId();
  const [gen, ttl, ...pairs] = hasId ? args.slice(1) : args;
  if (!/^[0-9]+$/.test(gen!) || !/^[0-9]+$/.test(ttl!)) throw new UsageError('generation and TTL must be integers');
  const entries: Array<[string, PropValue[]]> = [];
  for (let i = 0; i < pairs.length; i += 2) entries.push([pairs[i]!, [propValue(pairs[i + 1]!)]]);
  const fields = { 'service-id': id, generation: BigInt(gen!), 'service-props': makeProps(entries), ttl: BigInt(ttl!) };
  await transact(ctx, 'publish', fields);
  ctx.out(ctx.json ? f.jsonLine({ id }) : `Service Id: ${f.hex(id)}\n`);
};

export const subscribe = async (args: readonly string[], ctx: CommandContext): Promise<void> => {
  const filter = filterArg(args);
  filterKey(filter);
  const id = ctx.randomId();
  const fields = filter === undefined ? { 'subscription-id': id } : { 'subscription-id': id, filter };
  const known = new Map<bigint, Service>();
  let accepted!: () => void;
  let wasAccepted = false;
  const isAccepted = new Promise<void>((r) => (accepted = r));
  /**
   * An accepted subscription of an interactive session ends while the session goes on: say so, as lpafc does
   * ("Subscription <id> canceled."), after an unsubscribe and also when the link to the server is lost (the client
   * reconnects, the subscription does not come back). Not when rxpafc itself closes (quit, end of input).
   */
  const canceled = (error?: unknown): void => {
    if (!ctx.interactive || !wasAccepted || error instanceof PafClosedError) return;
    const reason = error === undefined ? undefined : messageOf(error).replace(/\.$/, '');
    if (ctx.json)
      ctx.out(
        f.jsonLine(
          reason === undefined
            ? { subscriptionId: id, canceled: true }
            : { subscriptionId: id, canceled: true, error: reason },
        ),
      );
    else ctx.out(`Subscription ${f.hex(id)} canceled${reason === undefined ? '' : ` (${reason})`}.\n`);
  };
  const ended = new Promise<void>((resolve, reject) => {
    const sub = clientInternals(ctx.client)
      .transact('subscribe', fields, 0)
      .subscribe({
        next: (m) => {
          if (m['msg-type'] === 'accept') {
            if (!ctx.json) ctx.out(`Subscription Id: ${f.hex(id)}\n`);
            wasAccepted = true;
            accepted();
            return;
          }
          if (m['msg-type'] !== 'notify') return;
          const sid = m['service-id'] as bigint;
          let match: Match;
          if (m['match-type'] === 'disappeared') {
            const last = known.get(sid) ?? { id: sid, generation: 0n, props: {}, ttl: 0, clientId: 0n };
            known.delete(sid);
            match = { type: 'disappeared', service: last };
          } else {
            const service = serviceOf(m);
            known.set(sid, service);
            match = { type: m['match-type'] as 'appeared' | 'modified', service };
          }
          ctx.out(ctx.json ? f.jsonLine({ subscriptionId: id, ...match }) : f.matchLine(id, match, ctx.now()));
        },
        error: (e: unknown) => {
          canceled(e);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
        complete: () => {
          canceled();
          resolve();
        },
      });
    void ctx.interrupted.then(() => sub.unsubscribe());
  });
  ended.catch(() => undefined);
  if (ctx.interactive) return Promise.race([isAccepted, ended]);
  await Promise.race([ended, ctx.interrupted]);
};

export const track = async (args: readonly string[], ctx: CommandContext): Promise<void> => {
  count(args, 0, 1);
  if (version(ctx) !== 3) throw new Error('track requires protocol version 3');
  switch (args[0]) {
    case undefined:
      ctx.out('Track transaction active; server queries are answered automatically.\n');
      return;
    case 'query': {
      const ms = await clientInternals(ctx.client).trackQuery(0);
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

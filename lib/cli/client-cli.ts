/**
 * rxpafc: pafc's interactive client (§14.1) and the same commands one-shot from the command line, as a function
 * of its arguments and I/O so that it can be tested in-process.
 *
 * @example
 * const code = await runClientCli(['tcp:127.0.0.1:4711', 'services', '(name=foo)'], { stdout, stderr });
 */
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { filter, firstValueFrom } from 'rxjs';

import { randomId63, readDomainFile } from '../client/adapter';
import { clientInternals, createClient, type RxpafClient } from '../client/client';
import { parseDomainFile } from '../client/core/domain-file';
import type { ServerSpec } from '../client/core/types';
import { domainFilePath, domainsDir } from '../client/domain-watcher';
import { parseAddress } from '../transport/address';
import { COMMANDS, UsageError, type CommandContext } from './client-commands';
import { parseHexId } from './client-format';

/** What the CLI reads from and writes to. */
export interface CliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** Interactive input (default: none, i.e. EOF at once). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly terminal?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves when the user interrupts (SIGINT). */
  readonly interrupted?: Promise<void>;
}

export const USAGE = `Usage:
  rxpafc [-i <client-id-hex>] [-p <version>] [--json] <addr> [<command> [<arg>...]]
  rxpafc [-i <client-id-hex>] [-p <version>] [-n <index>] [--json] <domain> [<command> [<arg>...]]
  rxpafc -a <domain>     list the domain's server addresses
  rxpafc -l              list domain files
  rxpafc -h              this help
Without a command, rxpafc reads commands interactively (type "help").
`;

interface Args {
  clientId?: bigint;
  version?: number;
  index: number;
  json: boolean;
  mode: 'run' | 'addresses' | 'list' | 'help';
  rest: string[];
}

const parseArgs = (argv: readonly string[]): Args => {
  const a: Args = { index: 0, json: false, mode: 'run', rest: [] };
  let i = 0;
  const value = (opt: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${opt} requires an argument`);
    return v;
  };
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const opt = argv[i]!;
    if (opt === '-i') {
      a.clientId = parseHexId(value(opt));
      if (a.clientId === undefined) throw new UsageError('invalid client id (expected hex)');
    } else if (opt === '-p') {
      a.version = Number(value(opt));
      if (a.version !== 2 && a.version !== 3) throw new UsageError('protocol version must be 2 or 3');
    } else if (opt === '-n') {
      a.index = Number(value(opt));
      if (!Number.isInteger(a.index) || a.index < 0) throw new UsageError('invalid server index');
    } else if (opt === '--json') a.json = true;
    else if (opt === '-a') a.mode = 'addresses';
    else if (opt === '-l') a.mode = 'list';
    else if (opt === '-h' || opt === '--help') a.mode = 'help';
    else if (opt === '--') {
      i++;
      break;
    } else throw new UsageError(`unknown option ${opt}`);
  }
  a.rest = argv.slice(i);
  return a;
};

/** The argument as a domain (file exists) or else an XCM address. */
const resolveTarget = async (target: string, index: number, dir: string): Promise<ServerSpec> => {
  const text = target.includes('/') ? undefined : await readDomainFile(domainFilePath(target, dir));
  if (text !== undefined) {
    const r = parseDomainFile(text);
    if (r.error !== undefined) throw new Error(`domain file ${domainFilePath(target, dir)}: ${r.error}`);
    const spec = r.servers[index];
    if (spec === undefined) throw new Error(`domain "${target}" has no server with index ${index}`);
    return spec;
  }
  const parsed = parseAddress(target);
  if (!parsed.ok) throw new UsageError(`"${target}" is neither a domain nor a valid address: ${parsed.error}`);
  return { address: target };
};

const runLine = async (line: string, ctx: CommandContext): Promise<boolean> => {
  const [name, ...args] = line.trim().split(/\s+/);
  if (name === undefined || name === '') return true;
  if (name === 'quit') return false;
  const cmd = COMMANDS.get(name);
  try {
    if (cmd === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)} (try "help")`);
    await cmd.run(args, ctx);
    ctx.out('OK.\n');
  } catch (e) {
    const msg = (e as Error).message;
    ctx.out(e instanceof UsageError && cmd ? `${msg}. Usage: ${cmd.usage}\n` : `${msg}\n`);
  }
  return true;
};

const loadHistory = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .reverse()
      .slice(0, 1000);
  } catch {
    return [];
  }
};

const interactive = async (ctx: CommandContext, io: CliIo): Promise<void> => {
  if (io.stdin === undefined) return;
  // readline history, kept across sessions in $RXPAFC_HISTORY or ~/.rxpafc_history (terminals only)
  const historyFile = io.terminal
    ? ((io.env ?? process.env).RXPAFC_HISTORY ?? join(homedir(), '.rxpafc_history'))
    : undefined;
  const rl = createInterface({
    input: io.stdin,
    output: io.terminal ? (io.stdout as NodeJS.WritableStream) : undefined,
    terminal: io.terminal ?? false,
    historySize: 1000,
    history: historyFile === undefined ? [] : loadHistory(historyFile),
  });
  if (historyFile !== undefined)
    rl.on('history', (h: string[]) => {
      writeFile(historyFile, [...h].reverse().join('\n') + '\n').catch(() => undefined);
    });
  rl.on('SIGINT', () => rl.close());
  const queries = clientInternals(ctx.client).serverQueries$.subscribe(
    () => ctx.trackVerbose && ctx.out('Received track query from server.\n'),
  );
  rl.setPrompt('> ');
  if (io.terminal) rl.prompt();
  for await (const line of rl) {
    if (!(await runLine(line, ctx))) break;
    if (io.terminal) rl.prompt();
  }
  rl.close();
  queries.unsubscribe();
};

const connectOnce = async (client: RxpafClient): Promise<void> => {
  const st = await firstValueFrom(
    client.connections$.pipe(filter((s) => s.state === 'connected' || (s.state === 'disconnected' && !!s.error))),
  );
  if (st.state !== 'connected') throw new Error(`Error communicating with Pathfinder server: ${st.error!.message}`);
};

/** Run rxpafc; resolves with the exit status. */
export const runClientCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const err = (s: string): unknown => io.stderr.write(s);
  let client: RxpafClient | undefined;
  try {
    const a = parseArgs(argv);
    const env = io.env ?? process.env;
    const dir = domainsDir(undefined, env);
    if (a.mode === 'help') return (io.stdout.write(USAGE), 0);
    if (a.mode === 'list') {
      const names = await readdir(dir).catch(() => [] as string[]);
      io.stdout.write(
        names
          .sort()
          .map((n) => n + '\n')
          .join(''),
      );
      return 0;
    }
    const [target, command, ...args] = a.rest;
    if (target === undefined) throw new UsageError('missing server address or domain');
    if (a.mode === 'addresses') {
      const text = await readDomainFile(domainFilePath(target, dir));
      const r = text === undefined ? { error: 'no such domain' } : parseDomainFile(text);
      if (r.error !== undefined) throw new Error(`domain "${target}": ${r.error}`);
      io.stdout.write(r.servers.map((s) => s.address + '\n').join(''));
      return 0;
    }
    const spec = await resolveTarget(target, a.index, dir);
    const versions = { min: a.version ?? spec.minProtocolVersion ?? 2, max: a.version ?? spec.maxProtocolVersion ?? 3 };
    client = createClient({
      addresses: [{ ...spec, minProtocolVersion: versions.min, maxProtocolVersion: versions.max }],
      clientId: a.clientId,
      requestTimeout: 5,
    });
    await connectOnce(client);
    const ctx: CommandContext = {
      client,
      json: a.json,
      interactive: command === undefined,
      out: (s) => io.stdout.write(s),
      versions,
      interrupted: io.interrupted ?? new Promise(() => undefined),
      now: () => Date.now() / 1000,
      randomId: randomId63,
      trackVerbose: false,
    };
    if (command === undefined) {
      await interactive(ctx, io);
      return 0;
    }
    const cmd = COMMANDS.get(command);
    if (cmd === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    await cmd.run(args, ctx);
    return 0;
  } catch (e) {
    err(e instanceof UsageError ? `rxpafc: ${e.message}\n${USAGE}` : `rxpafc: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await client?.close();
  }
};

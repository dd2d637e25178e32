/**
 * `rxpafd`: the drop-in pafd daemon (§11). Parses pafd's command line and YAML configuration, sets up logging,
 * binds every socket of every domain in configuration order, runs the `-r` hook, and serves until SIGTERM, SIGHUP
 * or SIGINT (orderly shutdown, uxf files unlinked, exit 0). Startup errors: one line on stderr, exit 1.
 * `rxpafd replay <file> ...` runs the event-log replay tool instead.
 */
import { readFileSync } from 'node:fs';

import type { DaemonConfig } from '../config/daemon-config';
import { createLogger, LogSetupError, type Logger } from '../log/logger';
import { createServer, type RxpafServer, type ServerOptions } from '../server/create-server';
import { unixDgramSend } from '../transport/native';
import { armWarmUp } from '../server/warm-up';
import { armBackgroundLoad } from '../server/inbound';
import { parseDaemonArgs } from './daemon-args';
import type { PreparedHttp, RunningHttp } from '../http';

/** Hooks into the daemon for the recorder (set by `record` support when configured). */
export interface DaemonExtensions {
  /** Build server options for the event recorder from the configuration, if recording is on (throws if it cannot). */
  readonly recorder?: (
    cfg: DaemonConfig,
  ) =>
    | Promise<{ options: Partial<ServerOptions>; close(): Promise<void> } | undefined>
    | { options: Partial<ServerOptions>; close(): Promise<void> }
    | undefined;
  /** `rxpafd replay ...`. */
  readonly replay?: (argv: readonly string[]) => Promise<number>;
  /**
   * Called once when startup is over: every socket is bound (before the `-r` hook and serving), or the replay tool is
   * about to run (`what` says which). bin/rxpafd.js re-enables V8's optimising compiler here (idle RSS,
   * bench/README.md) and, for the daemon, starts ./memory-settle.ts.
   */
  readonly startupDone?: (what: 'daemon' | 'replay') => void;
}

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Map the resolved configuration to server options. */
export const serverOptions = (cfg: DaemonConfig, logger: Logger): ServerOptions => ({
  domains: cfg.domains.map((d) => ({
    name: d.name,
    sockets: d.sockets.map((s) => ({ addr: s.addr, tls: s.tls })),
    settings: {
      protocolMin: d.protocolVersion.min,
      protocolMax: d.protocolVersion.max,
      idleMin: d.idle.min,
      idleMax: d.idle.max,
    },
  })),
  limits: cfg.resources,
  outputLimits: cfg.outputLimits,
  logger,
});

const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/** Load the HTTP side only when configured (prom-client and the rest stay out of an idle daemon's memory). */
const prepareHttp = async (cfg: DaemonConfig, logger: Logger): Promise<PreparedHttp> => {
  const { prepareHttp: prepare, rxpafVersion } = await import('../http');
  return prepare(cfg.http!, {
    domains: cfg.domains.map((d, i) => d.name ?? String(i)),
    version: rxpafVersion(),
    logger,
  });
};

/** Logging, sockets, hook, then serve until `stopRequested` resolves with the exit status. */
const serve = async (
  cfg: DaemonConfig,
  ext: DaemonExtensions,
  stopRequested: Promise<number>,
  requestStop: (status: number) => void,
): Promise<number> => {
  let logger: Logger;
  try {
    logger = createLogger(cfg.log, { syslogSend: (path, data) => unixDgramSend(path, data) });
  } catch (e) {
    process.stderr.write((e instanceof LogSetupError ? e.message : `Error configuring logging: ${oneLine(e)}`) + '\n');
    return 1;
  }
  let recorder: { options: Partial<ServerOptions>; close(): Promise<void> } | undefined;
  let server: RxpafServer;
  let http: PreparedHttp | undefined;
  try {
    recorder = await ext.recorder?.(cfg);
    http = cfg.http === undefined ? undefined : await prepareHttp(cfg, logger);
    // Serving starts after the hook (§11.7: pafd calls it before its event loop runs).
    server = await createServer({
      ...serverOptions(cfg, logger),
      ...recorder?.options,
      deferStart: true,
      observer: http?.observer,
      onDomainFailure: (_domain, e) => {
        // logged as critical by the domain; one line on stderr too unless the console sink already wrote it
        if (!cfg.log.console) process.stderr.write(`rxpafd: ${oneLine(e)}\n`); // `domain <name> failed: <reason>`
        requestStop(1);
      },
    });
  } catch (e) {
    process.stderr.write(`rxpafd: ${oneLine(e)}\n`);
    http?.close();
    await recorder?.close();
    await logger.close();
    return 1;
  }
  // once the daemon holds a service: one small disconnect and expiry on a scratch state, so that the first real one
  // does not run cold code (lib/server/warm-up.ts; RXPAF_WARM_UP=0 leaves it out, for comparisons)
  if (process.env.RXPAF_WARM_UP !== '0') armWarmUp();
  // the codec's general path (io-ts), not loaded by an idle daemon: in the background from the first message on
  // (lib/server/inbound.ts)
  const stopLoading = armBackgroundLoad();
  ext.startupDone?.('daemon');
  // Readiness (/readyz): every socket is bound now; serving starts after the hook and stops at shutdown.
  let phase: 'starting' | 'serving' | 'shutting down' = 'starting';
  let httpRunning: RunningHttp | undefined;
  if (http !== undefined) {
    try {
      httpRunning = await http.start(server, () => (phase === 'serving' ? undefined : phase));
      logger.info('core', 'http listening', { url: httpRunning.url });
    } catch (e) {
      process.stderr.write(`rxpafd: ${oneLine(e)}\n`);
      stopLoading();
      await server.close();
      await recorder?.close();
      await logger.close();
      return 1;
    }
  }
  for (const d of server.domains)
    logger.info('core', 'listening', { domain: d.name ?? String(d.index), addresses: d.addresses.join(' ') });
  const shutdown = async (status: number): Promise<number> => {
    phase = 'shutting down';
    stopLoading();
    await httpRunning?.close();
    await server.close();
    await recorder?.close();
    await logger.close();
    return status;
  };
  if (cfg.hook !== undefined) {
    // A signal while the hook runs stops the daemon at once (pafd would die of it); the hook is not waited for.
    const stopped = stopRequested.then((status) => ({ status }));
    try {
      // the hook runner (child_process, module) is loaded only when a hook is configured
      const { runHook } = await import('../server/hook');
      const outcome = await Promise.race([runHook(cfg.hook, server.domains), stopped]);
      if (outcome !== undefined) return shutdown(outcome.status);
    } catch (e) {
      logger.error('internal', `hook failed: ${oneLine(e)}`);
      // One line on stderr: the record above already is one when the console sink is on.
      if (!cfg.log.console) process.stderr.write(`rxpafd: ${oneLine(e)}\n`);
      return shutdown(1);
    }
  }
  server.start();
  phase = 'serving';
  const onException = (e: unknown): void => {
    logger.critical('internal', 'Terminating due to exception.', { error: oneLine(e) });
    requestStop(1);
  };
  process.once('uncaughtException', onException);
  const status = await stopRequested;
  process.removeListener('uncaughtException', onException);
  logger.info('core', 'shutting down');
  return shutdown(status);
};

/** Run the daemon; resolves with the process exit status once it has stopped. */
export const runDaemon = async (argv: readonly string[], ext: DaemonExtensions = {}): Promise<number> => {
  if (argv[0] === 'replay' && ext.replay !== undefined) {
    ext.startupDone?.('replay');
    return ext.replay(argv.slice(1));
  }
  const args = parseDaemonArgs(argv, {
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    },
    progName: 'rxpafd',
  });
  if (args.kind === 'version' || args.kind === 'help') {
    process.stdout.write(args.text + '\n');
    return 0;
  }
  if (args.kind === 'error') {
    process.stderr.write(args.message + '\n');
    return 1;
  }
  const cfg = args.config;
  // From here on SIGTERM/SIGHUP/SIGINT request an orderly shutdown (§11.5: uxf files unlinked, exit 0), also
  // during startup: right after the sockets are bound, or at once while the hook runs.
  let requestStop: (status: number) => void = () => undefined;
  const stopRequested = new Promise<number>((resolve) => (requestStop = resolve));
  const onSignal = (): void => requestStop(0);
  for (const sig of SIGNALS) process.on(sig, onSignal);
  try {
    return await serve(cfg, ext, stopRequested, (status) => requestStop(status));
  } finally {
    for (const sig of SIGNALS) process.removeListener(sig, onSignal);
  }
};

/** Entry point used by bin/rxpafd.js. */
export const main = (ext: DaemonExtensions = {}): void => {
  runDaemon(process.argv.slice(2), ext).then(
    (status) => process.exit(status),
    (e: unknown) => {
      process.stderr.write(`rxpafd: ${oneLine(e)}\n`);
      process.exit(1);
    },
  );
};

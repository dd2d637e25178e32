/**
 * Entry point of the `rxpafc` binary (bin/rxpafc.js): runs {@link runClientCli} on the process's arguments and I/O
 * and exits with its status. SIGINT ends a streaming `subscribe` with status 0.
 *
 * @example
 * // rxpafc tcp:127.0.0.1:4711 services '(name=foo)'
 */
import { runClientCli } from './client-cli';

/** Run rxpafc as a process. */
export const main = async (argv: readonly string[] = process.argv.slice(2)): Promise<never> => {
  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  const code = await runClientCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    env: process.env,
    interrupted,
  });
  process.exit(code);
};

if (require.main === module) void main();

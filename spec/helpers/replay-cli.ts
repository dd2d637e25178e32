/** `rxpaf-replay` run in-process (runReplayCli) with its output collected: exit status, stdout and stderr. */
import { runReplayCli } from '../../lib/cli/replay-main';

export interface ReplayCliResult {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

export const replayCli = async (...argv: string[]): Promise<ReplayCliResult> => {
  let out = '';
  let err = '';
  const status = await runReplayCli(argv, {
    stdout: { write: (x: string) => (out += x) },
    stderr: { write: (x: string) => (err += x), isTTY: false },
  });
  return { status, out, err };
};

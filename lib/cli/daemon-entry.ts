/**
 * The rxpafd binary: the daemon with its extensions — event recording (`--record <file>`, config key `record`)
 * and the replay tool (`rxpafd replay <file> ...`, the same as `rxpaf-replay`).
 */
import { createRecorder } from '../replay/record';
import { main as daemonMain } from './daemon-main';
import { runReplayCli } from './replay-main';

export const main = (): void =>
  daemonMain({
    replay: (argv) => runReplayCli(argv),
    recorder: (cfg) => {
      if (cfg.record === undefined) return undefined;
      const rec = createRecorder({
        file: cfg.record.file,
        maxBytes: cfg.record.maxBytes,
        outbound: cfg.record.outbound,
        ...(cfg.record.snapshotEvery !== undefined ? { snapshotEvery: cfg.record.snapshotEvery } : {}),
        ...(cfg.record.snapshotSeconds !== undefined ? { snapshotSeconds: cfg.record.snapshotSeconds } : {}),
        onError: (e) => process.stderr.write(`rxpafd: event recording stopped: ${String(e)}\n`),
      });
      return {
        options: {
          onStart: rec.header,
          onEvents: rec.events,
          onOutbound: cfg.record.outbound ? rec.outbound : undefined,
        },
        close: () => rec.close(),
      };
    },
  });

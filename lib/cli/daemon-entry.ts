/**
 * The rxpafd binary: the daemon with its extensions — event recording (`--record <file>`, config key `record`)
 * and the replay tool (`rxpafd replay <file> ...`, the same as `rxpaf-replay`).
 */
import { main as daemonMain, type DaemonExtensions } from './daemon-main';

/** @param startupDone see {@link DaemonExtensions.startupDone} (bin/rxpafd.js: V8 optimises again from there on) */
export const main = (startupDone?: DaemonExtensions['startupDone']): void =>
  daemonMain({
    ...(startupDone !== undefined ? { startupDone } : {}),
    // loaded only when used: an idle daemon without recording does not carry the replay tool (idle RSS, issue 12)
    replay: async (argv) => {
      const { runReplayCli, tuneReplayHeap } = await import('./replay-main');
      tuneReplayHeap();
      return runReplayCli(argv);
    },
    recorder: async (cfg) => {
      if (cfg.record === undefined) return undefined;
      const { createRecorder } = await import('../replay/record');
      const rec = createRecorder({
        file: cfg.record.file,
        maxBytes: cfg.record.maxBytes,
        outbound: cfg.record.outbound,
        ...(cfg.record.snapshotEvery !== undefined ? { snapshotEvery: cfg.record.snapshotEvery } : {}),
        ...(cfg.record.snapshotSeconds !== undefined ? { snapshotSeconds: cfg.record.snapshotSeconds } : {}),
        ...(cfg.record.compress === true ? { compress: true } : {}),
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

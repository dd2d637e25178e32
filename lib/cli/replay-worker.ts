/**
 * A worker thread of `rxpaf-replay --jobs N` (./replay-main.ts `stretchesAtOnce`): the summary or the verification
 * of one stretch of the log, sent back as plain data, with the bytes read so far as it goes.
 */
import { parentPort, workerData } from 'node:worker_threads';

import type { ReplayArgs } from './replay-args';
import type { Stretch } from '../replay/replay-parallel';
import { summaryStretch, verifyStretch } from './replay-main';

const { args, stretch } = workerData as { args: ReplayArgs; stretch: Stretch };
const run = args.mode.kind === 'verify' ? verifyStretch : summaryStretch;
void run(args, stretch, (done) => parentPort!.postMessage({ kind: 'progress', done })).then((result) =>
  parentPort!.postMessage({ kind: 'done', result }),
);

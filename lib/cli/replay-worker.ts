/**
 * A worker thread of `rxpaf-replay --jobs N` (./replay-main.ts `parallelSummary`): the summary of one stretch of the
 * log, sent back as plain data, with the bytes read so far as it goes.
 */
import { parentPort, workerData } from 'node:worker_threads';

import type { ReplayArgs } from './replay-args';
import type { Stretch } from '../replay/replay-parallel';
import { summaryStretch } from './replay-main';

const { args, stretch } = workerData as { args: ReplayArgs; stretch: Stretch };
void summaryStretch(args, stretch, (done) => parentPort!.postMessage({ kind: 'progress', done })).then((result) =>
  parentPort!.postMessage({ kind: 'done', result }),
);

#!/usr/bin/env node
'use strict';
// rxpaf-replay: re-run an event log recorded with `rxpafd --record <file>` (see lib/cli/replay-main.ts).
const { runReplayCli, tuneReplayHeap } = require('../dist/lib/cli/replay-main.js');

tuneReplayHeap();

runReplayCli(process.argv.slice(2), process).then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`rxpaf-replay: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 70;
  },
);

#!/usr/bin/env node
'use strict';
/*
 * Idle RSS (issue 12; bench/README.md, "Idle RSS"): while the daemon loads its modules and binds its sockets, V8 runs
 * them unoptimised. Loading ~150 modules makes Node's module resolver hot enough for TurboFan, and the first
 * optimisation pages in ~4 MB of compiler code and zone memory, for functions that do not run again once the daemon
 * is up. Full optimisation is back as soon as startup is over (sockets bound, or the replay tool about to run), so the
 * protocol's hot paths are optimised as before. Left alone when the optimisation tier is set on node's command line.
 */
const v8 = require('node:v8');
const own = !process.execArgv.some((a) => /^--(max-opt|turbofan|opt|no-turbofan|no-opt|jitless)\b/.test(a));
if (own) v8.setFlagsFromString('--no-turbofan');
require('../dist/lib/cli/daemon-entry.js').main(own ? () => v8.setFlagsFromString('--turbofan') : undefined);

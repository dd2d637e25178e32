#!/usr/bin/env node
'use strict';
/*
 * Idle RSS (issue 12; bench/README.md, "Idle RSS"): while the daemon loads its modules and binds its sockets, V8 runs
 * that code in its interpreter only. Loading ~150 modules makes Node's module resolver hot enough for TurboFan, and
 * the first optimisation pages in ~4 MB of compiler code and zone memory (Sparkplug's baseline code ~0.2 MB more),
 * for functions that do not run again once the daemon is up. Both compilers are back on as soon as startup is over
 * (sockets bound, or the replay tool about to run), so the protocol's hot paths are compiled as before (CPU per
 * operation unchanged). Left alone when a compiler flag is given on node's command line or in NODE_OPTIONS.
 */
const v8 = require('node:v8');
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const own = !given.some((a) => /^--(no-)?(max-opt|turbofan|opt|sparkplug|jitless)\b/.test(a));
if (own) v8.setFlagsFromString('--no-turbofan --no-sparkplug');
require('../dist/lib/cli/daemon-entry.js').main(own ? () => v8.setFlagsFromString('--turbofan --sparkplug') : undefined);

#!/usr/bin/env node
'use strict';
require('../dist/lib/cli/daemon-entry.js').main();

#!/usr/bin/env node
'use strict';
require('../dist/lib/cli/client-main.js').main();

#!/usr/bin/env node
'use strict';
/**
 * `npm install` step of rxpaf's native addon (native/seqpacket.c, needed only by the ux:, uxf: and utls: transports
 * and by syslog logging): use the prebuilt binary in prebuilds/<platform>-<arch>/ when one loads here, otherwise
 * compile from source with node-gyp. When neither works (no prebuilt binary fits, no C compiler) the install still
 * succeeds: tcp: and tls: need no addon, and the other transports fail with an error saying what to install.
 * `npm_config_build_from_source=true` (`npm install --build-from-source`) always compiles; `=false` never does.
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const fromSource = process.env.npm_config_build_from_source;
const loads = () => {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
};
const warn = (why) =>
  process.stderr.write(
    `rxpaf: native addon not available (${why}); tcp: and tls: work, ux:/uxf:/utls: will not. ` +
      'To build it: install a C compiler, make and python3 (e.g. apt-get install g++ make python3), ' +
      'then run `npm rebuild rxpaf`.\n',
  );

if (fromSource !== 'true' && loads()) process.exit(0);
if (fromSource === 'false') {
  warn(`no prebuilt binary for ${process.platform}-${process.arch}, and building from source is disabled`);
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0 || !loads()) warn(r.error ? `${cmd}: ${r.error.message}` : `node-gyp rebuild failed (status ${r.status})`);

#!/usr/bin/env node
'use strict';
/**
 * What `npm pack` would put in the tarball: prints the packed size, unpacked size and file count, and fails (exit 1)
 * when something a consumer does not run slipped in (specs, benchmarks, fixtures, configs, sources, source maps,
 * build leftovers) or when something the package needs is missing (an exports/bin target, the addon source, the
 * linux-x64 prebuilt binary unless --no-prebuild). Usage: `node scripts/pack-check.js [--no-prebuild]` after a build
 * (`npm run pack:check` builds first).
 */
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');

/** Paths a consumer never needs; any match fails the check. */
const FORBIDDEN = [
  [/^spec\//, 'specs'],
  [/^bench\//, 'benchmarks'],
  [/(^|\/)fixtures?\//, 'fixtures'],
  [/^examples\//, 'example sources'],
  [/^dist\/(spec|bench|examples)\//, 'compiled specs, benchmarks or examples'],
  [/^\.|\/\./, 'dot files (.ci, .github, .eslintrc, ...)'],
  [/(^|\/)(tsconfig[^/]*\.json|jest\.config\.[cm]?js|eslint\.config\.[cm]?js|typedoc\.json|\.prettierrc.*)$/, 'configs'],
  [/^scripts\//, 'build scripts'],
  [/\.map$/, 'source maps'],
  [/(?<!\.d)\.[cm]?ts$/, 'TypeScript sources'],
  [/^build\//, 'node-gyp build directory'],
  [/^lib\/(?!http\/ui\/)/, 'TypeScript sources'], // lib/http/ui/: the dashboard's static files, served as they are
  [/^docs\//, 'generated docs'],
  [/\.(ndjson|log|tgz)$/, 'logs or tarballs'],
];

/** Problems of a tarball listing (paths relative to the package root); empty when the contents are right. */
const checkPack = (paths, pkg, { prebuild = true } = {}) => {
  const problems = [];
  const have = new Set(paths);
  for (const p of paths)
    for (const [re, what] of FORBIDDEN) if (re.test(p)) problems.push(`${p}: ${what} do not belong in the package`);
  const targets = [];
  const walk = (v) => {
    if (typeof v === 'string') targets.push(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  targets.push(pkg.main.replace(/^\.\//, ''), pkg.types.replace(/^\.\//, ''), 'native/seqpacket.c', 'binding.gyp');
  targets.push('README.md', 'LICENSE');
  targets.push(...['index.html', 'app.js', 'app.css', 'favicon.svg'].map((f) => `lib/http/ui/${f}`));
  if (prebuild && !paths.some((p) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(p)))
    problems.push('prebuilds/linux-x64/*.node: the prebuilt addon is missing (npm pack builds it)');
  for (const t of targets) if (!have.has(t)) problems.push(`${t}: missing`);
  return problems;
};

const main = () => {
  const prebuild = !process.argv.includes('--no-prebuild');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [info] = JSON.parse(out);
  const paths = info.files.map((f) => f.path);
  const pkg = require(join(root, 'package.json'));
  console.log(
    `${info.filename}: ${(info.size / 1024).toFixed(1)} KiB packed, ${(info.unpackedSize / 1024).toFixed(1)} KiB ` +
      `unpacked, ${info.entryCount} files`,
  );
  const problems = checkPack(paths, pkg, { prebuild });
  for (const p of problems) console.error(`pack-check: ${p}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
};

module.exports = { checkPack };
if (require.main === module) main();

/**
 * rxjs 7's `rxjs/internal/*` modules, loaded by file name (issue 12, idle RSS; bench/README.md, "lean16").
 *
 * rxjs declares `exports` in its package.json, and Node resolves any bare specifier of such a package (`rxjs`,
 * `rxjs/internal/Observable`) with its ESM resolver: the first one loads 4 more of Node's own modules and the URL
 * machinery they use (0.34 MB of an idle daemon's RSS, for one package's path mapping). So the daemon's shell finds
 * rxjs where `require` would (the calling module's `node_modules` directories, nearest first), applies the mapping
 * rxjs's package.json gives `./internal/*` under the `node` (or `require`) condition, and requires the file itself:
 * the very file, so the very module instance and classes, that `rxjs` and `rxjs/internal/*` give everyone else.
 * Where that does not work (no such directory, an `exports` entry of another shape) it requires the specifier as is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file of `rxjs/internal/<path>` for a package at `root` with this package.json, or undefined. */
export const internalFile = (root: string, pkg: unknown, path: string): string | undefined => {
  const exports = (pkg as { readonly exports?: Record<string, unknown> } | null)?.exports;
  const entry = exports?.['./internal/*'];
  const target = typeof entry === 'string' ? entry : (entry as Record<string, unknown> | undefined)?.node;
  const pattern = typeof target === 'string' ? target : (entry as Record<string, unknown> | undefined)?.require;
  if (typeof pattern !== 'string' || !pattern.startsWith('./') || pattern.split('*').length !== 2) return undefined;
  return join(root, pattern.replace('*', path));
};

/** Where rxjs is, seen from this module, and its package.json; undefined when not found that way. */
const findRxjs = (): { readonly root: string; readonly pkg: unknown } | undefined => {
  try {
    for (const dir of module.paths) {
      const root = join(dir, 'rxjs');
      const manifest = join(root, 'package.json');
      if (existsSync(manifest)) return { root, pkg: JSON.parse(readFileSync(manifest, 'utf8')) };
    }
  } catch {
    // an unreadable package.json: Node's own resolution
  }
  return undefined;
};

let rxjs: { readonly root: string; readonly pkg: unknown } | undefined | null = null;

/** `require('rxjs/internal/' + path)`, without Node's ESM resolver when the file can be found as described above. */
export const rxjsInternal = <M>(path: string): M => {
  if (rxjs === null) rxjs = findRxjs();
  const file = rxjs && internalFile(rxjs.root, rxjs.pkg, path);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file !== undefined && existsSync(file) ? file : `rxjs/internal/${path}`) as M;
};

/**
 * rxpaf's own version: the `version` of the package.json of the package this file belongs to (found upwards from
 * here, so it is the same from lib/ in the repository and from dist/lib/ in an installed package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const find = (): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'rxpaf' && typeof pkg.version === 'string') return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
};

let cached: string | undefined;

/** The rxpaf version, e.g. `0.1.0` (`unknown` if no package.json of rxpaf is found above this file). */
export const rxpafVersion = (): string => (cached ??= find());

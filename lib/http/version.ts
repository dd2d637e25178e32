/** rxpaf's own version (package.json), found from this file whether it runs from lib/ or dist/lib/. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const rxpafVersion = (): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rxpaf' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: keep walking up
    }
  }
  return 'unknown';
};

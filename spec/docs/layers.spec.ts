/**
 * Issue 10 item 3: the layer rules of .dependency-cruiser.js (run by `npm run lint` as `depcruise lib`) fail on a
 * violation. The repository's own configuration is run, as `npm run lint:deps` runs it, over small fixture trees:
 * one that breaks each kind of rule, and one that only uses allowed imports.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

jest.setTimeout(120000);

const ROOT = join(__dirname, '..', '..');

/** Run the repository's dependency-cruiser configuration over `files` (path -> source) laid out as a repository. */
const cruise = (files: Readonly<Record<string, string>>): { status: number | null; out: string } => {
  const root = mkdtempSync(join(tmpdir(), 'rxpaf-layers-'));
  try {
    const write = (file: string, text: string): void => {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    write('package.json', JSON.stringify({ name: 'fixture', peerDependencies: { rxjs: '^7.8.0' } }));
    write(
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true } }),
    );
    for (const [file, text] of Object.entries(files)) write(file, text);
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
        '--config',
        join(ROOT, '.dependency-cruiser.js'),
        'lib',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};

/** The `error <rule>: <from> → <to>` lines of a report (a cycle: its first module; rxjs: the package name). */
const violations = (out: string): string[] =>
  [...out.matchAll(/^\s*error (\S+): (\S+) → (\S*)/gm)]
    .map((m) => `${m[1]} ${m[2]} -> ${m[3]!.includes('node_modules/rxjs/') ? 'rxjs' : m[3]}`)
    .sort();

describe('the dependency rules (.dependency-cruiser.js)', () => {
  it('pass a tree that imports only downwards', () => {
    const r = cruise({
      'lib/errors.ts': 'export class PafError extends Error {}\n',
      'lib/filter/f.ts': "import { PafError } from '../errors';\nexport const f = PafError;\n",
      'lib/codec/c.ts': "import { f } from '../filter/f';\nexport const c = f;\n",
      'lib/util/heap.ts': 'export const heapEmpty = (): null => null;\n',
      'lib/state/s.ts':
        "import { c } from '../codec/c';\nimport { heapEmpty } from '../util/heap';\nexport const s = [c, heapEmpty];\n",
      'lib/client/core/k.ts': "import { heapEmpty } from '../../util/heap';\nexport const k = heapEmpty;\n",
      'lib/protocol/p.ts': "import { s } from '../state/s';\nexport const p = s;\n",
      'lib/server/x.ts': "import { of } from 'rxjs';\nimport { p } from '../protocol/p';\nexport const x = of(p);\n",
      'lib/cli/m.ts': "import { x } from '../server/x';\nexport const m = x;\n",
    });
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  it('fail on an upward import (a state file importing the server, too), a folder cycle, I/O or rxjs in a pure core, and an unresolvable import', () => {
    const r = cruise({
      'lib/errors.ts': 'export class PafError extends Error {}\n',
      // the cycle issue 10 found: state importing protocol while protocol imports state
      'lib/state/s.ts': "import { p } from '../protocol/p';\nexport const s = 1;\nexport const t = p;\n",
      'lib/protocol/p.ts': "import { s } from '../state/s';\nexport const p = s;\n",
      'lib/codec/c.ts':
        "import { readFileSync } from 'node:fs';\nimport { of } from 'rxjs';\nexport const c = [readFileSync, of];\n",
      'lib/server/x.ts': "import { m } from '../cli/m';\nexport const x = m;\n",
      'lib/cli/m.ts': 'export const m = 1;\n',
      'lib/transport/t.ts': "import { gone } from '../nowhere';\nexport const t = gone;\n",
      // a state file importing the server shell; the shared util importing a core; the client's core the server's
      'lib/state/w.ts': "import { x } from '../server/x';\nexport const w = x;\n",
      'lib/util/u.ts': "import { s } from '../state/s';\nexport const u = s;\n",
      'lib/client/core/k.ts': "import { s } from '../../state/s';\nexport const k = s;\n",
    });
    expect(r.status).not.toBe(0);
    expect(violations(r.out)).toEqual([
      'layer-client-core lib/client/core/k.ts -> lib/state/s.ts',
      'layer-server lib/server/x.ts -> lib/cli/m.ts',
      'layer-state lib/state/s.ts -> lib/protocol/p.ts',
      'layer-state lib/state/w.ts -> lib/server/x.ts',
      'layer-util lib/util/u.ts -> lib/state/s.ts',
      'no-circular lib/protocol/p.ts -> ',
      'not-to-unresolvable lib/transport/t.ts -> ../nowhere',
      'pure-core-no-node lib/codec/c.ts -> fs',
      'pure-core-no-rxjs lib/codec/c.ts -> rxjs',
    ]);
    expect(r.out).toMatch(/lib\/protocol\/p\.ts →\s+lib\/state\/s\.ts →\s+lib\/protocol\/p\.ts/);
  });
});

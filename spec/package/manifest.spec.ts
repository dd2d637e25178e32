/**
 * The package manifest as npm consumers depend on it (issue 9, items 1, 3 and 6): dependencies take caret ranges,
 * rxjs is a peer dependency (so the consumer's rxjs is the one we use) and only a development dependency here, the
 * `exports` map names exactly the five documented entry points, and every example imports the package by name
 * (never a relative path into lib/ or a deep path into the package). A broken copy of each shows the check bites.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly bundleDependencies?: unknown;
  readonly exports?: Record<string, unknown>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** `^` followed by a full version (x.y.z, optionally with a prerelease), and nothing else. */
const CARET = /^\^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** What is wrong with a manifest's dependencies, one line per problem. */
const dependencyProblems = (m: Manifest): string[] => {
  const problems: string[] = [];
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const)
    for (const [name, range] of Object.entries(m[field] ?? {}))
      if (!CARET.test(range)) problems.push(`${field}.${name}: ${range} is not a caret range`);
  if (m.dependencies?.rxjs !== undefined) problems.push('rxjs is a dependency (it must be a peer dependency)');
  if (m.peerDependencies?.rxjs === undefined) problems.push('rxjs is not a peer dependency');
  if (m.devDependencies?.rxjs === undefined) problems.push('rxjs is not a development dependency (tests need it)');
  const major = (r: string | undefined): string | undefined => /^\^(\d+)\./.exec(r ?? '')?.[1];
  if (major(m.devDependencies?.rxjs) !== major(m.peerDependencies?.rxjs))
    problems.push('the rxjs tested with is not in the peer range');
  for (const name of Object.keys(m.peerDependencies ?? {}))
    if (name !== 'rxjs') problems.push(`unexpected peer dependency ${name}`);
  if (m.bundleDependencies !== undefined) problems.push('bundled dependencies');
  return problems;
};

const ENTRY_POINTS = ['.', './client', './server', './replay', './filter'];

/** The module specifiers a TypeScript source imports (static and dynamic imports, require, export … from). */
const importsOf = (source: string): string[] =>
  [
    ...source.matchAll(/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);

/** What is wrong with an example's imports: relative paths, deep paths into rxpaf, unknown packages. */
const importProblems = (file: string, source: string): string[] =>
  importsOf(source).flatMap((spec) => {
    if (spec.startsWith('.') || spec.startsWith('/')) return [`${file}: relative import ${spec}`];
    if (spec === 'rxpaf' || spec.startsWith('rxpaf/'))
      return ENTRY_POINTS.includes(spec === 'rxpaf' ? '.' : `./${spec.slice('rxpaf/'.length)}`)
        ? []
        : [`${file}: ${spec} is not an entry point`];
    if (spec.startsWith('node:') || spec === 'rxjs' || spec.startsWith('rxjs/')) return [];
    return [`${file}: ${spec} is not a dependency of a consumer`];
  });

describe('package.json', () => {
  it('dependencies take caret ranges; rxjs is a peer dependency (and a development one), never a dependency', () => {
    expect(dependencyProblems(manifest)).toEqual([]);
    expect(Object.keys(manifest.dependencies ?? {})).not.toContain('rxjs');
    expect(manifest.peerDependencies).toEqual({ rxjs: expect.stringMatching(/^\^7\./) as string });
  });

  it('the dependency check bites: a pinned, tilde, star or range version, rxjs as a dependency', () => {
    const broken = (m: Partial<Manifest>): string[] => dependencyProblems({ ...manifest, ...m });
    expect(broken({ dependencies: { ...manifest.dependencies, yaml: '2.9.1' } })).toEqual([
      'dependencies.yaml: 2.9.1 is not a caret range',
    ]);
    expect(broken({ dependencies: { ...manifest.dependencies, yaml: '~2.9.1' } })).toHaveLength(1);
    expect(broken({ devDependencies: { ...manifest.devDependencies, jest: '*' } })).toHaveLength(1);
    expect(broken({ devDependencies: { ...manifest.devDependencies, jest: '>=29' } })).toHaveLength(1);
    expect(broken({ dependencies: { ...manifest.dependencies, rxjs: '^7.8.2' } })).toEqual([
      'rxjs is a dependency (it must be a peer dependency)',
    ]);
    expect(broken({ peerDependencies: {} })).toContain('rxjs is not a peer dependency');
    expect(broken({ peerDependencies: { rxjs: '^6.6.7' } })).toEqual(['the rxjs tested with is not in the peer range']);
  });

  it('exports exactly the five documented entry points, each for import and require with its own types', () => {
    expect(Object.keys(manifest.exports ?? {})).toEqual(ENTRY_POINTS);
    for (const [entry, conditions] of Object.entries(manifest.exports ?? {}))
      for (const kind of ['import', 'require'])
        expect([entry, kind, Object.keys((conditions as Record<string, Record<string, string>>)[kind] ?? {})]).toEqual([
          entry,
          kind,
          ['types', 'default'], // types first, as TypeScript requires
        ]);
  });
});

describe('examples', () => {
  const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));

  it('every examples/*.ts imports the package by name (an entry point), rxjs or node: only', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    const problems = files.flatMap((f) => importProblems(f, readFileSync(join(ROOT, 'examples', f), 'utf8')));
    expect(problems).toEqual([]);
    // each imports rxpaf at all
    for (const f of files)
      expect([
        f,
        importsOf(readFileSync(join(ROOT, 'examples', f), 'utf8')).some((s) => /^rxpaf(\/|$)/.test(s)),
      ]).toEqual([f, true]);
  });

  it('the import check bites: relative, deep, lib/ and unknown-package imports', () => {
    const source = [
      "import { createClient } from '../lib/client';",
      "import type { Service } from 'rxpaf/dist/lib/model';",
      "const x = require('./helper');",
      "export { y } from 'rxpaf/internal';",
      "import 'immutable';",
      "const z = await import('/abs/path');",
      "import { map } from 'rxjs';",
      "import { createServer } from 'rxpaf/server';",
    ].join('\n');
    expect(importProblems('x.ts', source).sort()).toEqual(
      [
        'x.ts: relative import ../lib/client',
        'x.ts: rxpaf/dist/lib/model is not an entry point',
        'x.ts: relative import ./helper',
        'x.ts: rxpaf/internal is not an entry point',
        'x.ts: immutable is not a dependency of a consumer',
        'x.ts: relative import /abs/path',
      ].sort(),
    );
  });
});

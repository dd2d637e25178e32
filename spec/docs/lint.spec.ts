/**
 * Issue 10 items 3 and 4: `npm run lint` is type-aware, allows no warning, covers every folder with code (lib, spec,
 * examples, bench, scripts, bin, native and the root tool configurations) and runs the dependency rules. The
 * type-aware rules are tried with the project's own eslint.config.js on snippets linted as if they were a file of
 * lib/ (the layer rules themselves are spec/docs/layers.spec.ts).
 */
import { ESLint, type Linter } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

jest.setTimeout(120000);

const root = join(__dirname, '..', '..');
let eslint: ESLint;

beforeAll(() => {
  // the project's config, loaded here (eslint's own loader uses a dynamic import, which jest's VM refuses)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(join(root, 'eslint.config.js')) as Linter.Config[];
  eslint = new ESLint({ cwd: root, overrideConfigFile: true, baseConfig: config });
});

/** The rule ids eslint reports for `code` as the content of lib/util/heap.ts (a file of the TypeScript project). */
const errors = async (code: string): Promise<string[]> => {
  const [r] = await eslint.lintText(code, { filePath: join(root, 'lib', 'util', 'heap.ts') });
  return r!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
};

describe('npm run lint', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;

  it('lints every folder with code, with zero warnings allowed, and runs the dependency rules', () => {
    const eslintCall = /\beslint\b([^&]*)/.exec(scripts.lint!)![1]!.split(/\s+/);
    expect(eslintCall).toContain('--max-warnings');
    expect(eslintCall[eslintCall.indexOf('--max-warnings') + 1]).toBe('0');
    for (const target of [
      'lib',
      'spec',
      'examples',
      'bench',
      'scripts',
      'bin',
      'native',
      '*.js',
      '.dependency-cruiser.js',
    ])
      expect(eslintCall).toContain(target);
    expect(scripts.lint).toMatch(/npm run lint:deps/);
    expect(scripts['lint:deps']).toMatch(/^depcruise lib\b/);
  });

  it('is type-aware: a floating Promise, a misused Promise and unsafe any are errors', async () => {
    const found = await errors(
      [
        'const later = async (): Promise<number> => 1;',
        'export const floating = (): void => {',
        '  later();', // floating
        '};',
        'export const misused = (xs: number[]): number[] => xs.filter(async () => later());', // misused
        'export const unsafe = (s: string): number => {',
        '  const v: any = JSON.parse(s);', // the explicit any
        '  const n: number = v.count;', // unsafe member access and assignment
        '  return n;',
        '};',
        '',
      ].join('\n'),
    );
    for (const rule of [
      '@typescript-eslint/no-floating-promises',
      '@typescript-eslint/no-misused-promises',
      '@typescript-eslint/no-explicit-any',
      '@typescript-eslint/no-unsafe-member-access',
      '@typescript-eslint/no-unsafe-assignment',
    ])
      expect(found).toContain(rule);
  });

  it('passes the same code written safely', async () => {
    expect(
      await errors(
        [
          'const later = (): Promise<number> => Promise.resolve(1);',
          'export const awaited = async (): Promise<number> => later();',
          'export const parsed = (s: string): unknown => JSON.parse(s);',
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });
});

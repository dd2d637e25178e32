/**
 * Every repository path that README.md, docs/*.md and the other READMEs name exists (issue 10 item 1: the repository
 * explains itself, so a document that points at a moved or deleted file is a failure). The checker is spec/docs/paths.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { documentsToCheck, formatPath, missingPaths, pathsInMarkdown, scanDocuments } from './paths';

const ROOT = join(__dirname, '..', '..');

describe('path checker: what counts as a path', () => {
  it('finds top-folder paths in text, code spans and code blocks, and relative links, with their lines', () => {
    const md = [
      'See `lib/state/idle.ts` and lib/server/.', // 1
      '```sh', // 2
      'node bin/rxpafd.js -s', // 3
      '```', // 4
      '[decisions](decisions.md#a4-surplus) and ![shot](../docs/dashboard.png)', // 5
      'not dist/lib/index.js, rxpaf/client, https://x.org/lib/a.ts, ~/lib/x or ./bin/y', // 6
      '[web](https://github.com/Ericsson/paf) [here](#anchor)', // 7
    ].join('\n');
    expect(pathsInMarkdown(md, 'docs/x.md').map((n) => `${n.path}@${n.line}`)).toEqual([
      'lib/state/idle.ts@1',
      'lib/server/@1',
      'bin/rxpafd.js@3',
      'docs/decisions.md@5',
      'docs/dashboard.png@5',
    ]);
  });

  it('expands a brace list into its paths', () => {
    const md = '`examples/library-{client,server}.ts` and lib/{a,b}/{c,d}.ts';
    expect(pathsInMarkdown(md, 'README.md').map((n) => n.path)).toEqual([
      'examples/library-client.ts',
      'examples/library-server.ts',
      'lib/a/c.ts',
      'lib/a/d.ts',
      'lib/b/c.ts',
      'lib/b/d.ts',
    ]);
  });

  it('ends a path at a placeholder and reads a jest path pattern as one', () => {
    const md = 'logs in `lib/<dir>/x`; run `npx jest spec/faults/mass-kill -t SIGKILL` or jest --runInBand spec/a';
    expect(pathsInMarkdown(md, 'README.md').map((n) => [n.path, n.jestPattern])).toEqual([
      ['lib/', false],
      ['spec/faults/mass-kill', true],
      ['spec/a', true],
    ]);
  });
});

describe('a repository whose documents name missing paths', () => {
  let root: string;
  const write = (file: string, text: string): void => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rxpaf-paths-'));
    write('.gitignore', 'dist/\ndocs/api/\n*.log\n');
    write('lib/state/idle.ts', '');
    write('lib/config/config-file.ts', '');
    write('lib/util/heap.ts', '');
    write('spec/faults/mass-kill.spec.ts', '');
    write('docs/protocol.md', '# P\n');
    write(
      'README.md',
      [
        '`lib/state/idle.ts`, `lib/state/gone.ts`, lib/config/config-*.ts, lib/config/nothing-*.ts, lib/**/*.ts',
        'and lib/{util,gone}/**/*.ts',
        '[protocol](docs/protocol.md), [decisions](docs/decisions.md), docs/api/ (generated)',
        '`npx jest spec/faults/mass-kill`, `npx jest spec/faults/slow`, spec/faults/mass-kill (not a pattern)',
      ].join('\n'),
    );
    write('docs/architecture.md', 'The [protocol](protocol.md) and [an image](shot.png); lib/moved/');
    write('bench/README.md', 'bench/server.ts\n');
    write('node_modules/x/README.md', 'lib/never-read.ts\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('checks README.md, docs/*.md and the READMEs of the top folders', () => {
    expect(documentsToCheck(root)).toEqual([
      'README.md',
      'bench/README.md',
      'docs/architecture.md',
      'docs/protocol.md',
    ]);
  });

  it('reports exactly the missing ones, with file and line', () => {
    expect(missingPaths(root, scanDocuments(root)).map(formatPath)).toEqual([
      'README.md:1: lib/state/gone.ts',
      'README.md:1: lib/config/nothing-*.ts',
      'README.md:2: lib/gone/**/*.ts',
      'README.md:3: docs/decisions.md',
      'README.md:4: spec/faults/slow',
      'README.md:4: spec/faults/mass-kill',
      'bench/README.md:1: bench/server.ts',
      'docs/architecture.md:1: lib/moved/',
      'docs/architecture.md:1: shot.png',
    ]);
  });
});

describe('the repository', () => {
  const named = scanDocuments(ROOT);

  it('checks the documents that name paths (the checker sees them)', () => {
    const docs = documentsToCheck(ROOT);
    for (const f of ['README.md', 'docs/protocol.md', 'docs/architecture.md', 'docs/decisions.md', 'bench/README.md'])
      expect(docs).toContain(f);
    expect(named.length).toBeGreaterThan(300);
    expect(new Set(named.map((n) => n.file)).size).toBeGreaterThanOrEqual(4);
  });

  it('names no path that does not exist', () => {
    expect(missingPaths(ROOT, named).map(formatPath)).toEqual([]);
  });
});

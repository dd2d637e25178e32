/**
 * Every repository path that README.md, docs/*.md and the other READMEs name exists (issue 10 item 1: the repository
 * explains itself, so a document that points at a moved or deleted file is a failure). The checker is spec/docs/paths.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { boxPathsInMermaid, documentsToCheck, formatPath, missingPaths, pathsInMarkdown, scanDocuments } from './paths';

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

describe('path checker: bare file names in the boxes of Mermaid diagrams', () => {
  const md = [
    'framing.ts outside a diagram is prose', // 1
    '```mermaid', // 2
    'flowchart TD', // 3
    '  A["<b>bytes</b><br/><i>lib/transport/</i> framing.ts · *-connection.ts"]', // 4
    '  B["<i>lib/protocol/</i> reducer.ts · handlers/<br/>fails locally: safe.ts"] --> C(("merge"))', // 5
    '  subgraph core["pure core (lib/client/core/)"]', // 6
    '    R["reducer.ts"]', // 7
    '    W["validate<br/>wire.ts → <i>lib/codec/</i> json.ts (shared with lib/state)"]', // 8
    '    subgraph inner["no folder named here"]', // 9
    '      L["link.ts"]', // 10
    '    end', // 11
    '  end', // 12
    '  base["lib/errors.ts · json.ts"]', // 13
    '  X["nowhere.ts"]', // 14
    '  A -- "framing.ts in an edge label is not a box" --> B', // 15
    '```', // 16
    '`S["x.ts"]` after the diagram', // 17
  ].join('\n');

  it("resolves each against the folder before it in the box, else the subgraph's; edge labels and prose aside", () => {
    expect(boxPathsInMermaid(md, 'docs/a.md').map((n) => `${n.line} ${n.text} ${n.path}`)).toEqual([
      '4 framing.ts lib/transport/framing.ts',
      '4 *-connection.ts lib/transport/*-connection.ts',
      '5 reducer.ts lib/protocol/reducer.ts',
      '5 handlers/ lib/protocol/handlers/',
      '5 safe.ts lib/protocol/safe.ts',
      '7 reducer.ts lib/client/core/reducer.ts',
      '8 wire.ts lib/client/core/wire.ts',
      '8 json.ts lib/codec/json.ts',
      '10 link.ts lib/client/core/link.ts',
      '13 json.ts lib/json.ts',
      '14 nowhere.ts nowhere.ts',
    ]);
  });

  it('reports a box naming a file that does not exist (and one that names no folder at all)', () => {
    const root = mkdtempSync(join(tmpdir(), 'rxpaf-boxes-'));
    try {
      for (const f of [
        'lib/transport/framing.ts',
        'lib/transport/stream-connection.ts',
        'lib/protocol/reducer.ts',
        'lib/protocol/handlers/hello.ts',
        'lib/client/core/reducer.ts',
        'lib/client/core/wire.ts',
        'lib/client/core/link.ts',
        'lib/codec/json.ts',
        'lib/errors.ts',
        'lib/json.ts',
      ]) {
        mkdirSync(dirname(join(root, f)), { recursive: true });
        writeFileSync(join(root, f), '');
      }
      expect(missingPaths(root, boxPathsInMermaid(md, 'docs/a.md')).map(formatPath)).toEqual([
        'docs/a.md:5: safe.ts',
        'docs/a.md:14: nowhere.ts',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("sees the bare names of docs/architecture.md's diagrams", () => {
    const text = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const found = boxPathsInMermaid(text, 'docs/architecture.md').map((n) => n.path);
    for (const p of [
      'lib/transport/framing.ts',
      'lib/transport/*-connection.ts',
      'lib/server/safe-reduce.ts',
      'lib/protocol/handlers/',
      'lib/client/core/wire.ts',
      'lib/replay/replay-public.ts',
      'lib/json.ts',
    ])
      expect(found).toContain(p);
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

/**
 * Every `§` section and decision id cited in lib/, spec/, bench/, examples/, scripts/, bin/, native/, the root tool
 * configurations, README.md and docs/ resolves to a heading of docs/protocol.md or docs/decisions.md (issue 10 item 1).
 * This file itself is not scanned: it holds dangling samples on purpose, to show that the checker fails on them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
  citationsInFile,
  dangling,
  decisionHeadings,
  filesToScan,
  formatCitation,
  loadTargets,
  scanRepository,
  sectionHeadings,
  styleGuideSections,
  type Citation,
} from './references';

const ROOT = join(__dirname, '..', '..');
const SELF = 'spec/docs/references.spec.ts';

const ids = (cs: readonly Citation[]): string[] => cs.map((c) => `${c.kind === 'section' ? '§' : ''}${c.id}@${c.line}`);

describe('reference checker: what counts as a citation', () => {
  it('finds sections and decisions in comments and string literals of code, with their lines', () => {
    const src = [
      '/** Orphans (§7.6, B9). */', // 1
      "it('[§9.1 A10] time is the accept time', () => {", // 2
      '  // §10.1-10.2 and B1–B10', // 3
      '});', // 4
      'const t = `§4.5 and D9`;', // 5
    ].join('\n');
    expect(ids(citationsInFile(src, 'x.ts'))).toEqual([
      '§7.6@1',
      'B9@1',
      '§9.1@2',
      'A10@2',
      '§10.1@3',
      '§10.2@3',
      'B1@3',
      'B10@3',
      '§4.5@5',
      'D9@5',
    ]);
  });

  it('finds comments before closing tokens and at the end of a file', () => {
    const src = ['function f() {', '  g();', '  // see §8.3', '}', '/* and A22 */'].join('\n');
    expect(ids(citationsInFile(src, 'x.ts'))).toEqual(['§8.3@3', 'A22@5']);
  });

  it('ignores identifiers, numbers, regular expressions, words and hex that look like decision ids', () => {
    const src = [
      'const A5 = 0xB2;', // an identifier and a hex number
      "const s = 'B2B sales, vitamin-B12, colour #A4B2C3, code 0xD1, x-A5';",
      'const re = /A4|§1/;', // a regular expression
      'const data = [\'A1\', "D2"];', // a string that is nothing but an id is data
      '// ABD1 A1B A12xy A12_',
    ].join('\n');
    expect(ids(citationsInFile(src, 'x.ts'))).toEqual([]);
  });

  it('reads comments and string literals of C, not its code', () => {
    const src = [
      '#include "a4.h"', // 1: a string, no citation
      '/* Framing (§2.3,', // 2
      '   R13) */', // 3
      'int B2 = 0; char *s = "see // §2.8"; // A20', // 4
      "char c = '\\''; /* §2.9 */", // 5: an escaped quote in a character literal
    ].join('\n');
    expect(ids(citationsInFile(src, 'native/x.c'))).toEqual(['§2.3@2', 'R13@3', '§2.8@4', 'A20@4', '§2.9@5']);
  });

  it('reads all of a markdown file, code spans included', () => {
    expect(ids(citationsInFile('# Title\n\nSee §7.9 and `A4`; not A4B or 4A4.\n', 'x.md'))).toEqual(['§7.9@3', 'A4@3']);
  });

  it('reads numbered headings of the protocol and id headings of the decisions', () => {
    expect(sectionHeadings('## 7. Directory\n### 7.6 Orphans\ntext §7.7\n#### 7.6.1. Detail\n')).toEqual([
      '7',
      '7.6',
      '7.6.1',
    ]);
    expect(
      decisionHeadings('### A4 Surplus connections\n### B10 Idle range\n### R10a Later\nR3 is not a heading\n'),
    ).toEqual(['A4', 'B10', 'R10a']);
  });

  it('reads a decision id with a letter suffix as one id (R10a is not R10)', () => {
    expect(ids(citationsInFile('// see R10a and R10, A12x; not R10ab or R10A\n', 'x.ts'))).toEqual([
      'R10a@1',
      'R10@1',
      'A12x@1',
    ]);
  });

  it('flags style-guide sections written with a section sign', () => {
    const sign = '\u00a7';
    expect(styleGuideSections(`Fail locally (style guide ${sign}3.1.7)`)).toHaveLength(1);
    expect(styleGuideSections(`one timer stream (${sign}3.8 of the style guide)`)).toHaveLength(1);
    expect(styleGuideSections('Fail locally (style guide, section 3.1.7); see §7.6')).toHaveLength(0);
  });

  it('fails on dangling references and passes on resolved ones', () => {
    const targets = { sections: new Set(['7', '7.6']), decisions: new Set(['A4']) };
    const cs = citationsInFile('// §7.6 §7 A4 are fine; §7.66, §99.1, A23 and B1 dangle\n', 'lib/x.ts');
    expect(dangling(cs, targets).map(formatCitation)).toEqual([
      'lib/x.ts:1: §7.66',
      'lib/x.ts:1: §99.1',
      'lib/x.ts:1: A23',
      'lib/x.ts:1: B1',
    ]);
  });
});

describe('a repository with a dangling reference in each place the checker scans', () => {
  let root: string;
  const write = (file: string, text: string): void => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rxpaf-refs-'));
    write('docs/protocol.md', '# P\n## 1. One\n### 1.1 Sub\n');
    write('docs/decisions.md', '# D\n### A1 First\n### R10a Later\n');
    write('docs/architecture.md', 'See §1.1 and §1.2.\n');
    write('README.md', 'Decisions A1 and A2.\n');
    write('lib/x.ts', '/** §1.1, R10a */\nexport const x = 1; // §1.9\n');
    write('spec/x.spec.ts', "it('[§2.1] something', () => undefined);\n");
    write('bench/README.md', 'measured as in §3\n');
    write('examples/e.ts', '// A1 and R10b\n');
    write('scripts/s.js', '// see §4.4\n');
    write('bin/b.js', '#!/usr/bin/env node\n// (R5)\n');
    write('native/n.c', '#include <x.h>\n/* §1.1 */\nint f(void) { return 0; } // §2.8\n');
    write('native/install.js', "console.log('§1.1 and B3');\n");
    write('jest.config.js', '// §5\n');
    write('.dependency-cruiser.js', '// §6\n');
    write('node_modules/m/index.js', '// §7 (never scanned)\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports exactly the dangling ones, with file and line', () => {
    const scan = scanRepository(root);
    expect(dangling(scan.citations, loadTargets(root)).map(formatCitation).sort()).toEqual(
      [
        '.dependency-cruiser.js:1: §6',
        'bench/README.md:1: §3',
        'bin/b.js:2: R5',
        'native/install.js:1: B3',
        'native/n.c:3: §2.8',
        'docs/architecture.md:1: §1.2',
        'examples/e.ts:1: R10b',
        'jest.config.js:1: §5',
        'lib/x.ts:2: §1.9',
        'scripts/s.js:1: §4.4',
        'spec/x.spec.ts:1: §2.1',
        'README.md:1: A2',
      ].sort(),
    );
  });
});

describe('the repository', () => {
  const targets = loadTargets(ROOT);
  const scan = scanRepository(ROOT, [SELF]);

  it('has unique section numbers in docs/protocol.md and sections 1 to 16', () => {
    const headings = sectionHeadings(readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8'));
    expect(new Set(headings).size).toBe(headings.length);
    for (let n = 1; n <= 16; n++) expect(targets.sections.has(String(n))).toBe(true);
  });

  it('has a heading for every decision D1–D12, B1–B10, A1–A22, R1–R18 (and R10a), and unique ids', () => {
    const headings = decisionHeadings(readFileSync(join(ROOT, 'docs', 'decisions.md'), 'utf8'));
    expect(new Set(headings).size).toBe(headings.length);
    const expected = [
      ...Array.from({ length: 12 }, (_, i) => `D${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `B${i + 1}`),
      ...Array.from({ length: 22 }, (_, i) => `A${i + 1}`),
      ...Array.from({ length: 18 }, (_, i) => `R${i + 1}`),
      'R10a',
    ];
    expect(expected.filter((id) => !targets.decisions.has(id))).toEqual([]);
  });

  it('scans the code, the tests and the documents (the checker sees the citations that exist)', () => {
    expect(scan.files).toBeGreaterThan(150);
    const files = new Set(scan.citations.map((c) => c.file));
    for (const f of ['lib/state/idle.ts', 'spec/state/orphans.spec.ts', 'README.md', 'docs/decisions.md'])
      expect(files).toContain(f);
    const scanned = filesToScan(ROOT);
    for (const f of [
      'scripts/soak/soak.js',
      'bin/rxpafd.js',
      'native/seqpacket.c',
      'native/install.js',
      '.dependency-cruiser.js',
      'eslint.config.js',
    ])
      expect(scanned).toContain(f);
    expect(scan.citations.filter((c) => c.kind === 'section').length).toBeGreaterThan(400);
    expect(scan.citations.filter((c) => c.kind === 'decision').length).toBeGreaterThan(100);
  });

  it('has no dangling § or decision reference', () => {
    expect(dangling(scan.citations, targets).map(formatCitation)).toEqual([]);
  });

  it('writes style-guide sections without a section sign', () => {
    expect(scan.styleGuideMisuses).toEqual([]);
  });
});

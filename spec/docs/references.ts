/**
 * The reference checker behind spec/docs/references.spec.ts: finds every citation of a protocol section (`§7.6`,
 * `§2.1-2.3`) and of a decision (`A4`, `B1–B10`, `D2`, `R3`) in the repository's code, tests and documents, and
 * tells which of them do not resolve to a numbered heading of docs/protocol.md or docs/decisions.md.
 *
 * Where citations are looked for:
 * - TypeScript/JavaScript: comments and string literals only (test titles cite too), found with the TypeScript
 *   parser, so identifiers, numbers and regular expressions never count.
 * - C (native/): comments and string literals, by a small lexer.
 * - Markdown: the whole text.
 * A decision id counts only as a whole token: not inside a word or a hex number (`B2B`, `0xB2`, `#A4`, `x-A5`), and
 * not when a string literal consists of the id alone (`'A1'` is data, not a citation).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import * as ts from 'typescript';

/** One citation found in a file. */
export interface Citation {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  readonly kind: 'section' | 'decision';
  /** `7.6` for `§7.6`; `A4` for a decision. */
  readonly id: string;
}

/** The headings citations may resolve to. */
export interface Targets {
  readonly sections: ReadonlySet<string>;
  readonly decisions: ReadonlySet<string>;
}

/** The section sign, written as an escape so that this file's own patterns are not read as citations. */
const SIGN = '\u00a7';
const SECTION_RE = new RegExp(`${SIGN}\\s?(\\d+(?:\\.\\d+)*)(?:[-–](\\d+(?:\\.\\d+)*))?`, 'g');
/**
 * A decision id as a whole token, optionally with a lowercase letter (`R10a`, a decision added after its neighbour),
 * optionally a range `B1–B10` / `D1-D12`.
 */
const DECISION_RE = /(?<![\p{L}\p{N}_$#.\\-])([ABDR][1-9]\d?[a-z]?)(?:[-–]([ABDR][1-9]\d?))?(?![\p{L}\p{N}_])/gu;
const DECISION_ONLY_RE = /^\s*[ABDR][1-9]\d?[a-z]?\s*$/;
/** A style-guide section written with the section sign would read as a protocol reference; it must be reworded. */
const STYLE_GUIDE_RE = new RegExp(
  `style guide[^${SIGN}\\n]{0,12}${SIGN}|${SIGN}\\s?\\d+(?:\\.\\d+)* of the style guide`,
  'gi',
);

/** Citations in one piece of text that starts at `line` of `file`. */
export const citationsInText = (text: string, file: string, line: number, decisions = true): Citation[] => {
  const out: Citation[] = [];
  const lineAt = (index: number): number => {
    let n = line;
    for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
    return n;
  };
  for (const m of text.matchAll(SECTION_RE)) {
    const at = lineAt(m.index);
    out.push({ file, line: at, kind: 'section', id: m[1]! });
    if (m[2] !== undefined) out.push({ file, line: at, kind: 'section', id: m[2] });
  }
  if (decisions)
    for (const m of text.matchAll(DECISION_RE)) {
      const at = lineAt(m.index);
      out.push({ file, line: at, kind: 'decision', id: m[1]! });
      if (m[2] !== undefined) out.push({ file, line: at, kind: 'decision', id: m[2] });
    }
  return out;
};

/** Misuses: style-guide sections written with the section sign. */
export const styleGuideSections = (text: string): string[] => [...text.matchAll(STYLE_GUIDE_RE)].map((m) => m[0]);

const STRING_KINDS: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
]);

/** A comment run (the trivia before a token) or the contents of a string literal, with its 1-based start line. */
export interface CodeText {
  readonly text: string;
  readonly line: number;
  readonly literal: boolean;
}

/** The comments and string literals of a TypeScript/JavaScript source. */
export const codeTexts = (source: string, fileName = 'x.ts'): CodeText[] => {
  const kind = /\.[cm]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, kind);
  const out: CodeText[] = [];
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    const children = node.getChildren(sf);
    if (children.length > 0 && !STRING_KINDS.has(node.kind)) {
      children.forEach(visit);
      return;
    }
    // a token: its leading trivia holds the comments before it (whitespace otherwise)
    const full = node.getFullStart();
    const start = node.getStart(sf);
    if (start > full) out.push({ text: source.slice(full, start), line: lineOf(full), literal: false });
    if (STRING_KINDS.has(node.kind))
      out.push({ text: (node as ts.LiteralLikeNode).text, line: lineOf(start), literal: true });
  };
  visit(sf);
  return out;
};

/** C sources (native/): comments, string and character literals, in one pass so that each hides the others. */
const C_TEXT_RE = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g;

/** The comments and string literals of a C source. */
export const cTexts = (source: string): CodeText[] =>
  [...source.matchAll(C_TEXT_RE)].map((m) => ({
    text: m[0],
    line: source.slice(0, m.index).split('\n').length,
    literal: m[0].startsWith('"') || m[0].startsWith("'"),
  }));

/** Every citation in one file's content (by its extension). */
export const citationsInFile = (content: string, file: string): Citation[] => {
  if (extname(file) === '.md') return citationsInText(content, file, 1);
  if (C_EXTENSIONS.has(extname(file)))
    return cTexts(content).flatMap(({ text, line, literal }) =>
      citationsInText(
        literal ? text.slice(1, -1) : text,
        file,
        line,
        !(literal && DECISION_ONLY_RE.test(text.slice(1, -1))),
      ),
    );
  // a string literal that is nothing but a decision id is data, not a citation
  return codeTexts(content, file).flatMap(({ text, line, literal }) =>
    citationsInText(text, file, line, !(literal && DECISION_ONLY_RE.test(text))),
  );
};

/** Section numbers (`7`, `7.6`) of the numbered headings of a protocol document. */
export const sectionHeadings = (markdown: string): string[] =>
  [...markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)].map((m) => m[1]!);

/** Decision ids (`A4`) of the headings of a decisions document. */
export const decisionHeadings = (markdown: string): string[] =>
  [...markdown.matchAll(/^#{1,6}\s+([ABDR][1-9]\d?[a-z]?)\b/gm)].map((m) => m[1]!);

/** The citations that do not resolve. */
export const dangling = (citations: readonly Citation[], targets: Targets): Citation[] =>
  citations.filter((c) => !(c.kind === 'section' ? targets.sections : targets.decisions).has(c.id));

const C_EXTENSIONS = new Set(['.c', '.h', '.cc']);
const SOURCE_EXTENSIONS = new Set(['.ts', '.js', '.cjs', '.mjs', '.md', ...C_EXTENSIONS]);
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', '.git']);

/**
 * Files to scan under `root`: lib/, spec/, bench/, examples/, scripts/, bin/, native/ and docs/ (sources, C sources
 * and markdown),
 * README.md and the tool configurations at the root (`*.js`, `.dependency-cruiser.js`).
 */
export const filesToScan = (root: string, exclude: readonly string[] = []): string[] => {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(path);
      } else if (SOURCE_EXTENSIONS.has(extname(name))) out.push(path);
    }
  };
  for (const d of ['lib', 'spec', 'bench', 'examples', 'scripts', 'bin', 'native', 'docs']) walk(join(root, d));
  out.push(join(root, 'README.md'));
  for (const name of readdirSync(root).sort())
    if (/\.[cm]?js$/.test(name) && statSync(join(root, name)).isFile()) out.push(join(root, name));
  const rel = (p: string): string => relative(root, p).split(sep).join('/');
  return out.map(rel).filter((f) => !exclude.includes(f));
};

/** Scan the repository at `root`: every citation, and every style-guide `§` misuse as `file:line: text`. */
export const scanRepository = (
  root: string,
  exclude: readonly string[] = [],
): { citations: Citation[]; styleGuideMisuses: string[]; files: number } => {
  const files = filesToScan(root, exclude);
  const citations: Citation[] = [];
  const styleGuideMisuses: string[] = [];
  for (const file of files) {
    const content = readFileSync(join(root, file), 'utf8');
    citations.push(...citationsInFile(content, file));
    for (const m of styleGuideSections(content)) styleGuideMisuses.push(`${file}: ${m}`);
  }
  return { citations, styleGuideMisuses, files: files.length };
};

/** The targets defined by docs/protocol.md and docs/decisions.md under `root`. */
export const loadTargets = (root: string): Targets => ({
  sections: new Set(sectionHeadings(readFileSync(join(root, 'docs', 'protocol.md'), 'utf8'))),
  decisions: new Set(decisionHeadings(readFileSync(join(root, 'docs', 'decisions.md'), 'utf8'))),
});

/** `file:line: §7.6` / `file:line: A4`, for failure messages. */
export const formatCitation = (c: Citation): string => `${c.file}:${c.line}: ${c.kind === 'section' ? '§' : ''}${c.id}`;

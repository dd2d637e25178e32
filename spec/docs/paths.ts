/**
 * The path checker behind spec/docs/paths.spec.ts: finds every repository path a document names (`lib/state/idle.ts`,
 * `spec/helpers/`, `bench/README.md`, a relative link `[decisions](decisions.md)`) and tells which do not exist.
 *
 * What counts as a path:
 * - a word that starts with one of the repository's top-level folders (`lib/`, `spec/`, `bench/`, `examples/`,
 *   `docs/`, `scripts/`, `bin/`, `native/`), anywhere in the text, code spans and blocks included; not when it is part
 *   of a longer path (`dist/lib/index.js`, `rxpaf/client`) or a URL;
 * - the target of a relative markdown link or image (resolved from the document's folder; `#anchors` and URLs aside);
 * - in a Mermaid diagram, a bare file or folder name in a box (`framing.ts`, `*-connection.ts`, `handlers/`): it is
 *   resolved against the folder named before it in the same box (`<i>lib/transport/</i> framing.ts`), else against
 *   the folder the enclosing subgraph names (`subgraph core["pure core (lib/client/core/)"]`); a name with neither is
 *   taken from the repository root, so it fails unless such a file exists there.
 * A path with a glob (`lib/config/config-*.ts`) must match at least one file; a brace list
 * (`examples/library-{client,server}.ts`) names each of its paths. A placeholder (`<dir>`) ends the path. Two kinds of path name something that is rightly not in the repository and are accepted: an output the
 * repository ignores (listed in .gitignore, such as `docs/api/`), and a `jest` path pattern, which names the start of
 * spec files (`npx jest spec/faults/mass-kill`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

/** One path named by a document. */
export interface NamedPath {
  /** The document, relative to the repository root. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** The path as written. */
  readonly text: string;
  /** The path relative to the repository root (relative links resolved), with `/` separators. */
  readonly path: string;
  /** Named as a `jest` path pattern (a prefix of spec files). */
  readonly jestPattern: boolean;
}

export const TOP_FOLDERS = ['lib', 'spec', 'bench', 'examples', 'docs', 'scripts', 'bin', 'native'] as const;

const WORD_PATH_RE = new RegExp(
  `(?<![\\w./~:@-])(?<!\\]\\()((?:${TOP_FOLDERS.join('|')})/[\\w./*-]*(?:\\{[\\w.,-]*\\}[\\w./*-]*)*)`,
  'g',
);
const LINK_RE = /!?\[[^\]\n]*\]\(([^)\s]+)\)/g;
const JEST_BEFORE_RE = /\bjest(?:\s+-{1,2}[\w-]+(?:[= ][^\s-][^\s]*)?)*\s+$/;

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** A shell brace list expanded: `a-{b,c}.ts` is `a-b.ts` and `a-c.ts`. */
export const expandBraces = (text: string): string[] => {
  const m = /\{([^{}]*)\}/.exec(text);
  if (m === null) return [text];
  return m[1]!
    .split(',')
    .flatMap((alt) => expandBraces(text.slice(0, m.index) + alt + text.slice(m.index + m[0].length)));
};

/** A file name with an extension (`framing.ts`, `*-connection.ts`) or a folder name (`handlers/`), alone. */
const BARE_NAME_RE = /^(?:[\w*-]+(?:\.[\w*-]+)*\.(?:ts|js|mjs|cjs|c|h|json|md|gyp|yml|yaml|sh|py)|[\w-]+\/)$/;
const TOP_PATH_RE = new RegExp(`^(?:${TOP_FOLDERS.join('|')})/`);
/** A box (node or subgraph) label: `ID["..."]`, `ID(("..."))`, `ID[("...")]`, `subgraph id["..."]`. */
const BOX_RE = /(?:^|[\s;&])(?:subgraph\s+)?[\w-]+\s*[[({]+\s*"([^"]*)"/g;

/** The folder a path names: itself for a folder (`lib/server/`, `lib/state`), its parent for a file. */
const folderOf = (path: string): string =>
  path.endsWith('/') ? path : /\.[\w]+$/.test(path.split('/').pop()!) ? posix.dirname(path) + '/' : `${path}/`;

/**
 * The bare file and folder names in the boxes of the Mermaid diagrams of a document, resolved as described at the
 * top (the paths written out in full are found by WORD_PATH_RE already).
 */
export const boxPathsInMermaid = (markdown: string, file: string): NamedPath[] => {
  const out: NamedPath[] = [];
  const lines = markdown.split('\n');
  let inMermaid = false;
  /** The folder of each open subgraph (undefined: it names none; its parent's applies). */
  const subgraphs: Array<string | undefined> = [];
  lines.forEach((line, i) => {
    if (/^\s*```mermaid\s*$/.test(line)) {
      inMermaid = true;
      subgraphs.length = 0;
      return;
    }
    if (!inMermaid) return;
    if (/^\s*```\s*$/.test(line)) {
      inMermaid = false;
      return;
    }
    if (/^\s*end\s*$/.test(line)) {
      subgraphs.pop();
      return;
    }
    const isSubgraph = /^\s*subgraph\b/.test(line);
    let named: string | undefined;
    for (const m of line.matchAll(BOX_RE)) {
      let folder = [...subgraphs].reverse().find((f) => f !== undefined);
      const tokens = m[1]!
        .replace(/<[^>]*>/g, ' ')
        .split(/[\s·,;:()→]+/)
        .filter((t) => t !== '');
      for (const token of tokens) {
        if (TOP_PATH_RE.test(token)) {
          folder = folderOf(token);
          named = folder;
        } else if (BARE_NAME_RE.test(token))
          out.push({ file, line: i + 1, text: token, path: posix.join(folder ?? '', token), jestPattern: false });
      }
    }
    if (isSubgraph) subgraphs.push(named);
  });
  return out;
};

/** The paths one markdown document names. */
export const pathsInMarkdown = (markdown: string, file: string): NamedPath[] => {
  const out: NamedPath[] = [...boxPathsInMermaid(markdown, file)];
  for (const m of markdown.matchAll(WORD_PATH_RE)) {
    const text = m[1]!.replace(/[.]+$/, '');
    const before = markdown.slice(markdown.lastIndexOf('\n', m.index) + 1, m.index);
    const jestPattern = JEST_BEFORE_RE.test(before);
    const line = lineAt(markdown, m.index);
    for (const path of expandBraces(text)) out.push({ file, line, text: path, path, jestPattern });
  }
  for (const m of markdown.matchAll(LINK_RE)) {
    const target = m[1]!.replace(/#.*$/, '');
    if (target === '' || /^[a-z][a-z+.-]*:/i.test(target) || target.startsWith('/')) continue;
    const path = posix.normalize(posix.join(posix.dirname(file), target));
    out.push({ file, line: lineAt(markdown, m.index), text: target, path, jestPattern: false });
  }
  return out.sort((a, b) => a.line - b.line);
};

/** A glob (`*` within one name, `**` then a slash: any number of folders, none too) as a regular expression. */
const globRe = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('**/')
      .map((part) =>
        part
          .split('**')
          .map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('.*'),
      )
      .join('(?:.*/)?')}$`,
  );

const SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'coverage']);

/** Every file and folder below `root` (folders with a trailing `/`); dependencies, git and build outputs aside. */
export const listTree = (root: string): string[] => {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (SKIPPED.has(name)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(root, path)).isDirectory()) {
        out.push(`${path}/`);
        walk(path);
      } else out.push(path);
    }
  };
  walk('');
  return out;
};

/** The .gitignore patterns of `root` that name folders or files at the root (`dist/`, `docs/api/`). */
const ignoredPrefixes = (root: string): string[] => {
  const file = join(root, '.gitignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('*'))
    .map((l) => l.replace(/^\//, ''));
};

/** The named paths under `root` that do not exist (nor match, for a glob), by the rules above. */
export const missingPaths = (root: string, named: readonly NamedPath[]): NamedPath[] => {
  const tree = listTree(root);
  const ignored = ignoredPrefixes(root);
  const exists = (n: NamedPath): boolean => {
    const p = n.path;
    if (ignored.some((i) => p === i || p.startsWith(i.endsWith('/') ? i : `${i}/`) || `${p}/` === i)) return true;
    if (p.includes('*')) {
      const re = globRe(p.replace(/\/$/, ''));
      return tree.some((t) => re.test(t.replace(/\/$/, '')));
    }
    if (n.jestPattern) return tree.some((t) => t.startsWith(p));
    return existsSync(join(root, p)) && (!p.endsWith('/') || statSync(join(root, p)).isDirectory());
  };
  return named.filter((n) => !exists(n));
};

/** The documents checked under `root`: README.md, docs/**.md and every other README.md below the top folders. */
export const documentsToCheck = (root: string): string[] =>
  listTree(root).filter(
    (f) =>
      f === 'README.md' ||
      (f.startsWith('docs/') && f.endsWith('.md')) ||
      (/^[^/]+\/(.*\/)?README\.md$/.test(f) && TOP_FOLDERS.some((t) => f.startsWith(`${t}/`))),
  );

/** Every path named by the documents of `root`. */
export const scanDocuments = (root: string): NamedPath[] =>
  documentsToCheck(root).flatMap((f) => pathsInMarkdown(readFileSync(join(root, f), 'utf8'), f));

/** `file:line: path`, for failure messages. */
export const formatPath = (n: NamedPath): string => `${n.file}:${n.line}: ${n.text}`;

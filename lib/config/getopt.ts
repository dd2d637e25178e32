/**
 * Command-line option parsing with the semantics (and error texts) of Python's `getopt.getopt`, which pafd uses:
 * POSIX-style, parsing stops at the first non-option argument or after `--`; short options can be clustered
 * (`-sn`) and take attached (`-c5`) or separate (`-c 5`) values; long options take `--opt=value` or
 * `--opt value` and may be abbreviated to a unique prefix.
 */
import * as E from '../util/either';

/** Parsed options, in command-line order, as `[name, value]` (`name` like `-f` or `--record`; value '' if none). */
export interface GetoptResult {
  opts: Array<[string, string]>;
  args: string[];
}

const longHasArg = (opt: string, longopts: readonly string[]): E.Either<string, [boolean, string]> => {
  const possible = longopts.filter((o) => o.startsWith(opt));
  if (possible.length === 0) return E.left(`option --${opt} not recognized`);
  if (possible.includes(opt)) return E.right([false, opt]);
  if (possible.includes(`${opt}=`)) return E.right([true, opt]);
  if (possible.length > 1) return E.left(`option --${opt} not a unique prefix`);
  const match = possible[0]!;
  return E.right(match.endsWith('=') ? [true, match.slice(0, -1)] : [false, match]);
};

/**
 * Parses `argv` (the arguments after the program name). `shortopts` is a getopt string (`f:sv`: a colon marks
 * an option with a value); `longopts` lists long option names without dashes, with a trailing `=` for those that
 * take a value. Returns the getopt error message (e.g. `option -z not recognized`) on failure.
 */
export const getopt = (
  argv: readonly string[],
  shortopts: string,
  longopts: readonly string[] = [],
): E.Either<string, GetoptResult> => {
  const opts: Array<[string, string]> = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-') {
    const arg = argv[i++]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const has = longHasArg(name, longopts);
      if (E.isLeft(has)) return has;
      const [hasArg, full] = has.right;
      if (hasArg && eq < 0) {
        if (i >= argv.length) return E.left(`option --${full} requires argument`);
        opts.push([`--${full}`, argv[i++]!]);
      } else if (!hasArg && eq >= 0) {
        return E.left(`option --${full} must not have an argument`);
      } else {
        opts.push([`--${full}`, eq < 0 ? '' : arg.slice(eq + 1)]);
      }
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j]!;
      const pos = shortopts.indexOf(c);
      if (c === ':' || pos < 0) return E.left(`option -${c} not recognized`);
      if (shortopts[pos + 1] !== ':') {
        opts.push([`-${c}`, '']);
        continue;
      }
      if (j + 1 < arg.length) {
        opts.push([`-${c}`, arg.slice(j + 1)]);
      } else if (i < argv.length) {
        opts.push([`-${c}`, argv[i++]!]);
      } else {
        return E.left(`option -${c} requires argument`);
      }
      break;
    }
  }
  return E.right({ opts, args: argv.slice(i) });
};

/**
 * Parses an integer the way Python's `int(str)` does for decimal text: surrounding whitespace, an optional sign
 * and single underscores between digits are allowed. Returns undefined for anything else.
 */
export const parsePyInt = (text: string): number | undefined => {
  const t = text.trim();
  return /^[+-]?\d+(?:_\d+)*$/.test(t) ? Number(t.replace(/_/g, '')) : undefined;
};

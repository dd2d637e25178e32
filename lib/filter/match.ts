import type { Filter } from './ast';
import { propSlot } from './compact-props';
import type { PropValue, Props } from './props';

type SubstringFilter = Extract<Filter, { op: 'substring' }>;

/** §6.3: integer values are compared through their decimal string (`str(int)` in pafd; B6). */
const asString = (v: PropValue): string => (typeof v === 'string' ? v : v.toString());

const REGEX_SYNTAX_RE = /[\\^$.*+?()[\]{}|/]/g;

/**
 * Per-filter cache of the regular expression used for the rare values that contain a newline.
 * Keyed by the AST node, so it is built at most once per filter, never per call.
 */
const newlineRegexes = new WeakMap<SubstringFilter, RegExp>();

/**
 * §6.3: pafd evaluates `^init.*mid.*final$` with Python `re`: `.` does not match `\n`, and `$` also
 * matches just before a final `\n`. For values containing a newline we reproduce that exactly with
 * `[^\n]*` gaps and `\n?$` (no `u` flag: code-unit semantics, like the fast path).
 */
const newlineRegex = (f: SubstringFilter): RegExp => {
  let re = newlineRegexes.get(f);
  if (re === undefined) {
    const lit = (s: string | undefined): string => (s === undefined ? '' : s.replace(REGEX_SYNTAX_RE, '\\$&'));
    let src = '^' + lit(f.initial);
    for (const mid of f.any) src += '[^\\n]*' + lit(mid);
    src += '[^\\n]*' + lit(f.final) + '\\n?$';
    re = new RegExp(src);
    newlineRegexes.set(f, re);
  }
  return re;
};

/**
 * §6.3 Substring: anchored, literal (no pattern characters) match of initial · any · mids · any · final.
 * Greedy leftmost placement of each mid is optimal for literal parts with unconstrained gaps.
 */
const matchSubstring = (f: SubstringFilter, s: string): boolean => {
  if (s.includes('\n')) return newlineRegex(f).test(s);
  let pos = 0;
  if (f.initial !== undefined) {
    if (!s.startsWith(f.initial)) return false;
    pos = f.initial.length;
  }
  for (const mid of f.any) {
    const at = s.indexOf(mid, pos);
    if (at < 0) return false;
    pos = at + mid.length;
  }
  return f.final === undefined || (s.length - f.final.length >= pos && s.endsWith(f.final));
};

/**
 * Does a service with properties `props` match filter `f`? (§6.3)
 *
 * - `eq`: some value equals the string; integers are compared via their decimal string, so `(k=42)`
 *   matches `42n` and `'42'`, `(k=042)` matches neither.
 * - `present`: the key has at least one value.
 * - `substring`: anchored literal match on some value (integers via their decimal string, B6).
 * - `gt`/`lt`: some **integer** value is strictly greater/less; string values never match.
 * - `not`/`and`/`or`: boolean combination.
 *
 * @example
 * const props: Props = new Map([['name', ['foo']], ['area', [51n]]]);
 * matchFilter({ op: 'gt', key: 'area', value: 50n }, props); // true
 * matchFilter({ op: 'eq', key: 'area', value: '51' }, props); // true
 */
export function matchFilter(f: Filter, props: Props): boolean {
  // (a key's values through `propSlot`: a directory record's single value is not given a list of its own per test)
  switch (f.op) {
    case 'eq': {
      const s = propSlot(props, f.key);
      if (s === undefined) return false;
      if (typeof s !== 'object') return asString(s) === f.value;
      for (let i = 0; i < s.length; i++) if (asString(s[i]!) === f.value) return true;
      return false;
    }
    case 'present': {
      // §6.3 / §3.2: a key with no values does not exist
      const s = propSlot(props, f.key);
      return s !== undefined && (typeof s !== 'object' || s.length > 0);
    }
    case 'substring': {
      const s = propSlot(props, f.key);
      if (s === undefined) return false;
      if (typeof s !== 'object') return matchSubstring(f, asString(s));
      for (let i = 0; i < s.length; i++) if (matchSubstring(f, asString(s[i]!))) return true;
      return false;
    }
    case 'gt': {
      const s = propSlot(props, f.key);
      if (s === undefined) return false;
      // §6.3: only integer values take part in ordering comparisons
      if (typeof s !== 'object') return typeof s === 'bigint' && s > f.value;
      for (let i = 0; i < s.length; i++) {
        const v = s[i]!;
        if (typeof v === 'bigint' && v > f.value) return true;
      }
      return false;
    }
    case 'lt': {
      const s = propSlot(props, f.key);
      if (s === undefined) return false;
      if (typeof s !== 'object') return typeof s === 'bigint' && s < f.value;
      for (let i = 0; i < s.length; i++) {
        const v = s[i]!;
        if (typeof v === 'bigint' && v < f.value) return true;
      }
      return false;
    }
    case 'not':
      return !matchFilter(f.operand, props);
    case 'and':
      for (const g of f.operands) if (!matchFilter(g, props)) return false;
      return true;
    case 'or':
      for (const g of f.operands) if (matchFilter(g, props)) return true;
      return false;
  }
}

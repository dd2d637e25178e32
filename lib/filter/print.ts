import type { Filter } from './ast';
import { escapeFilterValue } from './escape';

/**
 * Escape a key for the canonical form. Like `escapeFilterValue`, except that a key starting with `!`
 * gets that first `!` escaped: an unescaped `!` at the start of an expression is the NOT operator
 * (§6.2), so `(!a=b)` would not parse. Such keys can only come from `\!` input, which pafd rejects
 * anyway (A3), so every filter pafd accepts still prints exactly as pafd prints it.
 */
const escapeKey = (key: string): string =>
  key.startsWith('!') ? '\\!' + escapeFilterValue(key.slice(1)) : escapeFilterValue(key);

/**
 * The canonical string form of a filter (§6.6), as returned in `subscriptions` notifications.
 * Integers are printed in plain decimal, so `(a>+5)` prints as `(a>5)` and `(a>007)` as `(a>7)`.
 * For every well-formed AST, `parseFilter(printFilter(f))` yields `f` again.
 *
 * @example
 * printFilter({ op: 'not', operand: { op: 'present', key: 'k)ey' } }); // '(!(k\\)ey=*))'
 */
export function printFilter(f: Filter): string {
  switch (f.op) {
    case 'eq':
      // §6.6: ( escape(key) = escape(value) )
      return '(' + escapeKey(f.key) + '=' + escapeFilterValue(f.value) + ')';
    case 'present':
      // §6.6: ( escape(key) =*)
      return '(' + escapeKey(f.key) + '=*)';
    case 'substring': {
      // §6.6: ( escape(key) = [escape(initial)] * {escape(mid) *} [escape(final)] )
      let s = '(' + escapeKey(f.key) + '=' + (f.initial === undefined ? '' : escapeFilterValue(f.initial)) + '*';
      for (const mid of f.any) s += escapeFilterValue(mid) + '*';
      return s + (f.final === undefined ? '' : escapeFilterValue(f.final)) + ')';
    }
    case 'gt':
      // §6.6: decimal integer, no sign for non-negatives, no leading zeros
      return '(' + escapeKey(f.key) + '>' + f.value.toString() + ')';
    case 'lt':
      return '(' + escapeKey(f.key) + '<' + f.value.toString() + ')';
    case 'not':
      return '(!' + printFilter(f.operand) + ')';
    case 'and':
      return '(&' + f.operands.map(printFilter).join('') + ')';
    case 'or':
      return '(|' + f.operands.map(printFilter).join('') + ')';
  }
}

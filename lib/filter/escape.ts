/** §6.1: the nine special characters of pafd (`!` is deliberately not among them, D6). */
const SPECIALS = '()*\\&|=><';

/**
 * True if `c` (a single character) is one of the nine filter specials of §6.1.
 *
 * @example
 * isFilterSpecial('*'); // true
 * isFilterSpecial('!'); // false (§6.1, D6)
 */
export function isFilterSpecial(c: string): boolean {
  return c.length === 1 && SPECIALS.includes(c);
}

const SPECIALS_RE = /[()*\\&|=><]/g;
const HAS_SPECIAL_RE = /[()*\\&|=><]/;

/**
 * Escape a key or value for use in a filter: every special character is prefixed with `\` (§6.5).
 * `!` is not escaped (§6.5, A3).
 *
 * @example
 * escapeFilterValue('fo(o)'); // 'fo\\(o\\)'
 * escapeFilterValue('a!b'); // 'a!b'
 */
export function escapeFilterValue(s: string): string {
  // §6.5: prefix each of the nine specials (not `!`) with a backslash.
  return HAS_SPECIAL_RE.test(s) ? s.replace(SPECIALS_RE, '\\$&') : s;
}

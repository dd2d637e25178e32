/**
 * The filter language as the public API offers it: strings in, a typed {@link PafFilterError} out on bad input,
 * properties in the public model's shape ({@link ServiceProps}). The internal modules (`parse.ts` returning an
 * `Either`, `match.ts` over property maps) stay free to change.
 */
import { PafFilterError } from '../errors';
import type { ServiceProps } from '../model';
import type { Filter } from './ast';
import { escapeFilterValue as escapeValue } from './escape';
import { matchFilter as matchProps } from './match';
import { parseFilter as parseEither } from './parse';
import { printFilter as printAst } from './print';
import type { Props } from './props';

/**
 * Parse a Pathfinder filter (LDAP-like: `(&(name=db)(port>1024))`, `(!(zone=eu*))`, `(name=*)`) into its syntax
 * tree. Throws {@link PafFilterError} (code `PAF_INVALID_FILTER`, with the `position` where parsing stopped) when
 * the text is not a filter.
 *
 * @example
 * const f = parseFilter('(&(name=db)(port>1024))');
 * f.op; // 'and'
 */
export const parseFilter = (text: string): Filter => {
  const r = parseEither(text);
  if (r._tag === 'Left') throw new PafFilterError(text, r.left.reason, r.left.position);
  return r.right;
};

const toAst = (filter: Filter | string): Filter => (typeof filter === 'string' ? parseFilter(filter) : filter);

/**
 * The canonical text of a filter, as servers print it in `subscriptions` listings (specials escaped, no
 * redundant spaces). Accepts a parsed filter or filter text (then throws {@link PafFilterError} if it does not parse).
 *
 * @example
 * printFilter('(&(name=db)(port>1024))'); // '(&(name=db)(port>1024))'
 * printFilter({ op: 'eq', key: 'name', value: 'a(b)' }); // '(name=a\\(b\\))'
 */
export const printFilter = (filter: Filter | string): string => printAst(toAst(filter));

const propsMap = (props: ServiceProps): Props => new Map(Object.entries(props));

/**
 * Whether a service with these properties matches the filter, by the servers' rules: `=` compares as strings
 * (integers by their decimal text), `>`/`<` compare integer values only, `*` is presence or a substring pattern.
 * Throws {@link PafFilterError} for filter text that does not parse.
 *
 * @example
 * matchFilter('(&(name=db)(port>1024))', { name: ['db'], port: [5432n] }); // true
 * matchFilter('(port>1024)', { port: ['5432'] }); // false: a string is not an integer
 */
export const matchFilter = (filter: Filter | string, props: ServiceProps): boolean =>
  matchProps(toAst(filter), propsMap(props));

/**
 * Escape a key or value for use inside filter text: each of `( ) * \ & | = > <` gets a `\` in front, so the value
 * matches literally.
 *
 * @example
 * `(name=${escapeFilterValue('a*b')})`; // '(name=a\\*b)'
 */
export const escapeFilterValue = (value: string): string => escapeValue(value);

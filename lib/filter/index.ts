/**
 * `rxpaf/filter`: the Pathfinder filter language: parse, print in canonical form, match properties, escape values.
 *
 * @packageDocumentation
 * @module rxpaf/filter
 *
 * @example
 * import { escapeFilterValue, matchFilter, parseFilter, printFilter } from 'rxpaf/filter';
 * const f = parseFilter(`(&(name=${escapeFilterValue('db*1')})(port>1024))`);
 * printFilter(f); // '(&(name=db\\*1)(port>1024))'
 * matchFilter(f, { name: ['db*1'], port: [5432n] }); // true
 */
export type { Filter } from './ast';
export { escapeFilterValue, matchFilter, parseFilter, printFilter } from './public';
export { PafError, PafFilterError, type PafErrorCode } from '../errors';
export type { PropValue, ServiceProps } from '../model';

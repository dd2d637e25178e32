/**
 * The filter language (§6): parsing, canonical printing, escaping, matching, and a persistent index
 * of subscription filters.
 *
 * @example
 * import { parseFilter, matchFilter } from './filter';
 * const f = parseFilter('(name=foo)');
 */
export type { Filter } from './ast';
export type { PropValue, Props } from './props';
export type { FilterSyntaxError } from './parse';
export { parseFilter } from './parse';
export { printFilter } from './print';
export { escapeFilterValue } from './escape';
export { matchFilter } from './match';
export type { FilterIndex } from './filter-index';
export { emptyFilterIndex, indexAdd, indexRemove, indexCandidates, indexSize } from './filter-index';

/**
 * The optional `filter` field of `subscribe` and `services` (§5.4, §5.7): absent means match everything; text that
 * does not parse is the `invalid-filter-syntax` failure.
 */
import { isLeft } from '../util/either';

import type { Filter } from '../filter/ast';
import { parseFilter } from '../filter/parse';

/** `{ filter }` (undefined = match all), or `'invalid'`. */
export const optionalFilter = (text: string | undefined): { readonly filter: Filter | undefined } | 'invalid' => {
  if (text === undefined) return { filter: undefined };
  const parsed = parseFilter(text);
  return isLeft(parsed) ? 'invalid' : { filter: parsed.right };
};

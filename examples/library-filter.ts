/**
 * rxpaf/filter: the Pathfinder filter language without a server.
 * Run: node dist/examples/library-filter.js
 */
import { escapeFilterValue, matchFilter, parseFilter, PafFilterError, printFilter } from 'rxpaf/filter';

export const main = (say = console.log): void => {
  const f = parseFilter(`(&(name=${escapeFilterValue('db*primary')})(port>1024))`);
  say(printFilter(f)); // (&(name=db\*primary)(port>1024))
  say(String(matchFilter(f, { name: ['db*primary'], port: [5432n] }))); // true
  say(String(matchFilter(f, { name: ['db-primary'], port: [5432n] }))); // false: `*` was escaped
  try {
    parseFilter('(name=db');
  } catch (e) {
    if (e instanceof PafFilterError) say(`${e.code} at ${e.position}`); // PAF_INVALID_FILTER at 8
  }
};

if (require.main === module) main();

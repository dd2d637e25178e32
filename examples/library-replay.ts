/**
 * rxpaf/replay: from an event log (`rxpafd --record events.ndjson`) to an answer: which services were published,
 * and how many were there at most at once?
 * Run: node dist/examples/library-replay.js events.ndjson
 */
import { lastValueFrom, mergeMap, scan } from 'rxjs';
import { readLines$, replay$ } from 'rxpaf/replay';

export const main = async (files: readonly string[], say = console.log): Promise<void> => {
  const answer = await lastValueFrom(
    replay$(readLines$(files)).pipe(
      mergeMap((step) => step.changes), // every directory change (added, modified, removed), in order
      scan(
        (a, c) => ({
          live: a.live + (c.type === 'added' ? 1 : c.type === 'removed' ? -1 : 0),
          peak: Math.max(a.peak, a.live + (c.type === 'added' ? 1 : 0)),
          published: c.type === 'added' ? [...a.published, c.service.id] : a.published,
        }),
        { live: 0, peak: 0, published: [] as bigint[] },
      ),
    ),
    { defaultValue: { live: 0, peak: 0, published: [] } },
  );
  say(`published: ${answer.published.join(' ') || 'none'}; at most ${answer.peak} at once`);
};

if (require.main === module) void main(process.argv.slice(2));

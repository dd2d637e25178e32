/**
 * rxpaf/replay: from an event log (`rxpafd --record events.ndjson`) to an answer: which services were published,
 * and how many were there at most at once?
 * Run: node dist/examples/library-replay.js events.ndjson
 */
import { firstValueFrom, scan, takeLast } from 'rxjs';
import { changes$, readLines$, replay$ } from 'rxpaf/replay';

export const main = async (files: readonly string[], say = console.log): Promise<void> => {
  const answer = await firstValueFrom(
    replay$(readLines$(files)).pipe(
      changes$, // every directory change, with the event that caused it
      scan(
        (a, { change }) => {
          const live = a.live + (change.kind === 'added' ? 1 : change.kind === 'removed' ? -1 : 0);
          const published = change.kind === 'added' ? [...a.published, change.after.id] : a.published;
          return { live, peak: Math.max(a.peak, live), published };
        },
        { live: 0, peak: 0, published: [] as bigint[] },
      ),
      takeLast(1),
    ),
    { defaultValue: { live: 0, peak: 0, published: [] } },
  );
  say(`published: ${answer.published.join(' ') || 'none'}; at most ${answer.peak} at once`);
};

if (require.main === module) void main(process.argv.slice(2));

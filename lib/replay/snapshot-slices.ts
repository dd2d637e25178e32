/**
 * A snapshot line written in slices: the text of `encodeSnapshotLine(d, seq, state)`, produced a few elements at a
 * time, so the recorder (./record.ts) can encode a snapshot of a large directory across many event-loop turns while
 * the live server goes on. The state is immutable: the reference taken at the checkpoint is walked later, whatever
 * the server did meanwhile.
 *
 * Each call of the generator's `next()` encodes at most `units` elements of the state's collections (a service, a
 * connection, a heap entry, …) and returns their text; joined, the pieces are exactly the line
 * {@link encodeSnapshotLine} writes.
 *
 * @example
 * const parts: string[] = [];
 * for (const piece of snapshotSlices(0, 99_999, state, 256)) parts.push(piece); // one piece per turn in a recorder
 * parts.join('') === encodeSnapshotLine(0, 99_999, state); // true
 */
import { stringifyJson } from '../codec/json';
import type { DomainState } from '../state/model';
import { snapshotLinePrefix } from './event-codec';
import { domainStateParts, isLazyList } from './state-codec';

/** Elements encoded per slice by default (a few hundred microseconds of work). */
export const SLICE_UNITS = 64;

/** The pieces of a snapshot line (without its newline), each at most `units` elements of work. */
export function* snapshotSlices(
  d: number,
  seq: number,
  state: DomainState,
  units = SLICE_UNITS,
): Generator<string, void, void> {
  let text = `${snapshotLinePrefix(d, seq)}{`;
  let n = 0;
  let first = true;
  for (const [k, v] of Object.entries(domainStateParts(state))) {
    text += `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (!isLazyList(v)) {
      text += stringifyJson(v);
      continue;
    }
    text += '[';
    let comma = false;
    const it = v.items();
    for (let r = it.next(); r.done !== true; r = it.next()) {
      text += (comma ? ',' : '') + stringifyJson(r.value);
      comma = true;
      if (++n >= units) {
        yield text;
        text = '';
        n = 0;
      }
    }
    text += ']';
  }
  yield `${text}}}`;
}

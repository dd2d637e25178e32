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
import { stringifyJson, type Json, type JsonArray, type JsonObject } from '../codec/json';
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
      if (comma) text += ',';
      comma = true;
      if (!isBig(r.value, units)) text += stringifyJson(r.value);
      else
        for (const part of bigPieces(r.value, units)) {
          // one element with a long list (a record of 100,000 services): `units` numbers per slice
          yield text + part;
          text = '';
          n = 0;
        }
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

/** Whether an element holds a list longer than `units` (directly or in one of its fields). */
const isBig = (v: Json, units: number): boolean =>
  Array.isArray(v)
    ? v.length > units
    : typeof v === 'object' && v !== null && Object.values(v).some((x) => Array.isArray(x) && x.length > units);

/** The text of a big element in pieces: its long lists `units` items at a time (other values whole). */
function* bigPieces(v: Json, units: number): Generator<string, void, void> {
  if (Array.isArray(v)) {
    const xs = v as JsonArray;
    for (let i = 0; i < xs.length; i += units)
      yield (
        (i === 0 ? '[' : ',') +
        xs
          .slice(i, i + units)
          .map(stringifyJson)
          .join(',') +
        (i + units >= xs.length ? ']' : '')
      );
    if (xs.length === 0) yield '[]';
    return;
  }
  const o = v as JsonObject;
  let text = '{';
  let first = true;
  for (const k of Object.keys(o)) {
    const x = o[k]!;
    text += `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (!Array.isArray(x) || x.length <= units) text += stringifyJson(x);
    else
      for (const part of bigPieces(x, units)) {
        yield text + part;
        text = '';
      }
  }
  yield text + '}';
}

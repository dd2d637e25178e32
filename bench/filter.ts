/**
 * Micro-benchmark of the filter library: parse, print, match, and index lookups with many subscriptions.
 * Run: `npm run build --silent && node dist/bench/filter.js`.
 */
import { isRight } from 'fp-ts/Either';
import type { Filter } from '../lib/filter/ast';
import { emptyFilterIndex, indexAdd, indexCandidates } from '../lib/filter/filter-index';
import { matchFilter } from '../lib/filter/match';
import { parseFilter } from '../lib/filter/parse';
import { printFilter } from '../lib/filter/print';
import type { Props } from '../lib/filter/props';

const time = (label: string, n: number, f: (i: number) => void): void => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f(i);
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${label.padEnd(48)} ${us.toFixed(3).padStart(10)} µs/op`);
};

const must = (text: string): Filter => {
  const r = parseFilter(text);
  if (!isRight(r)) throw new Error(r.left.reason);
  return r.right;
};

const text = '(&(name=service-42)(|(area>50)(host=*.example.com))(!(state=down)))';
const f = must(text);
const props: Props = new Map<string, Array<string | bigint>>([
  ['name', ['service-42']],
  ['area', [51n]],
  ['host', ['a.example.com']],
  ['state', ['up']],
]);

time('parseFilter (composite)', 100_000, () => parseFilter(text));
time('printFilter (composite)', 100_000, () => printFilter(f));
time('matchFilter (composite)', 1_000_000, () => matchFilter(f, props));
const sub = must('(host=*.example.*m)');
time('matchFilter (substring)', 1_000_000, () => matchFilter(sub, props));

for (const n of [100, 100_000]) {
  let ix = emptyFilterIndex<number>();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ix = indexAdd(ix, i, i, must(`(name=service-${i})`));
  console.log(`index build, ${n} subscriptions: ${(performance.now() - t0).toFixed(0)} ms`);
  const p: Props = new Map([['name', ['service-5']]]);
  time(`indexCandidates, ${n} (name=x) subscriptions`, 100_000, () => indexCandidates(ix, p, props));
}

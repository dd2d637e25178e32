import { isRight } from 'fp-ts/Either';
import * as filter from '../../lib/filter';

describe('lib/filter public API', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(filter).sort()).toEqual([
      'emptyFilterIndex',
      'escapeFilterValue',
      'indexAdd',
      'indexCandidates',
      'indexRemove',
      'indexSize',
      'matchFilter',
      'parseFilter',
      'printFilter',
    ]);
  });

  it('wires parse, print, match and the index together', () => {
    const r = filter.parseFilter('(&(name=service-1)(prop=1))');
    if (!isRight(r)) throw new Error(r.left.reason);
    const f: filter.Filter = r.right;
    const p: filter.Props = new Map<string, filter.PropValue[]>([
      ['name', ['service-1']],
      ['prop', [1n]],
    ]);
    expect(filter.printFilter(f)).toBe('(&(name=service-1)(prop=1))');
    expect(filter.matchFilter(f, p)).toBe(true);
    const ix: filter.FilterIndex<string> = filter.indexAdd(filter.emptyFilterIndex<string>(), 'sub', 0, f);
    expect(filter.indexCandidates(ix, p)).toEqual(['sub']);
    expect(filter.escapeFilterValue('a=b')).toBe('a\\=b');
  });
});

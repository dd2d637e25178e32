import * as filter from '../../lib/filter';
import { PafError, PafFilterError } from '../../lib/errors';

describe('rxpaf/filter public API', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(filter).sort()).toEqual([
      'PafError',
      'PafFilterError',
      'escapeFilterValue',
      'matchFilter',
      'parseFilter',
      'printFilter',
    ]);
  });

  it('parses, prints and matches public-model properties', () => {
    const f: filter.Filter = filter.parseFilter('(&(name=service-1)(prop>0))');
    const props: filter.ServiceProps = { name: ['service-1'], prop: [1n] };
    expect(filter.printFilter(f)).toBe('(&(name=service-1)(prop>0))');
    expect(filter.printFilter({ op: 'eq', key: 'k', value: 'a(b)' })).toBe('(k=a\\(b\\))');
    expect(filter.matchFilter(f, props)).toBe(true);
    expect(filter.matchFilter('(prop>0)', { prop: ['1'] })).toBe(false);
    expect(filter.matchFilter('(!(name=*))', {})).toBe(true);
    expect(filter.escapeFilterValue('a=b')).toBe('a\\=b');
    expect(filter.matchFilter(`(name=${filter.escapeFilterValue('x*(y)')})`, { name: ['x*(y)'] })).toBe(true);
  });

  it('throws PafFilterError with a stable code and the position', () => {
    const bad = (): unknown => filter.parseFilter('(key=)');
    expect(bad).toThrow(PafFilterError);
    try {
      bad();
    } catch (e) {
      expect(e).toBeInstanceOf(PafError);
      expect((e as PafFilterError).code).toBe('PAF_INVALID_FILTER');
      expect((e as PafFilterError).position).toBe(5);
    }
    expect(() => filter.matchFilter('(a=1', {})).toThrow(PafFilterError);
    expect(() => filter.printFilter('nope')).toThrow(PafFilterError);
  });
});

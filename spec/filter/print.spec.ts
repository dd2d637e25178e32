import fc from 'fast-check';
import { isRight, right } from 'fp-ts/Either';
import type { Filter } from '../../lib/filter/ast';
import { parseFilter } from '../../lib/filter/parse';
import { printFilter } from '../../lib/filter/print';
import { filterArb, wideUniverse } from './arbitraries';

/** §6.4: valid examples; they must round-trip exactly. */
const VALID_EXAMPLES = [
  '(key=*)',
  '(key=value)',
  '(k\\)ey=va\\=lue)',
  '(key=\\\\)',
  '(key>42)',
  '(key>-42)',
  '(|(key>42)(key=42))',
  '(key=v*e)',
  '(key=v*e*)',
  '(key=*v*e*)',
  '(key=foo.*)',
  '(key=f[oo.*)',
  '(!(key=value))',
  '(!(!(key=value)))',
  '(&(key0=value0)(key1=*))',
  '(&(key0=value0)(!(|(key1=value1)(key2=value2))))',
  '(game= a space adventure )',
  // test_list_subscriptions relies on this coming back unchanged (§6.6)
  '(&(name=service-7)(prop=7))',
];

const reprint = (text: string): string => {
  const r = parseFilter(text);
  if (!isRight(r)) throw new Error(`${text}: ${r.left.reason}`);
  return printFilter(r.right);
};

describe('printFilter (§6.6)', () => {
  it.each(VALID_EXAMPLES)('round-trips the §6.4 valid example %s exactly', (text) => {
    expect(reprint(text)).toBe(text);
  });

  it('prints integers in plain decimal', () => {
    expect(reprint('(a>+5)')).toBe('(a>5)');
    expect(reprint('(a>007)')).toBe('(a>7)');
    expect(reprint('(a<-0)')).toBe('(a<0)');
    expect(reprint('(a<1_000)')).toBe('(a<1000)');
    expect(reprint('(a<٤٢)')).toBe('(a<42)');
  });

  it('prints escapes canonically: specials escaped, ! never (A3)', () => {
    expect(reprint('(a\\!b=c\\!)')).toBe('(a!b=c!)');
    expect(reprint('(a!b=c!)')).toBe('(a!b=c!)');
    expect(reprint('(a=\\!*\\!*\\!)')).toBe('(a=!*!*!)');
    expect(reprint('(\\*=\\*)')).toBe('(\\*=\\*)');
  });

  it('escapes a ! at the start of a key, the only place where it would read as NOT', () => {
    expect(reprint('(\\!a=b)')).toBe('(\\!a=b)');
    expect(reprint('(\\!\\!=b)')).toBe('(\\!!=b)');
    expect(printFilter({ op: 'present', key: '!' })).toBe('(\\!=*)');
  });

  it('prints each node type', () => {
    const eq: Filter = { op: 'eq', key: 'k(', value: 'v*' };
    expect(printFilter(eq)).toBe('(k\\(=v\\*)');
    expect(printFilter({ op: 'present', key: 'k' })).toBe('(k=*)');
    expect(printFilter({ op: 'substring', key: 'k', initial: undefined, any: [], final: 'x' })).toBe('(k=*x)');
    expect(printFilter({ op: 'substring', key: 'k', initial: 'a', any: ['b)', 'c'], final: undefined })).toBe(
      '(k=a*b\\)*c*)',
    );
    expect(printFilter({ op: 'gt', key: 'k', value: -12n })).toBe('(k>-12)');
    expect(printFilter({ op: 'lt', key: 'k', value: 2n ** 70n })).toBe('(k<1180591620717411303424)');
    expect(printFilter({ op: 'not', operand: eq })).toBe('(!(k\\(=v\\*))');
    expect(printFilter({ op: 'and', operands: [eq, eq] })).toBe('(&(k\\(=v\\*)(k\\(=v\\*))');
    expect(printFilter({ op: 'or', operands: [eq, { op: 'present', key: 'x' }] })).toBe('(|(k\\(=v\\*)(x=*))');
  });

  it('parse(print(f)) equals f for arbitrary filters', () => {
    fc.assert(
      fc.property(filterArb(wideUniverse), (f) => {
        expect(parseFilter(printFilter(f))).toEqual(right(f));
      }),
      { numRuns: 2000 },
    );
  });
});

import fc from 'fast-check';
import { right } from 'fp-ts/Either';
import { escapeFilterValue, isFilterSpecial } from '../../lib/filter/escape';
import { parseFilter } from '../../lib/filter/parse';
import { mixedString } from './arbitraries';

describe('escapeFilterValue (§6.5)', () => {
  it('reproduces the examples of §6.5', () => {
    expect(escapeFilterValue('foo\\bar')).toBe('foo\\\\bar');
    expect(escapeFilterValue('fo(o)')).toBe('fo\\(o\\)');
    expect(escapeFilterValue('')).toBe('');
  });

  it.each(['(', ')', '*', '\\', '&', '|', '=', '>', '<'])('prefixes the special %s with a backslash', (c) => {
    expect(isFilterSpecial(c)).toBe(true);
    expect(escapeFilterValue(`a${c}b${c}`)).toBe(`a\\${c}b\\${c}`);
  });

  it('does not escape ! (§6.5, A3) nor other characters', () => {
    expect(isFilterSpecial('!')).toBe(false);
    expect(escapeFilterValue('a!b ~"é😀\n')).toBe('a!b ~"é😀\n');
    expect(escapeFilterValue('!')).toBe('!');
  });

  it('isFilterSpecial only accepts single characters', () => {
    expect(isFilterSpecial('')).toBe(false);
    expect(isFilterSpecial('()')).toBe(false);
    expect(isFilterSpecial('a')).toBe(false);
  });

  it('escaped non-empty values parse back to themselves as Equal values', () => {
    fc.assert(
      fc.property(mixedString(1), (s) => {
        expect(parseFilter(`(k=${escapeFilterValue(s)})`)).toEqual(right({ op: 'eq', key: 'k', value: s }));
      }),
    );
  });
});

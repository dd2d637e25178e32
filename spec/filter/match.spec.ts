import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import type { Filter } from '../../lib/filter/ast';
import { compactProps } from '../../lib/filter/compact-props';
import { matchFilter } from '../../lib/filter/match';
import { parseFilter } from '../../lib/filter/parse';
import type { PropValue, Props } from '../../lib/filter/props';
import { filterArb, propsArb, smallUniverse } from './arbitraries';

const props = (obj: Record<string, PropValue[]>): Props => new Map(Object.entries(obj));
const parsed = (text: string): Filter => {
  const r = parseFilter(text);
  if (!isRight(r)) throw new Error(`${text}: ${r.left.reason}`);
  return r.right;
};
const matches = (text: string, p: Record<string, PropValue[]>): boolean => matchFilter(parsed(text), props(p));

/**
 * Reference for Substring (§6.3): pafd's Python regex `^init.*mid.*final$` by brute force: gaps may not
 * contain `\n` (`.`), and `$` also matches just before a final `\n`.
 */
const referenceSubstring = (parts: string[], s: string): boolean => {
  // parts[0] is anchored at the start; every later part follows a gap
  const go = (i: number, pos: number): boolean => {
    if (i === parts.length) return pos === s.length || (pos === s.length - 1 && s[pos] === '\n');
    for (let at = pos; at <= s.length; at++) {
      if (s.startsWith(parts[i]!, at) && go(i + 1, at + parts[i]!.length)) return true;
      if (s[at] === '\n') return false; // the gap cannot extend over a newline
    }
    return false;
  };
  return s.startsWith(parts[0]!) && go(1, parts[0]!.length);
};

describe('matchFilter: Equal (§6.3)', () => {
  it('compares string values as strings', () => {
    expect(matches('(name=foo)', { name: ['foo'] })).toBe(true);
    expect(matches('(name=foo)', { name: ['bar', 'foo'] })).toBe(true);
    expect(matches('(name=foo)', { name: ['Foo', 'foo '] })).toBe(false);
    expect(matches('(name=foo)', { other: ['foo'] })).toBe(false);
    expect(matches('(name=foo)', {})).toBe(false);
  });

  it('compares integer values through their decimal string', () => {
    expect(matches('(k=42)', { k: [42n] })).toBe(true);
    expect(matches('(k=42)', { k: ['42'] })).toBe(true);
    expect(matches('(k=1)', { k: ['1'] })).toBe(true);
    expect(matches('(k=1)', { k: [1n] })).toBe(true);
    expect(matches('(k=-5)', { k: [-5n] })).toBe(true);
    expect(matches('(k=+5)', { k: [5n] })).toBe(false);
    expect(matches('(k=042)', { k: [42n] })).toBe(false);
    expect(matches('(k=042)', { k: ['42'] })).toBe(false);
    expect(matches('(k=042)', { k: ['042'] })).toBe(true);
    expect(matches('(k=12345678901234567890123)', { k: [12345678901234567890123n] })).toBe(true);
  });

  it('compares escaped specials and ! literally', () => {
    expect(matches('(k\\)ey=va\\=lue)', { 'k)ey': ['va=lue'] })).toBe(true);
    expect(matches('(k=\\*)', { k: ['*'] })).toBe(true);
    expect(matches('(k=\\*)', { k: ['anything'] })).toBe(false);
    expect(matches('(k=a\\!)', { k: ['a!'] })).toBe(true);
    expect(matches('(k=a!)', { k: ['a!'] })).toBe(true);
  });
});

describe('matchFilter: Presence (§6.3)', () => {
  it('matches when the key has at least one value', () => {
    expect(matches('(k=*)', { k: ['x'] })).toBe(true);
    expect(matches('(k=*)', { k: [0n] })).toBe(true);
    expect(matches('(k=*)', { k: [''] })).toBe(true);
    expect(matches('(k=*)', { other: ['x'] })).toBe(false);
  });

  it('does not see keys without values (§3.2)', () => {
    expect(matches('(k=*)', { k: [] })).toBe(false);
    expect(matches('(!(k=*))', { k: [] })).toBe(true);
  });
});

describe('matchFilter: Substring (§6.3)', () => {
  it('is anchored at both ends', () => {
    expect(matches('(k=v*e)', { k: ['ve'] })).toBe(true);
    expect(matches('(k=v*e)', { k: ['vxxe'] })).toBe(true);
    expect(matches('(k=v*e)', { k: ['xve'] })).toBe(false);
    expect(matches('(k=v*e)', { k: ['vex'] })).toBe(false);
    expect(matches('(k=v*e*)', { k: ['vex'] })).toBe(true);
    expect(matches('(k=v*e*)', { k: ['vx'] })).toBe(false);
    expect(matches('(k=*v*e*)', { k: ['xxvxxexx'] })).toBe(true);
    expect(matches('(k=*v*e*)', { k: ['xxexxvxx'] })).toBe(false);
    expect(matches('(k=*foo)', { k: ['xfoo'] })).toBe(true);
    expect(matches('(k=*foo)', { k: ['foox'] })).toBe(false);
  });

  it('places the parts in order without overlap', () => {
    expect(matches('(k=ab*ba)', { k: ['aba'] })).toBe(false);
    expect(matches('(k=ab*ba)', { k: ['abba'] })).toBe(true);
    expect(matches('(k=a*a*a)', { k: ['aa'] })).toBe(false);
    expect(matches('(k=a*a*a)', { k: ['aaa'] })).toBe(true);
    expect(matches('(k=*ab*ab*)', { k: ['aab'] })).toBe(false);
    expect(matches('(k=*ab*ab*)', { k: ['abab'] })).toBe(true);
  });

  it('treats regex characters and escaped specials literally', () => {
    expect(matches('(key=f[oo.*)', { key: ['f[oo.txt'] })).toBe(true);
    expect(matches('(key=foo.*)', { key: ['fooXtxt'] })).toBe(false);
    expect(matches('(key=foo.*)', { key: ['foo.'] })).toBe(true);
    expect(matches('(k=^$*+?{1}\\|/)', { k: ['^$ anything +?{1}|/'] })).toBe(true);
    expect(matches('(k=\\(*\\**\\\\)', { k: ['(x*y\\'] })).toBe(true);
    expect(matches('(k=\\(*\\**\\\\)', { k: ['(xy\\'] })).toBe(false);
  });

  it('matches integer values through their decimal string (B6)', () => {
    expect(matches('(k=4*)', { k: [42n] })).toBe(true);
    expect(matches('(k=*2)', { k: [42n] })).toBe(true);
    expect(matches('(k=-*)', { k: [-1n] })).toBe(true);
    expect(matches('(k=0*)', { k: [42n] })).toBe(false);
  });

  it('follows Python regex semantics for values containing newlines', () => {
    expect(matches('(k=a*b)', { k: ['a\nb'] })).toBe(false); // `.` does not match \n
    expect(matches('(k=a*b)', { k: ['axb\n'] })).toBe(true); // `$` matches before a final \n
    expect(matches('(k=a*)', { k: ['a\n'] })).toBe(true);
    expect(matches('(k=a*)', { k: ['a\n\n'] })).toBe(false);
    expect(matches('(k=a*)', { k: ['a\nb'] })).toBe(false);
    expect(matches('(k=*\nb)', { k: ['a\nb'] })).toBe(true);
    expect(matches('(k=*\nb)', { k: ['x\ny\nb'] })).toBe(false);
    expect(matches('(k=a\n*)', { k: ['a\nbc'] })).toBe(true);
  });

  it('agrees with a brute-force model of the Python regex', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 8 });
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '\n'), minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.option(part, { nil: undefined }),
        fc.array(part, { maxLength: 3 }),
        fc.option(part, { nil: undefined }),
        text,
        (initial, any, final, s) => {
          fc.pre(initial !== undefined || any.length > 0 || final !== undefined);
          const f: Filter = { op: 'substring', key: 'k', initial, any, final };
          const expected = referenceSubstring([initial ?? '', ...any, final ?? ''], s);
          expect(matchFilter(f, props({ k: [s] }))).toBe(expected);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('matchFilter: Greater and Less (§6.3)', () => {
  it('compares integer values strictly', () => {
    expect(matches('(area>50)', { area: [51n] })).toBe(true);
    expect(matches('(area>50)', { area: [50n] })).toBe(false);
    expect(matches('(area<50)', { area: [49n] })).toBe(true);
    expect(matches('(area<50)', { area: [50n] })).toBe(false);
    expect(matches('(area>-1)', { area: [0n] })).toBe(true);
    expect(matches('(area<-1)', { area: [-2n] })).toBe(true);
    expect(matches('(area>50)', { area: [1n, 2n, 99n] })).toBe(true);
    expect(matches('(area>9223372036854775807)', { area: [9223372036854775808n] })).toBe(true);
    expect(matches('(area>50)', { other: [99n] })).toBe(false);
  });

  it('never matches string values, even numeric-looking ones', () => {
    expect(matches('(area>50)', { area: ['51'] })).toBe(false);
    expect(matches('(area<50)', { area: ['1'] })).toBe(false);
    expect(matches('(area>50)', { area: ['99', 10n] })).toBe(false);
    expect(matches('(area>50)', { area: ['1', 60n] })).toBe(true);
  });
});

describe('matchFilter: not, and, or (§6.3)', () => {
  const p = { name: ['foo'], area: [51n] };
  it('combines operands', () => {
    expect(matches('(&(name=foo)(area=51))', p)).toBe(true);
    expect(matches('(&(name=foo)(area=52))', p)).toBe(false);
    expect(matches('(&(name=foo)(area>50)(area<52))', p)).toBe(true);
    expect(matches('(|(name=bar)(area=51))', p)).toBe(true);
    expect(matches('(|(name=bar)(area=52))', p)).toBe(false);
    expect(matches('(!(name=foo))', p)).toBe(false);
    expect(matches('(!(name=bar))', p)).toBe(true);
    expect(matches('(!(!(name=foo)))', p)).toBe(true);
  });

  it('makes (!(k=v)) match a service lacking k', () => {
    expect(matches('(!(k=v))', {})).toBe(true);
    expect(matches('(!(k=v))', { k: ['w'] })).toBe(true);
    expect(matches('(!(k=v))', { k: ['w', 'v'] })).toBe(false);
  });

  it('negation inverts the result for arbitrary filters and props', () => {
    fc.assert(
      fc.property(filterArb(smallUniverse), propsArb, (f, pr) => {
        expect(matchFilter({ op: 'not', operand: f }, pr)).toBe(!matchFilter(f, pr));
      }),
      { numRuns: 2000 },
    );
  });

  it('and/or are every/some over the operands', () => {
    fc.assert(
      fc.property(fc.array(filterArb(smallUniverse), { minLength: 2, maxLength: 4 }), propsArb, (operands, pr) => {
        const each = operands.map((g) => matchFilter(g, pr));
        expect(matchFilter({ op: 'and', operands }, pr)).toBe(each.every((x) => x));
        expect(matchFilter({ op: 'or', operands }, pr)).toBe(each.some((x) => x));
      }),
    );
  });

  it('props as the directory keeps them (compact: single values without a list) match as the Map they stand for', () => {
    // keys with 0-3 values: an empty list is a key without values (§3.2), which no filter finds
    const withEmpty = fc
      .tuple(propsArb, fc.subarray(['a', 'b', 'c', 'd']))
      .map(([m, empty]) => new Map([...m, ...empty.map((k) => [k, []] as [string, PropValue[]])]));
    fc.assert(
      fc.property(filterArb(smallUniverse), fc.oneof(propsArb, withEmpty), (f, m) => {
        expect(matchFilter(f, compactProps(m))).toBe(matchFilter(f, m));
      }),
      { numRuns: 2_000 },
    );
    expect(matches('(a=*)', { a: [] })).toBe(false);
    expect(matchFilter(parsed('(a=*)'), compactProps(props({ a: [] })))).toBe(false);
    expect(matchFilter(parsed('(a=42)'), compactProps(props({ a: [42n] })))).toBe(true);
    expect(matchFilter(parsed('(a>41)'), compactProps(props({ a: ['x', 42n] })))).toBe(true);
    expect(matchFilter(parsed('(a<0)'), compactProps(props({ a: ['-3'] })))).toBe(false);
    expect(matchFilter(parsed('(a=*4*)'), compactProps(props({ a: [142n] })))).toBe(true);
  });

  it('random filters match random props sometimes and fail sometimes (the generators are useful)', () => {
    const outcomes = fc.sample(fc.tuple(filterArb(smallUniverse), propsArb), { numRuns: 500, seed: 42 });
    const results = outcomes.map(([f, pr]) => matchFilter(f, pr));
    expect(results.filter((x) => x).length).toBeGreaterThan(50);
    expect(results.filter((x) => !x).length).toBeGreaterThan(50);
  });
});

import fc from 'fast-check';
import { isLeft, isRight, left, right } from 'fp-ts/Either';
import type { Filter } from '../../lib/filter/ast';
import { parseFilter } from '../../lib/filter/parse';
import { printFilter } from '../../lib/filter/print';

const ok = (f: Filter) => right(f);
const reasonOf = (text: string): string => {
  const r = parseFilter(text);
  if (isRight(r)) throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  return r.left.reason;
};

/** §6.4: the invalid examples (test_filter.py, test_paf.py, libpaf). */
const INVALID_EXAMPLES = [
  '(key=)',
  '(=value)',
  '(key)',
  '(&(key0=value0))',
  '(%(key0=value0))',
  '(|(key0=value0)(key1=value1)',
  '((|(key0=value0)(key1=value1))',
  '(&(key0=value0)(key1=value1))(key2=value2)',
  '(name=invalid\\aquote)',
  '(num>foo)',
  '(num< 99)',
  '(num>)',
  '(>9)',
  '(num<99.99)',
  '(name=service-x',
  '(&foo)',
  '(name=foo))',
  '',
];

describe('parseFilter: simple items (§6.2)', () => {
  it('parses Equal, Presence, Greater and Less', () => {
    expect(parseFilter('(key=value)')).toEqual(ok({ op: 'eq', key: 'key', value: 'value' }));
    expect(parseFilter('(key=*)')).toEqual(ok({ op: 'present', key: 'key' }));
    expect(parseFilter('(key>42)')).toEqual(ok({ op: 'gt', key: 'key', value: 42n }));
    expect(parseFilter('(key>-42)')).toEqual(ok({ op: 'gt', key: 'key', value: -42n }));
    expect(parseFilter('(key<42)')).toEqual(ok({ op: 'lt', key: 'key', value: 42n }));
  });

  it('parses Substring into initial, any and final (§6.2 eq-rhs)', () => {
    const sub = (initial: string | undefined, any: string[], final: string | undefined): Filter => ({
      op: 'substring',
      key: 'key',
      initial,
      any,
      final,
    });
    expect(parseFilter('(key=v*e)')).toEqual(ok(sub('v', [], 'e')));
    expect(parseFilter('(key=v*e*)')).toEqual(ok(sub('v', ['e'], undefined)));
    expect(parseFilter('(key=*v*e*)')).toEqual(ok(sub(undefined, ['v', 'e'], undefined)));
    expect(parseFilter('(key=foo.*)')).toEqual(ok(sub('foo.', [], undefined)));
    expect(parseFilter('(key=*foo)')).toEqual(ok(sub(undefined, [], 'foo')));
    expect(parseFilter('(key=f[oo.*)')).toEqual(ok(sub('f[oo.', [], undefined)));
    expect(parseFilter('(key=a*b*c*d)')).toEqual(ok(sub('a', ['b', 'c'], 'd')));
  });

  it('applies escapes in keys and values (§6.1)', () => {
    expect(parseFilter('(k\\)ey=va\\=lue)')).toEqual(ok({ op: 'eq', key: 'k)ey', value: 'va=lue' }));
    expect(parseFilter('(key=\\\\)')).toEqual(ok({ op: 'eq', key: 'key', value: '\\' }));
    expect(parseFilter('(\\(\\)\\*\\\\\\&\\|\\=\\>\\<=\\*)')).toEqual(ok({ op: 'eq', key: '()*\\&|=><', value: '*' }));
    expect(parseFilter('(k=a\\*b*)')).toEqual(
      ok({ op: 'substring', key: 'k', initial: 'a*b', any: [], final: undefined }),
    );
  });

  it('keeps every character, whitespace included (§6)', () => {
    expect(parseFilter('(game= a space adventure )')).toEqual(
      ok({ op: 'eq', key: 'game', value: ' a space adventure ' }),
    );
    expect(parseFilter('( k =\t\n)')).toEqual(ok({ op: 'eq', key: ' k ', value: '\t\n' }));
    expect(parseFilter('(ключ=значение😀)')).toEqual(ok({ op: 'eq', key: 'ключ', value: 'значение😀' }));
  });

  it('rejects empty keys and values (§6.2)', () => {
    expect(parseFilter('(key=)')).toEqual(
      left({ reason: 'Zero-length (sub)string values not permitted', position: 5 }),
    );
    expect(parseFilter('(=value)')).toEqual(left({ reason: 'Zero-length keys not permitted', position: 1 }));
    expect(parseFilter('(>9)')).toEqual(left({ reason: 'Zero-length keys not permitted', position: 1 }));
    expect(parseFilter('()')).toEqual(left({ reason: 'Zero-length keys not permitted', position: 1 }));
    expect(reasonOf('(key=**)')).toBe('Zero-length (sub)string values not permitted');
    expect(reasonOf('(key=a**b)')).toBe('Zero-length (sub)string values not permitted');
    expect(reasonOf('(key=*a**)')).toBe('Zero-length (sub)string values not permitted');
  });

  it('requires ) right after an item (§6.2)', () => {
    expect(parseFilter('(a=b=c)')).toEqual(left({ reason: "Expected to find ')', but found '='", position: 4 }));
    expect(reasonOf('(a=b(c)')).toBe("Expected to find ')', but found '('");
    expect(reasonOf('(a>1<2)')).toBe("Expected to find ')', but found '<'");
    expect(reasonOf('(a=*b&)')).toBe("Expected to find ')', but found '&'");
    expect(reasonOf('(key)')).toBe("Expected to find '=', '<' or '>', but found ')'");
  });
});

describe('parseFilter: escapes and ! (§6.1, A3)', () => {
  it('rejects escaping a non-special character', () => {
    expect(parseFilter('(name=invalid\\aquote)')).toEqual(
      left({ reason: "Escaped character 'a' is not a special character", position: 14 }),
    );
    expect(reasonOf('(k=\\ )')).toBe("Escaped character ' ' is not a special character");
    expect(reasonOf('(k=\\😀)')).toBe("Escaped character '😀' is not a special character");
  });

  it('treats a trailing backslash as an unexpected end', () => {
    expect(parseFilter('(k=v\\')).toEqual(left({ reason: 'Unexpected end of expression', position: 5 }));
    expect(parseFilter('(k\\')).toEqual(left({ reason: 'Unexpected end of expression', position: 3 }));
  });

  it('accepts unescaped ! inside keys and values', () => {
    expect(parseFilter('(a!b=c!)')).toEqual(ok({ op: 'eq', key: 'a!b', value: 'c!' }));
    expect(parseFilter('(a=!)')).toEqual(ok({ op: 'eq', key: 'a', value: '!' }));
    expect(parseFilter('(a!=b)')).toEqual(ok({ op: 'eq', key: 'a!', value: 'b' }));
    expect(parseFilter('(a=!*!)')).toEqual(ok({ op: 'substring', key: 'a', initial: '!', any: [], final: '!' }));
  });

  it('accepts \\! as an escaped ! (A3), also at the start of a key', () => {
    expect(parseFilter('(a\\!b=c\\!)')).toEqual(ok({ op: 'eq', key: 'a!b', value: 'c!' }));
    expect(parseFilter('(\\!a=b)')).toEqual(ok({ op: 'eq', key: '!a', value: 'b' }));
    expect(parseFilter('(k=\\!*)')).toEqual(ok({ op: 'substring', key: 'k', initial: '!', any: [], final: undefined }));
  });

  it('treats an unescaped ! at the start of an expression as NOT (§6.2)', () => {
    expect(parseFilter('(!a=b)')).toEqual(left({ reason: "Expected to find '(', but found 'a'", position: 2 }));
    expect(parseFilter('(!(a=b))')).toEqual(ok({ op: 'not', operand: { op: 'eq', key: 'a', value: 'b' } }));
  });
});

describe('parseFilter: integers (§6.2 int, D7)', () => {
  const int = (text: string) => parseFilter(`(a>${text})`);
  it.each<[string, bigint]>([
    ['0', 0n],
    ['+5', 5n],
    ['-0', 0n],
    ['007', 7n],
    ['-007', -7n],
    ['1_000', 1000n],
    ['1_2_3', 123n],
    ['0_0', 0n],
    ['٣', 3n], // ARABIC-INDIC DIGIT THREE
    ['١٢٣', 123n],
    ['１２', 12n], // FULLWIDTH
    ['-𝟗', -9n], // MATHEMATICAL BOLD DIGIT NINE (astral)
    ['𝟘𝟙', 1n], // MATHEMATICAL DOUBLE-STRUCK (adjacent run, digits 0 and 1)
    ['1٢3', 123n], // mixed scripts
    ['9223372036854775808', 9223372036854775808n],
    ['-123456789012345678901234567890', -123456789012345678901234567890n],
  ])('accepts %s as %s', (text, value) => {
    expect(int(text)).toEqual(ok({ op: 'gt', key: 'a', value }));
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '+',
    '-',
    '--1',
    '+-1',
    '_1',
    '1_',
    '1__0',
    '+_1',
    '0x10',
    '1e3',
    '99.99',
    '1,000',
    'foo',
    '½',
    '²',
  ])('rejects %j', (text) => {
    const r = int(text);
    expect(isLeft(r) && r.left.position).toBe(3);
  });

  it('reports non-integers with the offending text', () => {
    expect(reasonOf('(num>foo)')).toBe("'foo' is not an integer");
    expect(reasonOf('(num< 99)')).toBe("' 99' is not an integer");
  });

  it('mirrors the 4300-digit limit of Python int()', () => {
    expect(int('9'.repeat(4300))).toEqual(ok({ op: 'gt', key: 'a', value: BigInt('9'.repeat(4300)) }));
    expect(int('-' + '1_'.repeat(4299) + '1')).toEqual(ok({ op: 'gt', key: 'a', value: -BigInt('1'.repeat(4300)) }));
    expect(reasonOf(`(a<${'9'.repeat(4301)})`)).toMatch(/^Exceeds the limit \(4300 digits\)/);
  });

  it('converts every Unicode decimal digit to its value', () => {
    // Nd characters come in aligned runs of ten: check that assumption and the conversion for all of them
    const nd = /^\p{Nd}$/u;
    let checked = 0;
    let cp = 0;
    while (cp <= 0x10ffff) {
      if (!nd.test(String.fromCodePoint(cp))) {
        cp++;
        continue;
      }
      const start = cp;
      while (cp <= 0x10ffff && nd.test(String.fromCodePoint(cp))) cp++;
      expect((cp - start) % 10).toBe(0);
      for (let c = start; c < cp; c++) {
        expect(int(String.fromCodePoint(c))).toEqual(ok({ op: 'gt', key: 'a', value: BigInt((c - start) % 10) }));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(600);
  });
});

describe('parseFilter: composite expressions (§6.2)', () => {
  const a: Filter = { op: 'eq', key: 'a', value: '1' };
  const b: Filter = { op: 'eq', key: 'b', value: '2' };
  const c: Filter = { op: 'present', key: 'c' };

  it('parses and, or and not', () => {
    expect(parseFilter('(&(a=1)(b=2))')).toEqual(ok({ op: 'and', operands: [a, b] }));
    expect(parseFilter('(|(a=1)(b=2)(c=*))')).toEqual(ok({ op: 'or', operands: [a, b, c] }));
    expect(parseFilter('(!(!(a=1)))')).toEqual(ok({ op: 'not', operand: { op: 'not', operand: a } }));
    expect(parseFilter('(&(key0=value0)(!(|(key1=value1)(key2=value2))))')).toEqual(
      ok({
        op: 'and',
        operands: [
          { op: 'eq', key: 'key0', value: 'value0' },
          {
            op: 'not',
            operand: {
              op: 'or',
              operands: [
                { op: 'eq', key: 'key1', value: 'value1' },
                { op: 'eq', key: 'key2', value: 'value2' },
              ],
            },
          },
        ],
      }),
    );
  });

  it('requires at least two operands (§6.2, D5)', () => {
    expect(parseFilter('(&)')).toEqual(
      left({ reason: "Operator '&' requires at least two operand expressions", position: 2 }),
    );
    expect(reasonOf('(|(a=1))')).toBe("Operator '|' requires at least two operand expressions");
    expect(reasonOf('(&(key0=value0))')).toBe("Operator '&' requires at least two operand expressions");
  });

  it('requires ( or ) after & and | (§6.2)', () => {
    expect(parseFilter('(& (a=1)(b=2))')).toEqual(left({ reason: "Expected to find '(', but found ' '", position: 2 }));
    expect(reasonOf('(&foo)')).toBe("Expected to find '(', but found 'f'");
    expect(reasonOf('(&(a=1)x(b=2))')).toBe("Expected to find '(', but found 'x'");
  });

  it('gives NOT exactly one parenthesised operand (§6.2)', () => {
    expect(reasonOf('(!(a=1)(b=2))')).toBe("Expected to find ')', but found '('");
    expect(reasonOf('(!)')).toBe("Expected to find '(', but found ')'");
    expect(reasonOf('(!')).toBe('Unexpected end of expression');
  });

  it('rejects anything after the closing parenthesis (§6.2 END)', () => {
    expect(parseFilter('(name=foo))')).toEqual(left({ reason: 'Data after end of expression', position: 10 }));
    expect(reasonOf('(a=1) ')).toBe('Data after end of expression');
    expect(reasonOf('(&(key0=value0)(key1=value1))(key2=value2)')).toBe('Data after end of expression');
    expect(reasonOf(' (a=1)')).toBe("Expected to find '(', but found ' '");
  });

  it('reports an unexpected end at the end of the input', () => {
    for (const text of ['', '(', '(a', '(a=', '(a=1', '(a>1', '(&(a=1)', '(|(key0=value0)(key1=value1)']) {
      expect(parseFilter(text)).toEqual(left({ reason: 'Unexpected end of expression', position: text.length }));
    }
  });

  it.each(INVALID_EXAMPLES)('rejects the §6.4 invalid example %j', (text) => {
    expect(isLeft(parseFilter(text))).toBe(true);
  });
});

describe('parseFilter: robustness', () => {
  const nestedNot = (n: number) => '(!'.repeat(n) + '(a=1)' + ')'.repeat(n);

  it('accepts 1000 levels of nesting and refuses 1001', () => {
    expect(isRight(parseFilter(nestedNot(999)))).toBe(true);
    expect(parseFilter(nestedNot(1000))).toEqual(
      left({ reason: 'Expression nested more than 1000 levels deep', position: 2000 }),
    );
  });

  it('does not overflow the stack on very deep input', () => {
    expect(isLeft(parseFilter('(!('.repeat(100_000)))).toBe(true);
    expect(isLeft(parseFilter(nestedNot(100_000)))).toBe(true);
    expect(isLeft(parseFilter('('.repeat(100_000)))).toBe(true);
    expect(isLeft(parseFilter('(&(a=1)'.repeat(100_000)))).toBe(true);
  });

  it('never throws, and positions stay within the input', () => {
    const check = (text: string) => {
      const r = parseFilter(text);
      if (isLeft(r)) {
        expect(r.left.position).toBeGreaterThanOrEqual(0);
        expect(r.left.position).toBeLessThanOrEqual(text.length);
        expect(r.left.reason.length).toBeGreaterThan(0);
      }
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), check), { numRuns: 1000 });
    const alphabet = fc.constantFrom(...'()&|!=<>*\\ab1');
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 40 }), check), { numRuns: 5000 });
  });

  it('canonical printing of anything accepted parses back to the same AST', () => {
    const alphabet = fc.constantFrom(...'()&|!=<>*\\ab1_+-');
    // bias towards inputs that are accepted: wrap random bodies in parentheses
    const text = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 30 }),
      fc.string({ unit: alphabet, maxLength: 30 }).map((s) => `(${s})`),
    );
    let accepted = 0;
    fc.assert(
      fc.property(text, (t) => {
        const r = parseFilter(t);
        if (isRight(r)) {
          accepted++;
          expect(parseFilter(printFilter(r.right))).toEqual(r);
        }
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

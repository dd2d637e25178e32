import { left, right, type Either } from '../util/either';
import type { Filter } from './ast';
import { isFilterSpecial } from './escape';

/**
 * Why a filter string was rejected. `reason` is informational (§6.2: the messages are not part of
 * the protocol; the client only sees `invalid-filter-syntax`); `position` is the 0-based UTF-16
 * index in the input where the problem was detected (the input length for "unexpected end").
 *
 * @example
 * const e: FilterSyntaxError = { reason: 'Zero-length keys not permitted', position: 1 };
 */
export type FilterSyntaxError = { readonly reason: string; readonly position: number };

/**
 * Maximum nesting depth of parenthesised expressions. pafd has no explicit limit (Python's recursion
 * limit of ~1000 frames applies instead); we refuse deeper filters so that neither the parser nor the
 * matcher can overflow the stack.
 */
const MAX_DEPTH = 1000;

/**
 * Python (3.11+) `int()` refuses strings with more than 4300 digits ("Exceeds the limit (4300 digits)
 * for integer string conversion"); we mirror that, which also bounds the cost of BigInt conversion.
 */
const MAX_INT_DIGITS = 4300;

/** Thrown internally to unwind the recursive descent; never escapes `parseFilter`. */
class SyntaxFailure {
  constructor(readonly error: FilterSyntaxError) {}
}

const fail = (reason: string, position: number): never => {
  throw new SyntaxFailure({ reason, position });
};

/** §6.2 int: what Python `int()` accepts, minus surrounding whitespace (D7). */
const PY_INT_RE = /^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u;
const ND_RE = /^\p{Nd}$/u;

/**
 * Value of a Unicode decimal digit. Nd characters come in runs of ten, 0..9 (a Unicode stability
 * guarantee; adjacent runs may touch, e.g. U+1D7CE..U+1D7FF), so the value is the distance from the
 * start of the maximal run modulo 10.
 */
const digitValue = (cp: number): number => {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (start > 0 && ND_RE.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
};

/** Convert Python-`int()`-style text to a bigint, or a reason why it is not one. */
const pyInt = (s: string): bigint | string => {
  if (!PY_INT_RE.test(s)) return `'${s}' is not an integer`;
  let sign = '';
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    sign = s[0] === '-' ? '-' : '';
    body = s.slice(1);
  }
  let ascii = '';
  for (const ch of body) {
    if (ch === '_') continue;
    ascii += String.fromCharCode(0x30 + digitValue(ch.codePointAt(0) ?? 0x30));
  }
  if (ascii.length > MAX_INT_DIGITS) {
    return `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ${ascii.length} digits`;
  }
  return BigInt(sign + ascii);
};

const quoteChar = (text: string, pos: number): string => String.fromCodePoint(text.codePointAt(pos) ?? 0);

/** Recursive-descent parser over one input string (§6.2). All failures go through `fail`. */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseTop(): Filter {
    // §6.2: filter = "(" expr ")" END
    const f = this.parenExpr(1);
    if (this.pos < this.text.length) fail('Data after end of expression', this.pos);
    return f;
  }

  private expect(c: string): void {
    if (this.pos >= this.text.length) fail('Unexpected end of expression', this.pos);
    if (this.text[this.pos] !== c) {
      fail(`Expected to find '${c}', but found '${quoteChar(this.text, this.pos)}'`, this.pos);
    }
    this.pos++;
  }

  private peek(): string {
    if (this.pos >= this.text.length) fail('Unexpected end of expression', this.pos);
    return this.text[this.pos]!;
  }

  private parenExpr(depth: number): Filter {
    if (depth > MAX_DEPTH) fail(`Expression nested more than ${MAX_DEPTH} levels deep`, this.pos);
    this.expect('(');
    const f = this.expr(depth);
    // §6.2: after any item the next character must be `)` (e.g. `(a=b=c)` fails here)
    this.expect(')');
    return f;
  }

  private expr(depth: number): Filter {
    const c = this.peek();
    // §6.2: the operator is recognised only at the start of an expression
    if (c === '&' || c === '|') return this.composite(c, depth);
    if (c === '!') {
      this.pos++;
      // §6.2: NOT takes exactly one parenthesised expression
      return { op: 'not', operand: this.parenExpr(depth + 1) };
    }
    return this.simple();
  }

  private composite(c: '&' | '|', depth: number): Filter {
    this.pos++;
    const operands: Filter[] = [];
    while (true) {
      const next = this.peek();
      if (next === ')') break;
      // §6.2: after `&`/`|` the next character must be `(` or `)`
      if (next !== '(') fail(`Expected to find '(', but found '${quoteChar(this.text, this.pos)}'`, this.pos);
      operands.push(this.parenExpr(depth + 1));
    }
    // §6.2, D5: at least two operands
    if (operands.length < 2) fail(`Operator '${c}' requires at least two operand expressions`, this.pos);
    return { op: c === '&' ? 'and' : 'or', operands };
  }

  /**
   * §6.2 str: plain characters and escaped specials, up to (not including) the first unescaped special
   * or the end of the input. §6.1/A3: `\!` is accepted as an escaped `!`.
   */
  private str(): string {
    const text = this.text;
    let out = '';
    let chunk = this.pos;
    let i = this.pos;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '\\') {
        out += text.slice(chunk, i);
        // §6.1: a trailing backslash is "unexpected end"
        if (i + 1 >= text.length) fail('Unexpected end of expression', text.length);
        const esc = text[i + 1]!;
        // §6.1: only specials may be escaped; A3: `\!` is accepted too
        if (!isFilterSpecial(esc) && esc !== '!') {
          fail(`Escaped character '${quoteChar(text, i + 1)}' is not a special character`, i + 1);
        }
        out += esc;
        i += 2;
        chunk = i;
      } else if (isFilterSpecial(ch)) {
        break;
      } else {
        i++;
      }
    }
    this.pos = i;
    return out + text.slice(chunk, i);
  }

  private simple(): Filter {
    const keyStart = this.pos;
    const key = this.str();
    const c = this.peek();
    // §6.2: key must be non-empty
    if (key === '') fail('Zero-length keys not permitted', keyStart);
    if (c === '=') {
      this.pos++;
      return this.eqRhs(key);
    }
    if (c === '>' || c === '<') {
      this.pos++;
      const intStart = this.pos;
      const n = pyInt(this.str());
      // §6.2, D7: int = what Python int() accepts, no surrounding whitespace
      if (typeof n === 'string') return fail(n, intStart);
      return { op: c === '>' ? 'gt' : 'lt', key, value: n };
    }
    return fail(`Expected to find '=', '<' or '>', but found '${quoteChar(this.text, this.pos)}'`, this.pos);
  }

  /** §6.2 eq-rhs = str (Equal) / [str] "*" *( str1 "*" ) [str] (Presence or Substring). */
  private eqRhs(key: string): Filter {
    const startPos = this.pos;
    const initial = this.str();
    if (this.peek() !== '*') {
      // §6.2: an Equal value must be non-empty
      if (initial === '') fail('Zero-length (sub)string values not permitted', startPos);
      return { op: 'eq', key, value: initial };
    }
    const any: string[] = [];
    let final: string | undefined;
    while (true) {
      this.pos++; // the '*'
      const partStart = this.pos;
      const part = this.str();
      if (this.peek() === '*') {
        // §6.2: str1 is non-empty, so `**` is an error
        if (part === '') fail('Zero-length (sub)string values not permitted', partStart);
        any.push(part);
      } else {
        final = part === '' ? undefined : part;
        break;
      }
    }
    // §6.2: Presence if the right-hand side is exactly "*"
    if (initial === '' && any.length === 0 && final === undefined) return { op: 'present', key };
    return { op: 'substring', key, initial: initial === '' ? undefined : initial, any, final };
  }
}

/**
 * Parse a filter string (§6.2). Never throws: every input yields `Left` (syntax error, reported to
 * clients as `invalid-filter-syntax`) or `Right` (the AST). Nesting deeper than 1000 levels and integers
 * with more than 4300 digits are refused.
 *
 * @example
 * parseFilter('(&(name=foo)(area>50))'); // right({ op: 'and', operands: [...] })
 * parseFilter('(key=)'); // left({ reason: 'Zero-length (sub)string values not permitted', position: 5 })
 */
export function parseFilter(text: string): Either<FilterSyntaxError, Filter> {
  try {
    return right(new Parser(text).parseTop());
  } catch (e) {
    if (e instanceof SyntaxFailure) return left(e.error);
    throw e;
  }
}

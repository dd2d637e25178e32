/**
 * The JSON boundary (§3.1, §3.3 step 1, §15.2): a strict parser that keeps integers exact and tells `1` from `1.0`.
 *
 * Value model: an integer literal becomes a `bigint` (any size), a literal with a fraction or exponent becomes a
 * `number`, objects are null-prototype records (so `__proto__` is plain data; duplicate keys: last one wins, as in
 * Python's `json.loads`). Rejected: bad UTF-8, trailing data, raw control characters in strings, lone surrogate
 * escapes are kept (Python keeps them too), `NaN`/`Infinity`, nesting deeper than {@link MAX_DEPTH}. A failure is a
 * value naming the reason and position, never an exception.
 *
 * @example
 * parseJson('{"ta-id": 9223372036854775807}') // right({ 'ta-id': 9223372036854775807n })
 * parseJson('{"a": 1.0}')                     // right({ a: 1 })  (a number, not a bigint)
 */
import * as E from '../util/either';

export type Json = null | boolean | string | bigint | number | JsonArray | JsonObject;
export type JsonArray = readonly Json[];
export interface JsonObject {
  readonly [key: string]: Json;
}

/** Deepest nesting accepted; deeper documents are rejected instead of overflowing the stack. */
export const MAX_DEPTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode UTF-8 strictly; `undefined` if the bytes are not valid UTF-8. */
export const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
};

class ParseFailure {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {}
}

/** Parse one JSON document from text or UTF-8 bytes. */
export const parseJson = (input: string | Uint8Array): E.Either<string, Json> => {
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  if (text === undefined) return E.left('invalid UTF-8');
  const p = new Parser(text);
  try {
    p.ws();
    const v = p.value(0);
    p.ws();
    if (p.i !== text.length) p.fail('trailing data after JSON value');
    return E.right(v);
  } catch (e) {
    if (e instanceof ParseFailure) return E.left(`${e.reason} at offset ${e.position}`);
    return E.left('invalid JSON');
  }
};

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(reason: string): never {
    throw new ParseFailure(reason, this.i);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** Parse one value; `depth` is the number of arrays/objects enclosing it. */
  value(depth: number): Json {
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 0x7b /* { */:
        if (depth >= MAX_DEPTH) this.fail('nesting too deep');
        return this.object(depth + 1);
      case 0x5b /* [ */:
        if (depth >= MAX_DEPTH) this.fail('nesting too deep');
        return this.array(depth + 1);
      case 0x22 /* " */:
        return this.string();
      case 0x74 /* t */:
        return this.literal('true', true);
      case 0x66 /* f */:
        return this.literal('false', false);
      case 0x6e /* n */:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  literal<T extends Json>(word: string, v: T): T {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return v;
    }
    return this.fail('invalid literal');
  }

  number(): bigint | number {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const d0 = s.charCodeAt(i);
    if (d0 === 0x30) i++;
    else if (d0 >= 0x31 && d0 <= 0x39) {
      while (isDigit(s.charCodeAt(i))) i++;
    } else {
      this.i = i;
      this.fail('invalid number');
    }
    let float = false;
    if (s.charCodeAt(i) === 0x2e) {
      float = true;
      i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail('invalid number');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      float = true;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail('invalid number');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.i = i;
    const lit = s.slice(start, i);
    if (!float) return BigInt(lit);
    const n = Number(lit);
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }

  string(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let chunk = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(chunk, i);
        this.i = i + 1;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(chunk, i);
        i++;
        const e = s.charCodeAt(i);
        switch (e) {
          case 0x22:
            out += '"';
            break;
          case 0x5c:
            out += '\\';
            break;
          case 0x2f:
            out += '/';
            break;
          case 0x62:
            out += '\b';
            break;
          case 0x66:
            out += '\f';
            break;
          case 0x6e:
            out += '\n';
            break;
          case 0x72:
            out += '\r';
            break;
          case 0x74:
            out += '\t';
            break;
          case 0x75: {
            const hex = s.slice(i + 1, i + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.i = i;
              this.fail('invalid \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.i = i;
            this.fail(Number.isNaN(e) ? 'unterminated string' : 'invalid escape');
        }
        i++;
        chunk = i;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.i = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      i++;
    }
  }

  array(depth: number): JsonArray {
    this.i++;
    const out: Json[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth));
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.i--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  object(depth: number): JsonObject {
    this.i++;
    const out: Record<string, Json> = Object.create(null) as Record<string, Json>;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a string key');
      const k = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x3a) this.fail("expected ':'");
      this.i++;
      this.ws();
      out[k] = this.value(depth);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) {
        this.i--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Serialise a {@link Json} value: bigints verbatim as integer literals, numbers as JSON numbers (integral doubles
 * print without a decimal point), strings escaped as `JSON.stringify` does, objects in key insertion order.
 */
export const stringifyJson = (v: Json): string => {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      if (!Number.isFinite(v)) throw new RangeError('non-finite number cannot be serialised');
      return JSON.stringify(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) return '[' + (v as JsonArray).map(stringifyJson).join(',') + ']';
      return (
        '{' +
        Object.keys(v)
          .map((k) => JSON.stringify(k) + ':' + stringifyJson((v as JsonObject)[k]!))
          .join(',') +
        '}'
      );
  }
};

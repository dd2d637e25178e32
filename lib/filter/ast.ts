/**
 * A parsed filter expression (§6.2). Invariants of every AST produced by `parseFilter`:
 * keys are non-empty; `eq` values are non-empty; `substring` has at least one of
 * `initial`/`any`/`final`, every `any` element is non-empty and `initial`/`final` are
 * `undefined` rather than empty; `and`/`or` have at least two operands (§6.2, D5).
 *
 * @example
 * const f: Filter = {
 *   op: 'and',
 *   operands: [
 *     { op: 'eq', key: 'name', value: 'foo' },
 *     { op: 'gt', key: 'area', value: 50n },
 *   ],
 * }; // (&(name=foo)(area>50))
 */
export type Filter =
  | {
      /** `(key=value)`: some value of `key` equals `value` (an integer value compared as its decimal text). */
      readonly op: 'eq';
      /** The property key. */
      readonly key: string;
      /** The value, unescaped. */
      readonly value: string;
    }
  | {
      /** `(key=*)`: the service has the key. */
      readonly op: 'present';
      /** The property key. */
      readonly key: string;
    }
  | {
      /** `(key=initial*any*…*final)`: some value (an integer as its decimal text) matches the pattern. */
      readonly op: 'substring';
      /** The property key. */
      readonly key: string;
      /** The text the value starts with, if any. */
      readonly initial: string | undefined;
      /** Texts the value contains, in order, between `initial` and `final`. */
      readonly any: readonly string[];
      /** The text the value ends with, if any. */
      readonly final: string | undefined;
    }
  | {
      /** `(key>value)` / `(key<value)`: some integer value of `key` is greater / less (strings never match). */
      readonly op: 'gt' | 'lt';
      /** The property key. */
      readonly key: string;
      /** The bound. */
      readonly value: bigint;
    }
  | {
      /** `(!operand)`. */
      readonly op: 'not';
      /** The negated filter. */
      readonly operand: Filter;
    }
  | {
      /** `(&…)` / `(|…)`: all / any of the operands. */
      readonly op: 'and' | 'or';
      /** At least two filters. */
      readonly operands: readonly Filter[];
    };

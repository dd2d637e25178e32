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
  | { readonly op: 'eq'; readonly key: string; readonly value: string }
  | { readonly op: 'present'; readonly key: string }
  | {
      readonly op: 'substring';
      readonly key: string;
      readonly initial: string | undefined;
      readonly any: readonly string[];
      readonly final: string | undefined;
    }
  | { readonly op: 'gt' | 'lt'; readonly key: string; readonly value: bigint }
  | { readonly op: 'not'; readonly operand: Filter }
  | { readonly op: 'and' | 'or'; readonly operands: readonly Filter[] };

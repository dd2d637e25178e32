import fc from 'fast-check';
import type { Filter } from '../../lib/filter/ast';
import type { PropValue, Props } from '../../lib/filter/props';

/** Characters that stress the escaping rules: all nine specials, `!`, space, newline, non-ASCII. */
const TRICKY_CHARS = ['(', ')', '*', '\\', '&', '|', '=', '>', '<', '!', ' ', '\n', 'é', '😀', '٣'];
const ORDINARY_CHARS = ['a', 'b', 'k', 'e', 'y', '0', '1', '-', '.', '_'];

/** A string mixing ordinary and special characters. */
export const mixedString = (minLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(fc.constantFrom(...ORDINARY_CHARS), fc.constantFrom(...TRICKY_CHARS)),
    minLength,
    maxLength: 8,
  });

/** Ingredients of random filters: which keys, eq values, substring parts and integers to use. */
export type FilterUniverse = {
  readonly key: fc.Arbitrary<string>;
  readonly value: fc.Arbitrary<string>;
  readonly part: fc.Arbitrary<string>;
  readonly int: fc.Arbitrary<bigint>;
};

/** Wide universe for syntax round trips. */
export const wideUniverse: FilterUniverse = {
  key: mixedString(1),
  value: mixedString(1),
  part: mixedString(1),
  int: fc.bigInt(),
};

/** Small universe so that random filters and random props actually match each other often. */
export const smallUniverse: FilterUniverse = {
  key: fc.constantFrom('a', 'b', 'c'),
  value: fc.constantFrom('1', '42', '042', '-3', 'x', 'xy', 'y'),
  part: fc.constantFrom('x', 'y', '4', '2', '-'),
  int: fc.bigInt({ min: -5n, max: 50n }),
};

/** Well-formed filter ASTs (the invariants documented on `Filter`). */
export const filterArb = (u: FilterUniverse): fc.Arbitrary<Filter> => {
  const eq = fc.record({ op: fc.constant('eq' as const), key: u.key, value: u.value });
  const present = fc.record({ op: fc.constant('present' as const), key: u.key });
  const substring = fc
    .record({
      op: fc.constant('substring' as const),
      key: u.key,
      initial: fc.option(u.part, { nil: undefined }),
      any: fc.array(u.part, { maxLength: 3 }),
      final: fc.option(u.part, { nil: undefined }),
    })
    .filter((s) => s.initial !== undefined || s.any.length > 0 || s.final !== undefined);
  const cmp = fc.record({ op: fc.constantFrom('gt' as const, 'lt' as const), key: u.key, value: u.int });
  const leaf: fc.Arbitrary<Filter> = fc.oneof(eq, present, substring, cmp);
  return fc.letrec<{ filter: Filter }>((tie) => ({
    filter: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'filter' },
      leaf,
      tie('filter').map((operand): Filter => ({ op: 'not', operand })),
      fc
        .record({
          op: fc.constantFrom('and' as const, 'or' as const),
          operands: fc.array(tie('filter'), { minLength: 2, maxLength: 4, depthIdentifier: 'filter' }),
        })
        .map((f): Filter => f),
    ),
  })).filter;
};

const propValueArb: fc.Arbitrary<PropValue> = fc.oneof(
  fc.constantFrom<PropValue>('1', '42', '042', '-3', 'x', 'xy', 'yx', 'x-4', '', 1n, 42n, -3n, 50n, 0n),
  fc.bigInt({ min: -10n, max: 60n }),
);

/** Random props over the keys of `smallUniverse` (plus one foreign key), as the codec produces them. */
export const propsArb: fc.Arbitrary<Props> = fc
  .uniqueArray(
    fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.uniqueArray(propValueArb, { minLength: 1, maxLength: 3 })),
    { selector: ([k]) => k, maxLength: 4 },
  )
  .map((entries) => new Map(entries));

/**
 * lib/util/either.ts, fp-ts's Either without loading fp-ts (idle RSS, issue 12): its values are fp-ts's values
 * (same shape, compared deeply and by fp-ts's own guards), fp-ts's functions take them, and its guards take fp-ts's.
 */
import * as FE from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import fc from 'fast-check';

import { isLeft, isRight, left, right, type Either } from '../../lib/util/either';

describe('lib/util/either', () => {
  it("builds exactly fp-ts's values, and tells them apart as fp-ts does", () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(left(v)).toStrictEqual(FE.left(v));
        expect(right(v)).toStrictEqual(FE.right(v));
        expect(isLeft(FE.left(v))).toBe(true);
        expect(isRight(FE.left(v))).toBe(false);
        expect(isRight(FE.right(v))).toBe(true);
        expect(isLeft(FE.right(v))).toBe(false);
        expect(FE.isLeft(left(v))).toBe(true);
        expect(FE.isRight(right(v))).toBe(true);
      }),
    );
  });

  it("is what fp-ts's combinators take and give", () => {
    const half = (n: number): Either<string, number> => (n % 2 === 0 ? right(n / 2) : left(`${n} is odd`));
    expect(pipe(right<string, number>(8), FE.chain(half), FE.chain(half), FE.map(String))).toStrictEqual(right('2'));
    expect(pipe(right<string, number>(6), FE.chain(half), FE.chain(half))).toStrictEqual(left('3 is odd'));
    const r = FE.fromNullable('none')(undefined);
    expect(isLeft(r) ? r.left : r.right).toBe('none');
  });
});

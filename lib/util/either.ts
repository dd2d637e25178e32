/**
 * fp-ts's `Either` for the modules an idle daemon loads (option parsing, configuration, the filter parser, the codec's
 * fast path): the type is fp-ts's own (a type-only import, erased from the JavaScript), and `left`, `right`, `isLeft`
 * and `isRight` build and test values of exactly fp-ts's shape (`{ _tag: 'Left', left }`, `{ _tag: 'Right', right }`),
 * so every fp-ts function takes them and every fp-ts value passes here. What it saves: `fp-ts/Either` loads 11 modules
 * of fp-ts (its type classes) for these four one-liners, ~0.3 MB of an idle daemon's RSS (issue 12, bench/README.md
 * "lean17"). Where values are validated or combined (io-ts codecs, `pipe`, `chain`), fp-ts itself is used, loaded when
 * that code first runs.
 *
 * @example
 * const r: Either<string, number> = n > 0 ? right(n) : left('not positive');
 * if (isLeft(r)) console.log(r.left);
 */
import type { Either, Left, Right } from 'fp-ts/Either';

export type { Either, Left, Right };

/** fp-ts's `left`: an `Either` holding the failure `e`. */
export const left = <E = never, A = never>(e: E): Either<E, A> => ({ _tag: 'Left', left: e });

/** fp-ts's `right`: an `Either` holding the result `a`. */
export const right = <E = never, A = never>(a: A): Either<E, A> => ({ _tag: 'Right', right: a });

/** fp-ts's `isLeft`. */
export const isLeft = <E>(ma: Either<E, unknown>): ma is Left<E> => ma._tag === 'Left';

/** fp-ts's `isRight`. */
export const isRight = <A>(ma: Either<unknown, A>): ma is Right<A> => ma._tag === 'Right';

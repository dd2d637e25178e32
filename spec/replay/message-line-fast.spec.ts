/**
 * The reader of the recorder's message lines (lib/replay/event-codec.ts `fastMessageV2`: one sticky expression for
 * the frame, the values read at their places, times of up to 15 digits without `Number`) against the strict path:
 * for any numbers in the frame (zero, leading zeros, 16 and 17 digits, past 2^53, signs, fractions, exponents) and
 * any corruption of the frame, `decodeLine` of the recorder's form gives what the strict path gives for the same
 * record with a blank inserted (which no fast path takes), but the kept `text`.
 */
import * as E from 'fp-ts/Either';
import fc from 'fast-check';

import { decodeLine } from '../../lib/replay/event-codec';

const HELLO =
  '{"ta-cmd":"hello","ta-id":1,"msg-type":"request","client-id":7,"protocol-minimum-version":2,"protocol-maximum-version":3}';
const PUBLISH =
  '{"ta-cmd":"publish","ta-id":3,"msg-type":"request","service-id":9,"generation":0,"service-props":{"name":["foo"]},"ttl":30}';

const show = (r: ReturnType<typeof decodeLine>): unknown => {
  if (E.isLeft(r)) return 'left';
  const { text: _text, ...rest } = r.right as { text?: string };
  return JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
};
/** The same record, written so that only the strict path reads it. */
const strict = (line: string): string => `{ ${line.slice(1)}`;

const int = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.constantFrom('0', '00', '01', '-1', '1.5', '1e3', '9007199254740991', '9007199254740992', '9007199254740993'),
  fc.constantFrom('1234567890123456', '9999999999999999', '12345678901234567', ''),
  fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String),
);
const num = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc.constantFrom('1700000000', '1700000000.0010998', '-0', '0', '00', '1.', '.5', '1e', '1E+2', '1e-7', '-', '2e400'),
  fc.constantFrom('9007199254740993', '12345678901234567890', '-12', '1.5e3'),
);

describe('message lines: the hand-written fast reader', () => {
  it('agrees with the strict path on any numbers in the frame', () => {
    fc.assert(
      fc.property(int, fc.option(int), num, int, fc.constantFrom(HELLO, PUBLISH), (seq, d, at, conn, msg) => {
        const line = `{"seq":${seq}${d === null ? '' : `,"d":${d}`},"at":${at},"type":"message","conn":${conn},"msg":${msg}}`;
        const fast = decodeLine(line);
        expect(show(fast)).toEqual(show(decodeLine(strict(line))));
        // the recorder's own numbers take a fast path, which keeps the message's text
        const plain =
          [seq, d ?? '0', conn].every((x) => /^(0|[1-9]\d{0,14})$/.test(x)) && /^(0|[1-9]\d{0,9})(\.\d+)?$/.test(at);
        if (E.isRight(fast) && fast.right.kind === 'event' && plain) expect(fast.right.text).toBe(msg);
        if (plain) expect(E.isRight(fast)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the strict path on tick and work lines, for any numbers in the frame', () => {
    fc.assert(
      fc.property(int, fc.option(int), num, fc.constantFrom('tick', 'work'), (seq, d, at, type) => {
        const line = `{"seq":${seq}${d === null ? '' : `,"d":${d}`},"at":${at},"type":"${type}"}`;
        const fast = decodeLine(line);
        expect(show(fast)).toEqual(show(decodeLine(strict(line))));
        const plain =
          [seq, d ?? '0'].every((x) => /^(0|[1-9]\d{0,14})$/.test(x)) && /^(0|[1-9]\d{0,9})(\.\d+)?$/.test(at);
        if (plain) expect(E.isRight(fast)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the strict path on corruptions of a recorded tick or work line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          '{"seq":12,"d":3,"at":1700000000.25,"type":"tick"}',
          '{"seq":12,"at":1700000001,"type":"work"}',
        ),
        fc.nat({ max: 60 }),
        fc.constantFrom('', '"', '\\', ',', '}', '{', ':', '-', '.', '0', '9', 'e', ' ', 'x', 'k', 's'),
        fc.boolean(),
        (line, k0, c, replace) => {
          const k = Math.min(k0, line.length);
          const bad = line.slice(0, k) + c + line.slice(replace ? k + 1 : k);
          if (!bad.startsWith('{"seq"')) return;
          expect(show(decodeLine(bad))).toEqual(show(decodeLine(strict(bad))));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with the strict path on corruptions of a recorded line', () => {
    const line = `{"seq":12,"d":3,"at":1700000000.25,"type":"message","conn":7,"msg":${PUBLISH}}`;
    fc.assert(
      fc.property(
        fc.nat({ max: line.length }),
        fc.constantFrom('', '"', '\\', ',', '}', '{', ':', '-', '.', '0', '9', 'e', ' ', 'x'),
        fc.boolean(),
        (k, c, replace) => {
          const bad = line.slice(0, k) + c + line.slice(replace ? k + 1 : k);
          if (!bad.startsWith('{"seq"')) return;
          expect(show(decodeLine(bad))).toEqual(show(decodeLine(strict(bad))));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

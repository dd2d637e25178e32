import { either as E } from 'fp-ts';
import { getopt, parsePyInt } from '../../lib/config/getopt';

const SHORT = 'f:m:sb:x:o:nu:l:y:c:r:vh';
const LONG = ['record=', 'record-outbound'];

describe('getopt', () => {
  it.each<[string[], Array<[string, string]>, string[]]>([
    [
      ['-s', '-n'],
      [
        ['-s', ''],
        ['-n', ''],
      ],
      [],
    ],
    [
      ['-sn'],
      [
        ['-s', ''],
        ['-n', ''],
      ],
      [],
    ],
    [
      ['-c5', '-c', '6'],
      [
        ['-c', '5'],
        ['-c', '6'],
      ],
      [],
    ],
    [
      ['-snc', '7', 'ux:a'],
      [
        ['-s', ''],
        ['-n', ''],
        ['-c', '7'],
      ],
      ['ux:a'],
    ],
    [['-m', 'a+b', 'ux:x', '-s'], [['-m', 'a+b']], ['ux:x', '-s']],
    [['-s', '--', '-n'], [['-s', '']], ['-n']],
    [['-s', '-', '-n'], [['-s', '']], ['-', '-n']],
    [['-c', '-s'], [['-c', '-s']], []],
    [
      ['--record', 'r.log', '--record-outbound'],
      [
        ['--record', 'r.log'],
        ['--record-outbound', ''],
      ],
      [],
    ],
    [
      ['--record=r.log', '--record-o'],
      [
        ['--record', 'r.log'],
        ['--record-outbound', ''],
      ],
      [],
    ],
  ])('should parse %j', (argv, opts, args) => {
    expect(getopt(argv, SHORT, LONG)).toEqual(E.right({ opts, args }));
  });

  it.each([
    [['-z'], 'option -z not recognized'],
    [['-sz'], 'option -z not recognized'],
    [['-:'], 'option -: not recognized'],
    [['-c'], 'option -c requires argument'],
    [['--help'], 'option --help not recognized'],
    [['--record'], 'option --record requires argument'],
    [['--record-outbound=x'], 'option --record-outbound must not have an argument'],
    [['--rec', 'x'], 'option --rec not a unique prefix'],
  ])('should reject %j', (argv, message) => {
    expect(getopt(argv, SHORT, LONG)).toEqual(E.left(message));
  });
});

describe('parsePyInt', () => {
  it.each([
    ['5', 5],
    [' 42 ', 42],
    ['+3', 3],
    ['-1', -1],
    ['1_000', 1000],
    ['007', 7],
  ])('should parse %j like Python int()', (text, n) => {
    expect(parsePyInt(text)).toBe(n);
  });

  it.each(['', 'x', '1.5', '1e3', '0x10', '1__0', '_1', '5 5'])('should reject %j', (text) => {
    expect(parsePyInt(text)).toBeUndefined();
  });
});

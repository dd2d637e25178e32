import { either as E } from 'fp-ts';
import { parseYaml11 } from '../../lib/config/yaml-11';

describe('parseYaml11', () => {
  it('should load integers as bigint and floats as number, like PyYAML keeps int and float apart', () => {
    expect(parseYaml11('a: 3\nb: 3.0\nc: 0x10\nd: 010\ne: 1_000\nf: 1:30')).toEqual(
      E.right({ a: 3n, b: 3, c: 16n, d: 8n, e: 1000n, f: 90n }),
    );
  });

  it('should load the PyYAML booleans only', () => {
    expect(parseYaml11('[yes, No, ON, off, TRUE, false, y, n, Y, N]')).toEqual(
      E.right([true, false, true, false, true, false, 'y', 'n', 'Y', 'N']),
    );
  });

  it('should load null, ~ and empty values as null', () => {
    expect(parseYaml11('a: null\nb: ~\nc:')).toEqual(E.right({ a: null, b: null, c: null }));
  });

  it('should let the last of duplicate keys win, as PyYAML does', () => {
    expect(parseYaml11('a: 1\na: 2')).toEqual(E.right({ a: 2n }));
  });

  it('should support anchors, aliases and merge keys', () => {
    expect(parseYaml11('x: &s {min: 2}\ny: {<<: *s, max: 3}')).toEqual(
      E.right({ x: { min: 2n }, y: { min: 2n, max: 3n } }),
    );
  });

  it.each([
    ['a syntax error', 'a: [1'],
    ['an unknown tag', 'a: !python/object x'],
    ['several documents', 'a: 1\n---\nb: 2'],
  ])('should reject %s with a one-line message', (_n, text) => {
    expect(parseYaml11(text)).toEqual(E.left(expect.stringMatching(/^YAML error: [^\n]+$/)));
  });
});

/** `messageOf`: what an error text shows of a thrown value, whatever was thrown. */
import { messageOf, PafArgumentError } from '../lib/errors';

describe('messageOf', () => {
  it("shows an error's message, and any object's string message (errors of another realm)", () => {
    expect(messageOf(new PafArgumentError('bad server'))).toBe('bad server');
    expect(messageOf(new TypeError('x is not a function'))).toBe('x is not a function');
    expect(messageOf({ message: 'from a worker', stack: '...' })).toBe('from a worker');
  });

  it('shows other objects as JSON (bigints as digits), never as [object Object]', () => {
    expect(messageOf({ code: 7, id: 2n ** 63n - 1n })).toBe('{"code":7,"id":"9223372036854775807"}');
    expect(messageOf([1, 'a'])).toBe('[1,"a"]');
    expect(messageOf({ message: 42 })).toBe('{"message":42}');
  });

  it('falls back to the object tag when an object cannot be written as JSON (a cycle)', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(messageOf(cyclic)).toBe('[object Object]');
  });

  it('shows primitives by String', () => {
    expect(messageOf('plain text')).toBe('plain text');
    expect(messageOf(42)).toBe('42');
    expect(messageOf(null)).toBe('null');
    expect(messageOf(undefined)).toBe('undefined');
    expect(messageOf(Symbol('s'))).toBe('Symbol(s)');
  });
});

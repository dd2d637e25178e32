/**
 * Pure rules of the transport layer: XCM's message size limits, errno mapping of errors, and the DER reader that
 * finds a TLS peer's Subject Key Identifier for its §10.1 user id (malformed certificates give the empty id).
 */
import { PafTransportError } from '../../lib/errors';
import { payloadSize, toPayload } from '../../lib/transport/payload';
import { skiUserId, subjectKeyIdentifier } from '../../lib/transport/ski';
import { errnoOf, toTransportError } from '../../lib/transport/transport-error';

/** What `f` throws (fails the test when it returns). */
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
};

describe('outbound message size (XCM: 1..maxSize bytes)', () => {
  it('measures strings as UTF-8 and accepts a message of exactly maxSize bytes', () => {
    expect(payloadSize('äö', 4)).toBe(4);
    expect(toPayload('äö', 4)).toEqual(Buffer.from([0xc3, 0xa4, 0xc3, 0xb6]));
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(toPayload(view, 3)).toEqual(Buffer.from([1, 2, 3]));
    expect(payloadSize(view, 3)).toBe(3);
  });

  it('refuses an empty message with EINVAL', () => {
    for (const p of ['', new Uint8Array(0)]) {
      expect(thrown(() => payloadSize(p, 10))).toMatchObject({ errno: 'EINVAL', code: 'PAF_TRANSPORT' });
      expect(() => toPayload(p, 10)).toThrow('zero-length messages cannot be sent');
    }
  });

  it('refuses a message above the limit with EMSGSIZE, naming both sizes', () => {
    expect(thrown(() => toPayload('ä', 1))).toMatchObject({
      errno: 'EMSGSIZE',
      message: 'message of 2 bytes exceeds the 1 byte limit',
    });
    expect(thrown(() => payloadSize(new Uint8Array(11), 10))).toMatchObject({ errno: 'EMSGSIZE' });
  });
});

describe('transport errors', () => {
  it('errnoOf: a transport error keeps its errno, a Node error gives its code, anything else EIO', () => {
    expect(errnoOf(new PafTransportError('x', 'EPROTO'))).toBe('EPROTO');
    expect(errnoOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errnoOf(Object.assign(new Error('x'), { code: 42 }))).toBe('EIO');
    expect(errnoOf(null)).toBe('EIO');
    expect(errnoOf('text')).toBe('EIO');
  });

  it('toTransportError passes transport errors through and wraps anything else with its context', () => {
    const own = new PafTransportError('bad address', 'EINVAL');
    expect(toTransportError('connect', own)).toBe(own);
    const node = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const wrapped = toTransportError('connect tcp:127.0.0.1:1', node);
    expect(wrapped).toBeInstanceOf(PafTransportError);
    expect(wrapped).toMatchObject({ message: 'connect tcp:127.0.0.1:1: refused', errno: 'ECONNREFUSED', cause: node });
    expect(toTransportError('read', 'gone')).toMatchObject({ message: 'read: gone', errno: 'EIO' });
  });
});

/** One DER TLV with a short (< 128) or long-form length. */
const tlv = (tag: number, ...content: number[][]): number[] => {
  const body = content.flat();
  const n = body.length;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...body];
};
const SEQ = 0x30;
const OID = (...b: number[]): number[] => tlv(0x06, b);
const SKI = [0x55, 0x1d, 0x0e];
const octets = (...b: number[]): number[] => tlv(0x04, b);
/** A certificate skeleton: SEQUENCE { tbs SEQUENCE { version, [3] { SEQUENCE of extensions } }, sigAlg, sig }. */
const cert = (extensions: number[][], tbsTag = SEQ): Uint8Array =>
  new Uint8Array(
    tlv(
      SEQ,
      tlv(tbsTag, tlv(0xa0, tlv(0x02, [2])), tlv(0xa3, tlv(SEQ, ...extensions))),
      tlv(SEQ, OID(1, 2)),
      [0x03, 1, 0],
    ),
  );
const skiExt = (...keyId: number[]): number[] => tlv(SEQ, OID(...SKI), octets(...octets(...keyId)));

describe('Subject Key Identifier (§10.1 ski: user id)', () => {
  it('finds the key id among the extensions, also after a critical flag and with long-form lengths', () => {
    expect(skiUserId(cert([skiExt(0x01, 0xab)]))).toBe('ski:01:ab');
    const keyUsage = tlv(SEQ, OID(0x55, 0x1d, 0x0f), tlv(0x01, [0xff]), octets(3, 2, 5, 0xa0));
    const critical = tlv(SEQ, OID(...SKI), tlv(0x01, [0xff]), octets(...octets(0x0f)));
    expect(skiUserId(cert([keyUsage, critical]))).toBe('ski:0f');
    const long = Array.from({ length: 200 }, (_, i) => i & 0xff);
    expect(Array.from(subjectKeyIdentifier(cert([skiExt(...long)])))).toEqual(long);
  });

  it('gives the empty id for a missing certificate, or one without the extension', () => {
    expect(skiUserId(undefined)).toBe('ski:');
    expect(skiUserId(cert([tlv(SEQ, OID(0x55, 0x1d, 0x0f), octets(3, 2, 5, 0xa0))]))).toBe('ski:');
    const noExtensions = new Uint8Array(tlv(SEQ, tlv(SEQ, tlv(0xa0, tlv(0x02, [2])))));
    expect(skiUserId(noExtensions)).toBe('ski:');
  });

  it('gives the empty id for malformed DER instead of throwing', () => {
    const good = cert([skiExt(1, 2)]);
    expect(skiUserId(new Uint8Array([0x30]))).toBe('ski:'); // no length byte
    expect(skiUserId(good.slice(0, good.length - 1))).toBe('ski:'); // truncated: the outer length overruns
    expect(skiUserId(new Uint8Array([0x30, 0x80, 0x30, 0x00]))).toBe('ski:'); // long form with 0 length bytes
    expect(skiUserId(new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]))).toBe('ski:'); // more than 4 length bytes
    expect(skiUserId(cert([skiExt(1, 2)], 0x31))).toBe('ski:'); // tbs is not a SEQUENCE
    // the extension value must be an OCTET STRING holding an OCTET STRING
    expect(skiUserId(cert([tlv(SEQ, OID(...SKI), tlv(0x03, octets(1)))]))).toBe('ski:');
    expect(skiUserId(cert([tlv(SEQ, OID(...SKI), octets(...tlv(0x02, [1])))]))).toBe('ski:');
    // a child whose length overruns its parent ends the list: the extensions before it still count
    const overrun = [SEQ, 0x7f, 0x00];
    expect(skiUserId(cert([skiExt(7), overrun]))).toBe('ski:07');
    expect(skiUserId(cert([overrun, skiExt(7)]))).toBe('ski:');
  });
});

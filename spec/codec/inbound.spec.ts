/**
 * Inbound decoding's front (lib/codec/inbound.ts) and the daemon's decoder over a general path loaded when first
 * needed (lib/server/inbound.ts, idle RSS, issue 12): both decode exactly as `decodeClientMessage`; the general path
 * is asked for once, at the first message the fast path gives up on, and never for well-formed messages.
 */
import { decodeClientMessage, decodeGeneral } from '../../lib/codec/decode';
import { inboundDecoder } from '../../lib/codec/inbound';
import { decodeInbound } from '../../lib/server/inbound';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const inputs: ReadonlyArray<string | Uint8Array> = [
  '{"ta-cmd":"ping","ta-id":1,"msg-type":"request"}',
  utf8(
    '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":7,"protocol-minimum-version":2,"protocol-maximum-version":3}',
  ),
  utf8(
    '{"ta-cmd":"publish","ta-id":2,"msg-type":"request","service-id":5,"generation":1,"service-props":{"name":["a",1]},"ttl":3}',
  ),
  // given up by the fast path: the general path decides (a float ta-id, an escape, an unknown field, not JSON)
  '{"ta-cmd":"ping","ta-id":1.0,"msg-type":"request"}',
  utf8('{"ta-cmd":"subscribe","ta-id":3,"msg-type":"request","subscription-id":1,"filter":"(name=\\u0061)"}'),
  '{"ta-cmd":"ping","ta-id":1,"msg-type":"request","x":1}',
  'not json',
  new Uint8Array([0x7b, 0xff, 0x7d]),
];

describe('the inbound front', () => {
  it('decodes every input as decodeClientMessage does, the daemon front included', () => {
    for (const input of inputs) {
      const want = decodeClientMessage(input);
      expect(decodeInbound(input)).toStrictEqual(want);
      expect(inboundDecoder(() => decodeGeneral)(input)).toStrictEqual(want);
    }
  });

  it('asks for the general path once, at the first message the fast path gives up on', () => {
    let asked = 0;
    const decode = inboundDecoder(() => {
      asked++;
      return decodeGeneral;
    });
    expect(decode(inputs[0]!)._tag).toBe('Right');
    expect(decode(inputs[1]!)._tag).toBe('Right');
    expect(decode(inputs[7]!)).toStrictEqual({ _tag: 'Left', left: { reason: 'invalid JSON: invalid UTF-8' } });
    expect(asked).toBe(0);
    expect(decode(inputs[3]!)._tag).toBe('Left');
    expect(decode(inputs[4]!)._tag).toBe('Right');
    expect(asked).toBe(1);
  });
});

import { decodeClientMessage } from '../../lib/codec/decode';
import { encodeMessage } from '../../lib/codec/encode';
it('decodes a publish and encodes it back', () => {
  const r = decodeClientMessage(
    '{"ta-cmd":"publish","ta-id":9223372036854775807,"msg-type":"request","service-id":1,"generation":0,"service-props":{"a":["x","x",1],"b":[]},"ttl":3}',
  );
  expect(r._tag).toBe('Right');
  if (r._tag === 'Right') expect(encodeMessage(r.right)).toBe('{"ta-cmd":"publish","ta-id":9223372036854775807,"msg-type":"request","service-id":1,"generation":0,"service-props":{"a":["x",1]},"ttl":3}');
  expect(decodeClientMessage('{"ta-cmd":"ping","ta-id":1.0,"msg-type":"request"}')._tag).toBe('Left');
  expect(decodeClientMessage('{"ta-cmd":"ping","ta-id":1,"msg-type":"request","x":1}')._tag).toBe('Left');
});

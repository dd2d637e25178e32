import { TransportError } from './transport-error';

/** XCM's limits on an outbound message: 1..maxSize bytes (zero-length messages cannot be sent); returns `size`. */
export const checkPayloadSize = (size: number, maxSize: number): number => {
  if (size === 0) {
    throw new TransportError('zero-length messages cannot be sent', 'EINVAL');
  }
  if (size > maxSize) {
    throw new TransportError(`message of ${size} bytes exceeds the ${maxSize} byte limit`, 'EMSGSIZE');
  }
  return size;
};

/** Convert an outbound message to bytes (strings as UTF-8), enforcing XCM's 1..maxSize byte limits. */
export const toPayload = (payload: string | Uint8Array, maxSize: number): Buffer => {
  const bytes =
    typeof payload === 'string'
      ? Buffer.from(payload, 'utf8')
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  checkPayloadSize(bytes.length, maxSize);
  return bytes;
};

/** Byte size of an outbound message (strings as UTF-8), enforcing XCM's 1..maxSize byte limits; no copy is made. */
export const payloadSize = (payload: string | Uint8Array, maxSize: number): number =>
  checkPayloadSize(typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength, maxSize);

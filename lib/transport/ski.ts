/** A minimal DER reader: just enough to find the Subject Key Identifier extension of an X.509 certificate. */
interface Tlv {
  readonly tag: number;
  readonly start: number; // first content byte
  readonly end: number; // one past the last content byte
}

const readTlv = (der: Uint8Array, offset: number, limit: number): Tlv | undefined => {
  if (offset + 2 > limit) {
    return undefined;
  }
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) {
      return undefined;
    }
    length = 0;
    for (let i = 0; i < count; i++) {
      length = length * 256 + der[start + i]!;
    }
    start += count;
  }
  return start + length <= limit ? { tag, start, end: start + length } : undefined;
};

const children = (der: Uint8Array, parent: Tlv): Tlv[] => {
  const result: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const tlv = readTlv(der, offset, parent.end);
    if (!tlv) {
      return result;
    }
    result.push(tlv);
    offset = tlv.end;
  }
  return result;
};

/** DER encoding of OID 2.5.29.14 (subjectKeyIdentifier). */
const SKI_OID = [0x55, 0x1d, 0x0e];

const isSkiOid = (der: Uint8Array, tlv: Tlv): boolean =>
  tlv.tag === 0x06 && tlv.end - tlv.start === 3 && SKI_OID.every((b, i) => der[tlv.start + i] === b);

/**
 * The raw key identifier bytes of the certificate's Subject Key Identifier extension (OID 2.5.29.14), or an
 * empty array if the certificate (DER) has none or cannot be parsed.
 */
export const subjectKeyIdentifier = (der: Uint8Array): Uint8Array => {
  const cert = readTlv(der, 0, der.length);
  const tbs = cert && children(der, cert)[0];
  if (!tbs || tbs.tag !== 0x30) {
    return new Uint8Array(0);
  }
  const extensionsWrapper = children(der, tbs).find((tlv) => tlv.tag === 0xa3);
  const extensions = extensionsWrapper && children(der, extensionsWrapper)[0];
  for (const extension of extensions ? children(der, extensions) : []) {
    const [oid, ...rest] = children(der, extension);
    const value = rest[rest.length - 1];
    if (oid && value && isSkiOid(der, oid) && value.tag === 0x04) {
      const keyId = readTlv(der, value.start, value.end);
      if (keyId && keyId.tag === 0x04) {
        return der.slice(keyId.start, keyId.end);
      }
    }
  }
  return new Uint8Array(0);
};

/** The §10.1 user id of a TLS peer: 'ski:' + lowercase two-digit hex bytes joined by ':' ('ski:' if none). */
export const skiUserId = (der: Uint8Array | undefined): string =>
  `ski:${Array.from(der ? subjectKeyIdentifier(der) : [], (b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** The transport layer: XCM-compatible ux, uxf, tcp, tls and utls server sockets and client connections. */
export type { Connection, ConnectOptions, Listener, ListenOptions, TlsFiles, TransportKind } from './transport';
export { BACKPRESSURE_BYTES, BACKPRESSURE_MESSAGES, MAX_MESSAGE_SIZE, READ_FRAMES_PER_TURN } from './transport';
export { formatIpAddress, parseAddress } from './address';
export type { Host, ParseResult, ParsedAddress } from './address';
export { connect } from './connect';
export { listen } from './listen';
export { unixDgramSend } from './native';
export { TransportError } from './transport-error';
export { encodeFrame, FrameSplitter } from './framing';
export { skiUserId, subjectKeyIdentifier } from './ski';

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TransportError } from './transport-error';

/** A socket name as returned by the addon: abstract (without the leading NUL) or a file-system path. */
export interface NativeSockName {
  readonly abstract: boolean;
  readonly name: Buffer;
}

/** Readiness bits passed to poll callbacks. */
export const POLL_READABLE = 1;
/** Readiness bits passed to poll callbacks. */
export const POLL_WRITABLE = 2;

/** Opaque handle of a uv_poll_t watching one fd. */
export type PollHandle = { readonly __pollHandle: unique symbol };

/** The functions of build/Release/seqpacket.node (native/seqpacket.c). All throw Errors with an errno `code`. */
export interface SeqpacketAddon {
  listen(name: Buffer, abstract: boolean): number;
  connect(name: Buffer, abstract: boolean, local: Buffer | null): number;
  /** -1 when nothing is pending. */
  accept(fd: number): number;
  /** One record (length 0 = EOF; 262145 bytes = oversize), or null when nothing is readable. */
  recv(fd: number): Buffer | null;
  /** 1 when sent as one record, 0 on EAGAIN. */
  send(fd: number, payload: Buffer): number;
  peerName(fd: number): NativeSockName;
  localName(fd: number): NativeSockName;
  close(fd: number): void;
  unixDgramSend(path: string, payload: Buffer): void;
  pollStart(fd: number, callback: (events: number) => void): PollHandle;
  /** Watch POLL_READABLE | POLL_WRITABLE; 0 stops watching. */
  pollSet(handle: PollHandle, events: number): void;
  /** Stop for good; call before closing the fd. */
  pollClose(handle: PollHandle): void;
}

let addon: SeqpacketAddon | undefined;

const findAddon = (): string | undefined => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'Release', 'seqpacket.node');
    if (existsSync(candidate)) {
      return candidate;
    }
    if (dirname(dir) === dir) {
      return undefined;
    }
  }
};

/** Load (once) the native SOCK_SEQPACKET addon, looking for build/Release/seqpacket.node upwards from here. */
export const seqpacket = (): SeqpacketAddon => {
  if (!addon) {
    const path = findAddon();
    if (!path) {
      throw new TransportError('native addon build/Release/seqpacket.node not found (run node-gyp rebuild)', 'ENOENT');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(path) as SeqpacketAddon;
  }
  return addon;
};

/** Send one datagram to a file-system AF_UNIX SOCK_DGRAM socket such as /dev/log (for syslog). Throws on error. */
export const unixDgramSend = (path: string, payload: string | Uint8Array): void =>
  seqpacket().unixDgramSend(path, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload));

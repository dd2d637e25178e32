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

/** The functions of the seqpacket addon (native/seqpacket.c). All throw Errors with an errno `code`. */
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
  /** glibc's malloc_trim(0); true when memory was released (absent from an addon built from an older source). */
  mallocTrim?(): boolean;
  /** glibc's mallopt(M_MMAP_THRESHOLD, bytes); true when set. */
  mallocMmapThreshold?(bytes: number): boolean;
  /** V8's Isolate::LowMemoryNotification(); false when node does not export it (lib/cli/memory-settle.ts). */
  lowMemoryNotification?(): boolean;
  /** libuv's idle time of the event loop so far (ms); -1 when not measured (lib/cli/memory-settle.ts). */
  loopIdleTime?(): number;
  /** Major (mark-compact) GCs since the first call; -1 when node does not export V8's GC callback API. */
  majorGcs?(): number;
  /**
   * The server side of tcp: (absent from an addon built from an older source: tcp: then uses node:net). A listening
   * TCP socket on an IP literal (IPv6 dual-stack), SO_REUSEADDR, backlog 1024.
   */
  tcpListen?(ip: string, port: number): number;
  /**
   * An accepted connection with XCM's options (TCP_NODELAY, keepalive 1 s / 1 s / 3, DSCP 40) and the peer's IP
   * address (inet_ntop form) and port, from accept itself; null when none is pending. The options are set on the
   * listening socket by tcpListen; an accepted socket inherits them (checked once per process with getsockopt, else
   * they are set on each).
   */
  tcpAcceptFrom?(fd: number): { fd: number; address: string; port: number } | null;
  /** Whether `fd` has XCM's tcp options (for tests; absent from an addon built from an older source). */
  tcpOptionsSet?(fd: number): boolean;
  /** TCP keepalive on (XCM's timings) or off. */
  tcpKeepAlive?(fd: number, on: boolean): void;
  /** Read into `buf`: bytes read (> 0), 0 at EOF, -1 when nothing is readable. */
  readInto?(fd: number, buf: Buffer): number;
  /** Write `buf[offset..]`: the bytes the kernel took (0 when none). */
  writeFrom?(fd: number, buf: Buffer, offset: number): number;
  /** FIN after what the kernel holds. */
  shutdownWrite?(fd: number): void;
  /** The peer's (`peer`) or own IP address (inet_ntop form) and port. */
  inetName?(fd: number, peer: boolean): { address: string; port: number };
}

/** The addon's functions the native tcp: transport needs (all present in an addon built from this source). */
export type NativeTcpAddon = SeqpacketAddon &
  Required<
    Pick<
      SeqpacketAddon,
      'tcpListen' | 'tcpAcceptFrom' | 'tcpKeepAlive' | 'readInto' | 'writeFrom' | 'shutdownWrite' | 'inetName'
    >
  >;

let addon: SeqpacketAddon | undefined;

/** The package root: the nearest directory upwards from here holding binding.gyp (lib/ in the repo, dist/lib installed). */
const packageRoot = (): string | undefined => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
};

/** What to do when the addon is missing: said once, in the error of every transport that needs it. */
const HOW_TO_FIX =
  'install a C compiler, make and python3 (e.g. apt-get install g++ make python3) and run `npm rebuild rxpaf`';

/**
 * Load (once) the native SOCK_SEQPACKET addon through node-gyp-build: a local build (build/Release, compiled at install
 * when no prebuilt binary fits) or the prebuilt binary shipped in prebuilds/<platform>-<arch>/. Throws a
 * {@link TransportError} (errno ENOENT) saying what to install when there is neither; only ux:, uxf: and utls:
 * (and syslog) need it.
 */
export const seqpacket = (): SeqpacketAddon => {
  if (!addon) {
    const root = packageRoot();
    try {
      if (root === undefined) throw new Error('binding.gyp not found above ' + __dirname);
      // A local build is what node-gyp-build would load first: loaded directly, node-gyp-build (which loads node:os,
      // 0.07 MB of idle RSS: bench/README.md, "lean16") is only needed to choose among the prebuilt binaries, or when
      // its environment variables point it elsewhere (RXPAF_PREBUILD: another directory; PREBUILDS_ONLY).
      const env = process.env;
      const local = join(root, 'build', 'Release', 'seqpacket.node');
      const direct = (env.RXPAF_PREBUILD ?? '') === '' && (env.PREBUILDS_ONLY ?? '') === '' && existsSync(local);
      const load = direct
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports
          (): unknown => require(local)
        : // eslint-disable-next-line @typescript-eslint/no-require-imports
          (require('node-gyp-build') as (dir: string) => unknown);
      addon = load(root) as SeqpacketAddon;
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      throw new TransportError(
        `the ux:, uxf: and utls: transports need rxpaf's native addon, which is neither prebuilt for ` +
          `${process.platform}-${process.arch} nor built here (${why}): ${HOW_TO_FIX}`,
        'ENOENT',
        { cause: e },
      );
    }
  }
  return addon;
};

/** Send one datagram to a file-system AF_UNIX SOCK_DGRAM socket such as /dev/log (for syslog). Throws on error. */
export const unixDgramSend = (path: string, payload: string | Uint8Array): void =>
  seqpacket().unixDgramSend(path, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload));

/**
 * The addon when it loads and has the tcp: functions, else undefined (tcp: then uses node:net). Set
 * `RXPAF_TCP=node` to use node:net anyway (benchmarks compare the two).
 */
export const nativeTcp = (): NativeTcpAddon | undefined => {
  if (process.env.RXPAF_TCP === 'node') return undefined;
  let a: SeqpacketAddon;
  try {
    a = seqpacket();
  } catch {
    return undefined;
  }
  return typeof a.tcpListen === 'function' && typeof a.tcpAcceptFrom === 'function' && typeof a.readInto === 'function'
    ? (a as NativeTcpAddon)
    : undefined;
};

import { HotChannel } from './hot-channel';
import { POLL_READABLE, type SeqpacketAddon } from './native';
import type { Connection, Listener } from './transport';

/** Accept at most this many connections per readiness event (a burst of connects is served between other events). */
const ACCEPT_BATCH = 64;

/**
 * A Listener over a listening fd of the native addon: each readiness event accepts up to {@link ACCEPT_BATCH}
 * connections with `accept` (an accepted fd with what the transport learnt with it, null when none is pending; an
 * error, e.g. EMFILE, waits for the next event) and hands each to `wrap` (undefined or a throw: the peer was gone
 * already, its fd is closed). `onClose` runs once at close(), after the fd is closed (a uxf socket file is unlinked
 * there).
 */
export const nativeListener = <A extends { readonly fd: number }>(
  addon: SeqpacketAddon,
  fd: number,
  address: string,
  accept: (fd: number) => A | null,
  wrap: (client: A) => Connection | undefined,
  onClose?: () => void,
): Listener => {
  const channel = new HotChannel<Connection>();
  let closed = false;
  const acceptSome = (): void => {
    for (let i = 0; i < ACCEPT_BATCH && !closed; i++) {
      let client: A | null;
      try {
        client = accept(fd);
      } catch {
        return; // e.g. EMFILE: try again at the next readiness event
      }
      if (client === null) return;
      let conn: Connection | undefined;
      try {
        conn = wrap(client);
      } catch {
        conn = undefined;
      }
      if (conn === undefined) addon.close(client.fd);
      else channel.next(conn);
    }
  };
  const poll = addon.pollStart(fd, acceptSome);
  addon.pollSet(poll, POLL_READABLE);
  return {
    address,
    connections$: channel.observable$,
    close: (): Promise<void> => {
      if (!closed) {
        closed = true;
        addon.pollClose(poll);
        addon.close(fd);
        onClose?.();
        channel.complete();
      }
      return Promise.resolve();
    },
  };
};

/**
 * The inputs of the client core: what the shell saw (a transport connected, failed, delivered a frame or closed;
 * a deadline came due; the domain file changed) and what the program asked for (publish, subscribe, a one-shot
 * request, close). The shell stamps every batch with the time, so the core never reads a clock.
 *
 * @example
 * const batch: Batch = { now: 1000, events: [{ type: 'subscribe', key: '(a=b)', id: 42n, filter: '(a=b)' }] };
 */
import type { Command } from '../../codec/messages';
import type { Props } from '../../filter/props';
import type { ConnId, ReqId } from './state';
import type { ServerSelector, ServerSpec } from './types';

export type ClientEvent =
  /** The domain file lists these servers now (the explicit ones are in the state). */
  | { readonly type: 'servers'; readonly servers: readonly ServerSpec[] }
  /** The transport of connection `conn` is connected. */
  | { readonly type: 'connected'; readonly conn: ConnId }
  /** Connection `conn` could not be established. */
  | { readonly type: 'connect-failed'; readonly conn: ConnId; readonly reason: string; readonly cause?: unknown }
  /** One message from the server. */
  | { readonly type: 'frame'; readonly conn: ConnId; readonly data: Uint8Array | string }
  /** The server closed connection `conn` (or it failed). */
  | { readonly type: 'closed'; readonly conn: ConnId; readonly reason: string; readonly cause?: unknown }
  /** The shell's timer for the deadline at `at` (ms) fired: every deadline up to then (or now) is due. */
  | { readonly type: 'tick'; readonly at: number }
  | {
      readonly type: 'publish';
      readonly req: ReqId;
      readonly id: bigint;
      readonly generation: bigint;
      readonly props: Props;
      readonly ttl: number;
    }
  /** A new generation of an own service (the shell counts generations). */
  | {
      readonly type: 'modify';
      readonly req: ReqId;
      readonly id: bigint;
      readonly generation: bigint;
      readonly props: Props;
      readonly ttl: number;
    }
  | { readonly type: 'unpublish'; readonly req: ReqId; readonly id: bigint }
  /** Open the subscription `key` (one per distinct filter) with subscription id `id`. */
  | { readonly type: 'subscribe'; readonly key: string; readonly id: bigint; readonly filter: string | undefined }
  | { readonly type: 'unsubscribe'; readonly key: string }
  /** A one-shot transaction (`ping`, `services`, `clients`, ...) on one server. */
  | {
      readonly type: 'request';
      readonly req: ReqId;
      readonly cmd: Command;
      readonly fields: Readonly<Record<string, unknown>>;
      readonly server: ServerSelector | undefined;
    }
  /** Send a track query (v3) and report the round trip. */
  | { readonly type: 'track-query'; readonly req: ReqId; readonly server: ServerSelector | undefined }
  /** The program lost interest in a one-shot request (later answers are dropped). */
  | { readonly type: 'cancel'; readonly req: ReqId }
  /** The next slice of work the core asked for (`continue` effect). */
  | { readonly type: 'continue' }
  | { readonly type: 'close' };

/** The events of one event-loop turn and the time (ms) they are processed at. */
export interface Batch {
  readonly now: number;
  readonly events: readonly ClientEvent[];
}

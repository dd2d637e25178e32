/**
 * The outputs of the client core, interpreted by the shell: transport actions (connect, send, close, keepalive),
 * link states, merged matches per subscription (at most one batch per subscription per step), answers to the
 * program's requests, and the end of the client.
 *
 * @example
 * const fx: Effect = { type: 'send', conn: 1, msg: { 'ta-cmd': 'ping', 'ta-id': 4, 'msg-type': 'request' } };
 */
import type { PafError } from '../../errors';
import type { Match } from '../../model';
import type { MergeMap } from './merge';
import type { ConnId, ReqId } from './state';
import type { ConnectionState, ServerSpec } from './types';
import type { ServerMsg } from './wire';

export type Effect =
  | { readonly type: 'connect'; readonly conn: ConnId; readonly spec: ServerSpec; readonly timeoutMs: number }
  | { readonly type: 'send'; readonly conn: ConnId; readonly msg: Readonly<Record<string, unknown>> }
  | { readonly type: 'close'; readonly conn: ConnId }
  | { readonly type: 'keepalive'; readonly conn: ConnId; readonly on: boolean }
  | { readonly type: 'link'; readonly state: ConnectionState }
  /** The subscription's merged view after this step and the matches that led to it (in order). */
  | { readonly type: 'matches'; readonly key: string; readonly view: MergeMap; readonly changes: readonly Match[] }
  /** The subscription ended: failed on a server, or the client closed (no error). */
  | { readonly type: 'sub-end'; readonly key: string; readonly error?: PafError }
  /** An `accept` or `notify` of a one-shot request. */
  | { readonly type: 'response'; readonly req: ReqId; readonly msg: ServerMsg }
  /** A request is done: the final message of a one-shot request and its round trip (ms), or a track query's round trip. */
  | { readonly type: 'resolve'; readonly req: ReqId; readonly msg?: ServerMsg; readonly rtt?: number }
  | { readonly type: 'reject'; readonly req: ReqId; readonly error: PafError }
  /** The server at `address` sent a track query (answered already). */
  | { readonly type: 'server-query'; readonly address: string }
  /** Work remains (sliced across turns): send a `continue` event on the next turn. */
  | { readonly type: 'continue' }
  /** The client is closed: every connection is closed and every request answered. */
  | { readonly type: 'closed' };

/**
 * Inputs of the reducer: everything that can happen to a domain, with the time it happened (§1: one serial event
 * stream). Time and connection ids are data here, so a recorded sequence replays exactly.
 */
import type { ClientMessage } from '../codec/messages';
import type { ConnId, TransportKind } from './model';

/** A transport accepted a connection (for TLS: after the TLS handshake). `now` is the accept time (§9.1 `time`). */
export interface AcceptedEvent {
  readonly type: 'accepted';
  readonly now: number;
  readonly conn: ConnId;
  readonly address: string;
  readonly user: string;
  readonly transport: TransportKind;
}
/** A message arrived and decoded. */
export interface MessageEvent {
  readonly type: 'message';
  readonly now: number;
  readonly conn: ConnId;
  readonly msg: ClientMessage;
}
/** A message arrived that does not decode (§3.3): the connection is closed (§3.5). */
export interface MalformedEvent {
  readonly type: 'malformed';
  readonly now: number;
  readonly conn: ConnId;
  readonly reason: string;
}
/** The transport closed (EOF, zero-length frame, transport error) or the server is shutting down. */
export interface ClosedEvent {
  readonly type: 'closed';
  readonly now: number;
  readonly conn: ConnId;
  /** `slow-consumer`: the shell cut a connection whose queued output went over its limits (README, "Slow consumers"). */
  readonly cause: 'eof' | 'transport-error' | 'shutdown' | 'slow-consumer';
}
/**
 * The shell has the `closed` events of these connections and folds them over the next turns (a wave of closes, a mass
 * disconnect): until each is folded, no notification is built for its subscriptions (lib/state/notify.ts). Nothing
 * else changes: the close itself (§7.5) is its `closed` event's. Like a close, it expires no orphan.
 */
export interface ClosingEvent {
  readonly type: 'closing';
  readonly now: number;
  readonly conns: readonly ConnId[];
}
/**
 * The shell stopped reading a connection because its output is congested (back-pressure, §15.3), or its output
 * drained and reading resumed. A blocked connection is never timed out for idleness (it could not be seen active).
 */
export interface OutputFlowEvent {
  readonly type: 'output-blocked' | 'output-drained';
  readonly now: number;
  readonly conn: ConnId;
}
/** Time passed: process the deadlines due by `now`. */
export interface TickEvent {
  readonly type: 'tick';
  readonly now: number;
}

/** The shell asks for the next slice of pending work (orphaning, expiry, listings); recorded like every input. */
export interface WorkEvent {
  readonly type: 'work';
  readonly now: number;
}

export type Event =
  AcceptedEvent | MessageEvent | MalformedEvent | ClosedEvent | ClosingEvent | OutputFlowEvent | TickEvent | WorkEvent;

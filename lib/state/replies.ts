/**
 * Builders for server messages (§5), fields in table order (§3.1). Shared by handlers and notifications.
 */
import type { Command, FailReason, MatchType, ServerMessage, TrackType } from '../codec/messages';
import type { Service } from './model';

export const accept = (cmd: Command, taId: bigint): ServerMessage => ({
  'ta-cmd': cmd,
  'ta-id': taId,
  'msg-type': 'accept',
});

export const complete = (cmd: Command, taId: bigint): ServerMessage => ({
  'ta-cmd': cmd,
  'ta-id': taId,
  'msg-type': 'complete',
});

export const fail = (cmd: Command, taId: bigint, reason: FailReason): ServerMessage => ({
  'ta-cmd': cmd,
  'ta-id': taId,
  'msg-type': 'fail',
  'fail-reason': reason,
});

/*
 * The notifications carrying a service's current record (§5.4, §5.7) are written as object literals, fields in table
 * order: one is built per subscriber told, and spreading a shared record object into each (`...record`) costs V8 a
 * property-by-property copy.
 */

/** A `subscribe` notify (§5.4): the current record for appeared/modified, only the id for disappeared. */
export const matchNotify = (taId: bigint, matchType: MatchType, s: Service): ServerMessage => {
  if (matchType === 'disappeared')
    return {
      'ta-cmd': 'subscribe',
      'ta-id': taId,
      'msg-type': 'notify',
      'match-type': 'disappeared',
      'service-id': s.id,
    };
  return s.orphanSince === undefined
    ? {
        'ta-cmd': 'subscribe',
        'ta-id': taId,
        'msg-type': 'notify',
        'match-type': matchType,
        'service-id': s.id,
        generation: s.generation,
        'service-props': s.props,
        ttl: s.ttl,
        'client-id': s.clientId,
      }
    : {
        'ta-cmd': 'subscribe',
        'ta-id': taId,
        'msg-type': 'notify',
        'match-type': matchType,
        'service-id': s.id,
        generation: s.generation,
        'service-props': s.props,
        ttl: s.ttl,
        'client-id': s.clientId,
        'orphan-since': s.orphanSince,
      };
};

/** A `services` notify (§5.7). */
export const serviceNotify = (taId: bigint, s: Service): ServerMessage =>
  s.orphanSince === undefined
    ? {
        'ta-cmd': 'services',
        'ta-id': taId,
        'msg-type': 'notify',
        'service-id': s.id,
        generation: s.generation,
        'service-props': s.props,
        ttl: s.ttl,
        'client-id': s.clientId,
      }
    : {
        'ta-cmd': 'services',
        'ta-id': taId,
        'msg-type': 'notify',
        'service-id': s.id,
        generation: s.generation,
        'service-props': s.props,
        ttl: s.ttl,
        'client-id': s.clientId,
        'orphan-since': s.orphanSince,
      };

/** A track `notify` (§5.3): `track-type` `query` or `reply`. */
export const track = (taId: bigint, msgType: 'notify', trackType: TrackType): ServerMessage => ({
  'ta-cmd': 'track',
  'ta-id': taId,
  'msg-type': msgType,
  'track-type': trackType,
});

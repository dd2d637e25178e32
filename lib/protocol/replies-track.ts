/** Track messages (§5.3): server `notify` with `track-type` `query` or `reply`. */
import type { ServerMessage, TrackType } from '../codec/messages';

export const track = (taId: bigint, msgType: 'notify', trackType: TrackType): ServerMessage => ({
  'ta-cmd': 'track',
  'ta-id': taId,
  'msg-type': msgType,
  'track-type': trackType,
});

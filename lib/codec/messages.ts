/**
 * io-ts codecs for every message of Pathfinder protocol v2 and v3, both directions (§4, §5; field names as in the
 * implementation, §16.1: `client-address`, `track-type` `query`/`reply`, `track-exists`).
 *
 * Each codec is the single source of its type. Header fields (`ta-cmd`, `ta-id`, `msg-type`) are literal/typed
 * members of every codec; unknown members are rejected by `decode.ts` against {@link allowedKeys}.
 */
import * as t from 'io-ts';

import { NonNegNumber, PropsCodec, Str, UInt63 } from './primitives';

/** Commands of the protocol (§5.1). `track` exists only in v3. */
export const COMMANDS = [
  'hello',
  'track',
  'subscribe',
  'unsubscribe',
  'subscriptions',
  'services',
  'publish',
  'unpublish',
  'ping',
  'clients',
] as const;
export type Command = (typeof COMMANDS)[number];

/** Message types (§4.2). */
export const MSG_TYPES = ['request', 'accept', 'notify', 'inform', 'complete', 'fail'] as const;
export type MsgType = (typeof MSG_TYPES)[number];

/** Fail reasons (§5.12). */
export const FailReason = t.keyof({
  'no-hello': null,
  'unsupported-protocol-version': null,
  'client-id-exists': null,
  'permission-denied': null,
  'insufficient-resources': null,
  'track-exists': null,
  'invalid-filter-syntax': null,
  'subscription-id-exists': null,
  'non-existent-subscription-id': null,
  'non-existent-service-id': null,
  'old-generation': null,
  'same-generation-but-different': null,
});
export type FailReason = t.TypeOf<typeof FailReason>;

/** `track-type` values on the wire (§5.3, D2). */
export const TrackType = t.keyof({ query: null, reply: null });
export type TrackType = t.TypeOf<typeof TrackType>;

/** `match-type` values (§5.4, D4). */
export const MatchType = t.keyof({ appeared: null, modified: null, disappeared: null });
export type MatchType = t.TypeOf<typeof MatchType>;

const message = <C extends Command, M extends MsgType, R extends t.Props, O extends t.Props>(
  cmd: C,
  msgType: M,
  required: R,
  optional: O,
) =>
  t.intersection([
    t.type({ 'ta-cmd': t.literal(cmd), 'ta-id': UInt63, 'msg-type': t.literal(msgType), ...required }),
    t.partial(optional),
  ]);
const none = {};

// ---------------------------------------------------------------------------------------------------------------
// client → server (§5)

export const HelloRequest = message(
  'hello',
  'request',
  { 'client-id': UInt63, 'protocol-minimum-version': UInt63, 'protocol-maximum-version': UInt63 },
  none,
);
export type HelloRequest = t.TypeOf<typeof HelloRequest>;
export const TrackRequest = message('track', 'request', none, none);
export type TrackRequest = t.TypeOf<typeof TrackRequest>;
export const TrackInform = message('track', 'inform', { 'track-type': TrackType }, none);
export type TrackInform = t.TypeOf<typeof TrackInform>;
export const SubscribeRequest = message('subscribe', 'request', { 'subscription-id': UInt63 }, { filter: Str });
export type SubscribeRequest = t.TypeOf<typeof SubscribeRequest>;
export const UnsubscribeRequest = message('unsubscribe', 'request', { 'subscription-id': UInt63 }, none);
export type UnsubscribeRequest = t.TypeOf<typeof UnsubscribeRequest>;
export const SubscriptionsRequest = message('subscriptions', 'request', none, none);
export type SubscriptionsRequest = t.TypeOf<typeof SubscriptionsRequest>;
export const ServicesRequest = message('services', 'request', none, { filter: Str });
export type ServicesRequest = t.TypeOf<typeof ServicesRequest>;
export const PublishRequest = message(
  'publish',
  'request',
  { 'service-id': UInt63, generation: UInt63, 'service-props': PropsCodec, ttl: UInt63 },
  none,
);
export type PublishRequest = t.TypeOf<typeof PublishRequest>;
export const UnpublishRequest = message('unpublish', 'request', { 'service-id': UInt63 }, none);
export type UnpublishRequest = t.TypeOf<typeof UnpublishRequest>;
export const PingRequest = message('ping', 'request', none, none);
export type PingRequest = t.TypeOf<typeof PingRequest>;
export const ClientsRequest = message('clients', 'request', none, none);
export type ClientsRequest = t.TypeOf<typeof ClientsRequest>;

/** Every message a client may send. */
export type ClientMessage =
  | HelloRequest
  | TrackRequest
  | TrackInform
  | SubscribeRequest
  | UnsubscribeRequest
  | SubscriptionsRequest
  | ServicesRequest
  | PublishRequest
  | UnpublishRequest
  | PingRequest
  | ClientsRequest;

/** Inbound codec table: `[command][msg-type]`. Only `request` (and `inform` for `track`) may come from a client. */
export const inboundCodecs: { readonly [C in Command]: Partial<Record<MsgType, t.Mixed>> } = {
  hello: { request: HelloRequest },
  track: { request: TrackRequest, inform: TrackInform },
  subscribe: { request: SubscribeRequest },
  unsubscribe: { request: UnsubscribeRequest },
  subscriptions: { request: SubscriptionsRequest },
  services: { request: ServicesRequest },
  publish: { request: PublishRequest },
  unpublish: { request: UnpublishRequest },
  ping: { request: PingRequest },
  clients: { request: ClientsRequest },
};

// ---------------------------------------------------------------------------------------------------------------
// server → client (§5)

const fail = <C extends Command>(cmd: C) => message(cmd, 'fail', none, { 'fail-reason': Str });
const complete = <C extends Command>(cmd: C) => message(cmd, 'complete', none, none);
const accept = <C extends Command>(cmd: C) => message(cmd, 'accept', none, none);

export const HelloComplete = message('hello', 'complete', { 'protocol-version': UInt63 }, none);
export type HelloComplete = t.TypeOf<typeof HelloComplete>;
export const TrackNotify = message('track', 'notify', { 'track-type': TrackType }, none);
export type TrackNotify = t.TypeOf<typeof TrackNotify>;

const serviceFields = {
  'service-id': UInt63,
  generation: UInt63,
  'service-props': PropsCodec,
  ttl: UInt63,
  'client-id': UInt63,
};
/** `appeared`/`modified` carry the current record; `disappeared` carries only the id (§5.4, libpaf asserts it). */
export const SubscribeNotifyMatch = message(
  'subscribe',
  'notify',
  { 'match-type': t.keyof({ appeared: null, modified: null }), ...serviceFields },
  { 'orphan-since': NonNegNumber },
);
export type SubscribeNotifyMatch = t.TypeOf<typeof SubscribeNotifyMatch>;
export const SubscribeNotifyDisappeared = message(
  'subscribe',
  'notify',
  { 'match-type': t.literal('disappeared'), 'service-id': UInt63 },
  none,
);
export type SubscribeNotifyDisappeared = t.TypeOf<typeof SubscribeNotifyDisappeared>;
export const SubscribeNotify = t.union([SubscribeNotifyMatch, SubscribeNotifyDisappeared]);
export type SubscribeNotify = t.TypeOf<typeof SubscribeNotify>;
export const ServicesNotify = message('services', 'notify', serviceFields, { 'orphan-since': NonNegNumber });
export type ServicesNotify = t.TypeOf<typeof ServicesNotify>;
export const SubscriptionsNotify = message(
  'subscriptions',
  'notify',
  { 'subscription-id': UInt63, 'client-id': UInt63 },
  { filter: Str },
);
export type SubscriptionsNotify = t.TypeOf<typeof SubscriptionsNotify>;
export const ClientsNotifyV2 = message(
  'clients',
  'notify',
  { 'client-id': UInt63, 'client-address': Str, time: UInt63 },
  none,
);
export type ClientsNotifyV2 = t.TypeOf<typeof ClientsNotifyV2>;
export const ClientsNotifyV3 = message(
  'clients',
  'notify',
  {
    'client-id': UInt63,
    'client-address': Str,
    time: UInt63,
    idle: NonNegNumber,
    'protocol-version': UInt63,
  },
  { latency: NonNegNumber },
);
export type ClientsNotifyV3 = t.TypeOf<typeof ClientsNotifyV3>;

export const HelloFail = fail('hello');
export const TrackAccept = accept('track');
export const TrackFail = fail('track');
export const SubscribeAccept = accept('subscribe');
export const SubscribeComplete = complete('subscribe');
export const SubscribeFail = fail('subscribe');
export const UnsubscribeComplete = complete('unsubscribe');
export const UnsubscribeFail = fail('unsubscribe');
export const SubscriptionsAccept = accept('subscriptions');
export const SubscriptionsComplete = complete('subscriptions');
export const SubscriptionsFail = fail('subscriptions');
export const ServicesAccept = accept('services');
export const ServicesComplete = complete('services');
export const ServicesFail = fail('services');
export const PublishComplete = complete('publish');
export const PublishFail = fail('publish');
export const UnpublishComplete = complete('unpublish');
export const UnpublishFail = fail('unpublish');
export const PingComplete = complete('ping');
export const PingFail = fail('ping');
export const ClientsAccept = accept('clients');
export const ClientsComplete = complete('clients');
export const ClientsFail = fail('clients');

/**
 * Outbound codec table for a protocol version: `[command][msg-type]` → the codecs a message may match (the client
 * library decodes server messages with it; `clients` notify differs between v2 and v3, §5.11).
 */
export const outboundCodecs = (version: 2 | 3): { readonly [C in Command]: Partial<Record<MsgType, t.Mixed>> } => ({
  hello: { complete: HelloComplete, fail: HelloFail },
  track: { accept: TrackAccept, notify: TrackNotify, fail: TrackFail },
  subscribe: { accept: SubscribeAccept, notify: SubscribeNotify, complete: SubscribeComplete, fail: SubscribeFail },
  unsubscribe: { complete: UnsubscribeComplete, fail: UnsubscribeFail },
  subscriptions: {
    accept: SubscriptionsAccept,
    notify: SubscriptionsNotify,
    complete: SubscriptionsComplete,
    fail: SubscriptionsFail,
  },
  services: { accept: ServicesAccept, notify: ServicesNotify, complete: ServicesComplete, fail: ServicesFail },
  publish: { complete: PublishComplete, fail: PublishFail },
  unpublish: { complete: UnpublishComplete, fail: UnpublishFail },
  ping: { complete: PingComplete, fail: PingFail },
  clients: {
    accept: ClientsAccept,
    notify: version === 2 ? ClientsNotifyV2 : ClientsNotifyV3,
    complete: ClientsComplete,
    fail: ClientsFail,
  },
});

/** Every message the server sends (the fail/accept/complete shapes share one type). */
export type ServerMessage =
  | HelloComplete
  | TrackNotify
  | SubscribeNotify
  | ServicesNotify
  | SubscriptionsNotify
  | ClientsNotifyV2
  | ClientsNotifyV3
  | {
      readonly 'ta-cmd': Command;
      readonly 'ta-id': bigint;
      readonly 'msg-type': 'accept' | 'complete' | 'fail';
      readonly 'fail-reason'?: FailReason;
    };

/** The member names a codec allows (header + required + optional), used to reject unknown fields (§3.3 step 7). */
export const allowedKeys = (codec: t.Mixed): ReadonlySet<string> => {
  const cached = keyCache.get(codec);
  if (cached) return cached;
  const keys = new Set<string>();
  const walk = (c: t.Mixed): void => {
    if (c instanceof t.IntersectionType || c instanceof t.UnionType) (c.types as t.Mixed[]).forEach(walk);
    else if (c instanceof t.InterfaceType || c instanceof t.PartialType)
      Object.keys(c.props as object).forEach((k) => keys.add(k));
  };
  walk(codec);
  keyCache.set(codec, keys);
  return keys;
};
const keyCache = new WeakMap<t.Mixed, ReadonlySet<string>>();

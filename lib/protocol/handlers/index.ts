/**
 * Dispatch of one decoded message (§3.3 step 9, §4.4): transaction-table checks, version availability, activity
 * marking, the no-hello rule, then the command's handler.
 */
import type { ClientMessage } from '../../codec/messages';
import type { Ctx } from '../../state/context';
import { getConn, send } from '../../state/context';
import { closeConn } from '../../state/connections';
import { markActive } from '../../state/idle';
import type { Conn, ConnId } from '../../state/model';
import { fail } from '../../state/replies';
import { hamtGet, hamtHas } from '../../util/hamt';
import { hello } from './hello';
import { clients, ping, services, subscriptions } from './listings';
import { publish } from './publish';
import { subscribe, unsubscribe } from './subscribe';
import { trackInform, trackRequest } from './track';
import { unpublish } from './unpublish';

/** Handle one inbound message on connection `connId`. */
export const dispatch = (ctx: Ctx, connId: ConnId, msg: ClientMessage): void => {
  const conn = getConn(ctx, connId);
  if (conn === undefined) return;
  const taId = msg['ta-id'];
  if (msg['msg-type'] === 'request') {
    if (hamtHas(conn.txs, taId)) return closeConn(ctx, connId, 'protocol error: duplicate request');
  } else if (hamtGet(conn.txs, taId)?.cmd !== 'track') {
    return closeConn(ctx, connId, 'protocol error: inform without a matching track transaction');
  }
  // §5.1: before a hello negotiated v3 the v2 table applies, where track is an unknown command
  if (msg['ta-cmd'] === 'track' && conn.version !== 3) return closeConn(ctx, connId, 'protocol error: unknown command');
  if (!conn.handshaked) {
    if (msg['ta-cmd'] === 'hello')
      hello(ctx, conn, msg); // a successful hello starts the idle timer itself
    else send(ctx, connId, fail(msg['ta-cmd'], taId, 'no-hello'));
    return;
  }
  handle(ctx, conn, msg);
  // §4.4: every inbound message marks the client active; done after the handler so that a publish/unpublish
  // recomputes the TTL-based idle limit (§7.3) in the same single re-arm
  const after = getConn(ctx, connId);
  if (after !== undefined) markActive(ctx, after);
};

const handle = (ctx: Ctx, conn: Conn, msg: ClientMessage): void => {
  switch (msg['ta-cmd']) {
    case 'hello':
      return hello(ctx, conn, msg);
    case 'track':
      return msg['msg-type'] === 'request' ? trackRequest(ctx, conn, msg) : trackInform(ctx, conn, msg);
    case 'subscribe':
      return subscribe(ctx, conn, msg);
    case 'unsubscribe':
      return unsubscribe(ctx, conn, msg);
    case 'subscriptions':
      return subscriptions(ctx, conn, msg);
    case 'services':
      return services(ctx, conn, msg);
    case 'publish':
      return publish(ctx, conn, msg);
    case 'unpublish':
      return unpublish(ctx, conn, msg);
    case 'ping':
      return ping(ctx, conn, msg);
    case 'clients':
      return clients(ctx, conn, msg);
  }
};

/**
 * A listing to `connId` is done (lib/state/work.ts): send the messages that waited for it, then handle the requests
 * that arrived meanwhile, in order, until one of them starts a listing of its own (which holds the rest again).
 */
export const releaseHeld = (ctx: Ctx, connId: ConnId): void => {
  const held = ctx.d.held.get(connId);
  if (held === undefined) return;
  ctx.d.held = ctx.d.held.delete(connId);
  if (ctx.quiet !== true) for (const msg of held.outbox) ctx.fx.push({ type: 'send', conn: connId, msg });
  let inbox = held.inbox;
  while (inbox.size > 0) {
    const again = ctx.d.held.get(connId);
    if (again !== undefined) {
      ctx.d.held = ctx.d.held.set(connId, { ...again, inbox: inbox.concat(again.inbox) });
      return;
    }
    if (getConn(ctx, connId) === undefined) return;
    const msg = inbox.first()!;
    inbox = inbox.shift();
    ctx.budget.left--;
    dispatch(ctx, connId, msg);
  }
};

/** Handle an inbound message, or keep it for later if a listing to its connection is in progress. */
export const receive = (ctx: Ctx, connId: ConnId, msg: ClientMessage): void => {
  const held = ctx.d.held.get(connId);
  if (held === undefined) return dispatch(ctx, connId, msg);
  ctx.d.held = ctx.d.held.set(connId, { ...held, inbox: held.inbox.push(msg) });
};

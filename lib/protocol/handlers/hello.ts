/**
 * `hello` (§4.5, §4.6, §7.2): version negotiation and client registration.
 */
import type { HelloRequest } from '../../codec/messages';
import type { Ctx } from '../../state/context';
import { nextSeq, patchConn, send } from '../../state/context';
import { newRecord } from '../../state/directory';
import { livenessProbe, markActive } from '../../state/idle';
import type { Conn } from '../../state/model';
import { allocate } from '../../state/resources';
import { fail } from '../../state/replies';

export const hello = (ctx: Ctx, conn0: Conn, msg: HelloRequest): void => {
  const taId = msg['ta-id'];
  const clientId = msg['client-id'];
  let conn = conn0;
  // §4.5 step 1
  if (conn.clientId === undefined) conn = patchConn(ctx, conn, { clientId });
  else if (conn.clientId !== clientId)
    return send(ctx, conn.id, fail('hello', taId, 'permission-denied')); // B3
  else if (conn.handshaked) return send(ctx, conn.id, helloComplete(taId, conn.version!));
  // step 3: highest common version
  const { protocolMin, protocolMax } = ctx.d.settings;
  const lo = bmax(msg['protocol-minimum-version'], BigInt(protocolMin));
  const hi = bmin(msg['protocol-maximum-version'], BigInt(protocolMax));
  if (lo > hi) return send(ctx, conn.id, fail('hello', taId, 'unsupported-protocol-version'));
  const version = Number(hi);
  conn = patchConn(ctx, conn, { version });
  // step 4: register the client (§7.2)
  const existing = ctx.d.clients.get(clientId);
  if (existing !== undefined && existing.active !== undefined) {
    const old = ctx.d.conns.get(existing.active);
    if (old !== undefined) livenessProbe(ctx, old); // §4.6
    return send(ctx, conn.id, fail('hello', taId, 'client-id-exists'));
  }
  if (existing !== undefined && existing.user !== conn.user)
    return send(ctx, conn.id, fail('hello', taId, 'permission-denied'));
  if (!allocate(ctx, 'clients', conn.user)) return send(ctx, conn.id, fail('hello', taId, 'insufficient-resources'));
  const client = existing ?? { id: clientId, user: conn.user, active: undefined, records: [] };
  ctx.d.clients = ctx.d.clients.set(clientId, { ...client, active: conn.id, records: [...client.records, conn.id] });
  ctx.d.records = ctx.d.records.set(conn.id, newRecord(conn.id, clientId));
  // step 5
  conn = patchConn(ctx, conn, { handshaked: true, handshakeSeq: nextSeq(ctx), idle: 'active' });
  markActive(ctx, conn);
  send(ctx, conn.id, helloComplete(taId, version));
  if (version >= 3 && (conn.transport === 'tcp' || conn.transport === 'tls'))
    ctx.fx.push({ type: 'keepalive', conn: conn.id, on: false }); // §2.5
  ctx.fx.push({
    type: 'log',
    level: 'info',
    category: 'core',
    msg: 'client connected',
    fields: { client: clientId, conn: conn.id, address: conn.address, user: conn.user, version },
  });
};

const helloComplete = (taId: bigint, version: number) =>
  ({ 'ta-cmd': 'hello', 'ta-id': taId, 'msg-type': 'complete', 'protocol-version': BigInt(version) }) as const;

const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const bmin = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * The daemon over its unencrypted transports (spec §2.1-2.3, §9.1, §10.1): one domain with a tcp (IPv4 and IPv6),
 * a ux and a uxf socket; the same publish/subscribe round trip over each, the `client-address` format of each,
 * and the user ids they imply.
 */
import {
  Daemon,
  killAllDaemons,
  list,
  msg,
  publish,
  pubSubRoundTrip,
  randomUx,
  tempDir,
  transact,
} from '../helpers/daemon';
import { RawClient } from '../helpers/raw-client';
import { runPython } from '../transport/helpers';

jest.setTimeout(15000);

/** A Python SEQPACKET client: hello, then a zero-length record; prints the reply and whether the server closed. */
const PY_ZERO_RECORD = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect('\\0' + sys.argv[1])
s.send(b'{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":610,'
       b'"protocol-minimum-version":2,"protocol-maximum-version":3}')
print(s.recv(65536).decode())
s.send(b'')
print('eof' if s.recv(65536) == b'' else 'data')
`;

describe('rxpafd transports: tcp, ux, uxf', () => {
  let dir: ReturnType<typeof tempDir>;
  let daemon: Daemon;
  const ux = randomUx();
  let uxf: string;

  beforeAll(async () => {
    dir = tempDir();
    uxf = `uxf:${dir.path}/transports.sock`;
    daemon = await Daemon.start(['-m', `tcp:127.0.0.1:0+tcp:[::1]:0+${ux}+${uxf}`]);
  });
  afterAll(async () => {
    const exit = await daemon.stop();
    await killAllDaemons();
    dir.cleanup();
    expect(exit.code).toBe(0);
  });

  it('binds the sockets in order and reports kernel-chosen ports', () => {
    expect(daemon.domains).toHaveLength(1);
    expect(daemon.domains[0]!.addresses).toEqual([
      expect.stringMatching(/^tcp:127\.0\.0\.1:[1-9]\d*$/),
      expect.stringMatching(/^tcp:\[::1\]:[1-9]\d*$/),
      ux,
      uxf,
    ]);
  });

  it('tcp: round trip; client-address is tcp:127.0.0.1:<the client port>', async () => {
    const r = await pubSubRoundTrip(() => RawClient.open(daemon.addr(0, 0)), 1);
    expect(r.subscriberAddress).toMatch(/^tcp:127\.0\.0\.1:[1-9]\d*$/);
    expect(r.subscriberAddress).toBe(r.subscriberLocal);
    expect(r.publisherAddress).toBe(r.publisherLocal);
    expect(r.publisherAddress).not.toBe(r.subscriberAddress);
  });

  it('tcp over IPv6: client-address is tcp:[::1]:<port>', async () => {
    const r = await pubSubRoundTrip(() => RawClient.open(daemon.addr(0, 1)), 2);
    expect(r.subscriberAddress).toMatch(/^tcp:\[::1\]:[1-9]\d*$/);
    expect(r.subscriberAddress).toBe(r.subscriberLocal);
    expect(r.publisherAddress).toBe(r.publisherLocal);
  });

  it('ux: round trip; client-address is ux:<5-hex-digit autobind name>', async () => {
    const r = await pubSubRoundTrip(() => RawClient.open(ux), 3);
    expect(r.subscriberAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    expect(r.publisherAddress).toMatch(/^ux:[0-9a-f]{5}$/);
    expect(r.subscriberAddress).toBe(r.subscriberLocal);
    expect(r.publisherAddress).toBe(r.publisherLocal);
    expect(r.publisherAddress).not.toBe(r.subscriberAddress);
  });

  it('uxf: round trip; client-address is "uxf:"', async () => {
    const r = await pubSubRoundTrip(() => RawClient.open(uxf), 4);
    expect(r.subscriberAddress).toBe('uxf:');
    expect(r.publisherAddress).toBe('uxf:');
  });

  it('clients of all transports share the directory; user ids: ip:<host> for tcp, default for ux/uxf', async () => {
    const [tcp, tcp6, uxc, uxfc] = await Promise.all(
      [daemon.addr(0, 0), daemon.addr(0, 1), ux, uxf].map((a) => RawClient.open(a)),
    );
    const all = [tcp!, tcp6!, uxc!, uxfc!];
    try {
      for (const [i, c] of all.entries()) expect(await c.hello(500 + i)).toMatchObject({ 'msg-type': 'complete' });
      // A service published over ux (user "default") cannot be taken over from tcp (user "ip:127.0.0.1"), but can
      // from uxf (also "default"); one from tcp over IPv4 cannot be removed over IPv6 ("ip:[::1]").
      expect(await publish(uxc!, 1, 9001, { t: ['ux'] })).toMatchObject({ 'msg-type': 'complete' });
      expect(await publish(tcp!, 1, 9002, { t: ['tcp'] })).toMatchObject({ 'msg-type': 'complete' });
      const unpublish = async (c: RawClient, taId: number, id: number) =>
        (await transact(c, taId, msg('unpublish', taId, 'request', { 'service-id': id }))).own[0];
      expect(await unpublish(tcp!, 2, 9001)).toMatchObject({ 'msg-type': 'fail', 'fail-reason': 'permission-denied' });
      expect(await unpublish(tcp6!, 2, 9002)).toMatchObject({ 'msg-type': 'fail', 'fail-reason': 'permission-denied' });
      expect(await unpublish(uxfc!, 2, 9001)).toMatchObject({ 'msg-type': 'complete' });
      expect((await list(tcp6!, 'services', 3)).map((m) => m['service-id'])).toEqual([9002n]);
      const listed = (await list(uxfc!, 'clients', 4)).filter((m) => (m['client-id'] as bigint) >= 500n);
      expect(listed.map((m) => m['client-id'])).toEqual([500n, 501n, 502n, 503n]);
      expect(listed.map((m) => m['protocol-version'])).toEqual([3n, 3n, 3n, 3n]);
      expect(await unpublish(tcp!, 5, 9002)).toMatchObject({ 'msg-type': 'complete' });
    } finally {
      all.forEach((c) => c.close());
    }
  });

  it.each([
    ['ux', 'a non-JSON record', () => ux, 'garbage'],
    ['uxf', 'a non-JSON record', () => uxf, 'garbage'],
  ])('%s: %s closes only that connection, orderly', async (_t, _what, addr, payload) => {
    const bad = await RawClient.open(addr());
    const good = await RawClient.open(addr());
    try {
      expect(await bad.hello(600)).toMatchObject({ 'msg-type': 'complete' });
      expect(await good.hello(601)).toMatchObject({ 'msg-type': 'complete' });
      bad.send(payload);
      expect(await bad.waitClosed(3000)).toEqual([]);
      expect(bad.closeKind).toBe('eof');
      expect((await list(good, 'clients', 1)).map((m) => m['client-id'])).not.toContain(600n);
    } finally {
      bad.close();
      good.close();
    }
  });

  it('ux: a zero-length record (EOF for XCM) from a SEQPACKET peer closes that connection', async () => {
    const out = await runPython(PY_ZERO_RECORD, [ux.slice('ux:'.length)]).done;
    expect(out.trim().split('\n')).toEqual([expect.stringContaining('"complete"'), 'eof']);
  });
});

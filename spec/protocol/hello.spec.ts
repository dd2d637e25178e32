/** §4.5 hello and version negotiation, §4.6 client-id-exists and the liveness probe, §7.2 registration. */
import type { TransportKind } from '../../lib/state/model';
import { Domain, T0 } from '../helpers/builders';

const helloComplete = (version: number, taId = 0) =>
  `{"ta-cmd":"hello","ta-id":${taId},"msg-type":"complete","protocol-version":${version}}`;
const helloFail = (reason: string, taId = 0) =>
  `{"ta-cmd":"hello","ta-id":${taId},"msg-type":"fail","fail-reason":"${reason}"}`;

describe('[§4.5] version negotiation', () => {
  it.each`
    domainMin | domainMax | clientMin | clientMax | expected
    ${2}      | ${3}      | ${0}      | ${99999}  | ${3}
    ${2}      | ${3}      | ${2}      | ${2}      | ${2}
    ${2}      | ${3}      | ${3}      | ${3}      | ${3}
    ${2}      | ${3}      | ${2}      | ${3}      | ${3}
    ${2}      | ${3}      | ${0}      | ${2}      | ${2}
    ${2}      | ${2}      | ${2}      | ${3}      | ${2}
    ${2}      | ${2}      | ${0}      | ${99999}  | ${2}
    ${3}      | ${3}      | ${0}      | ${99999}  | ${3}
    ${3}      | ${3}      | ${3}      | ${3}      | ${3}
    ${2}      | ${2}      | ${3}      | ${3}      | ${'fail'}
    ${3}      | ${3}      | ${2}      | ${2}      | ${'fail'}
    ${2}      | ${3}      | ${4}      | ${5}      | ${'fail'}
    ${2}      | ${3}      | ${0}      | ${1}      | ${'fail'}
    ${2}      | ${3}      | ${3}      | ${2}      | ${'fail'}
  `(
    '[§4.5] domain $domainMin..$domainMax, client $clientMin..$clientMax → $expected',
    ({
      domainMin,
      domainMax,
      clientMin,
      clientMax,
      expected,
    }: {
      domainMin: number;
      domainMax: number;
      clientMin: number;
      clientMax: number;
      expected: number | 'fail';
    }) => {
      const d = new Domain({ protocolMin: domainMin, protocolMax: domainMax });
      d.accept(1).hello(1, 7, clientMin, clientMax);
      if (expected === 'fail') {
        expect(d.take(1)).toEqual([helloFail('unsupported-protocol-version')]);
        expect(d.state.conns.get(1)!.handshaked).toBe(false);
        expect(d.state.clients.size).toBe(0);
        expect(d.state.used.clients).toBe(0);
      } else {
        expect(d.take(1)).toEqual([helloComplete(expected)]);
        expect(d.state.conns.get(1)!.handshaked).toBe(true);
        expect(d.state.conns.get(1)!.version).toBe(expected);
        expect(d.state.clients.get(7n)?.active).toBe(1);
      }
      expect(d.isOpen(1)).toBe(true);
    },
  );

  it('[§4.5] the 4..5 failure is exactly the upstream message, with no other fields', () => {
    const d = new Domain();
    d.accept(1).hello(1, 99, 4, 5, 42);
    const out = d.take(1);
    expect(out).toEqual([
      '{"ta-cmd":"hello","ta-id":42,"msg-type":"fail","fail-reason":"unsupported-protocol-version"}',
    ]);
    expect(JSON.parse(out[0]!)).toStrictEqual({
      'ta-cmd': 'hello',
      'ta-id': 42,
      'msg-type': 'fail',
      'fail-reason': 'unsupported-protocol-version',
    });
  });

  it('[§4.5] after an unsupported version the connection stays clientless and a retry with the same id succeeds', () => {
    const d = new Domain();
    d.accept(1).hello(1, 5, 4, 5, 1);
    expect(d.take(1)).toEqual([helloFail('unsupported-protocol-version', 1)]);
    d.hello(1, 5, 2, 3, 2);
    expect(d.take(1)).toEqual([helloComplete(3, 2)]);
  });

  it.each`
    first      | againMin | againMax | expected
    ${[2, 2]}  | ${3}     | ${3}     | ${2}
    ${[0, 99]} | ${2}     | ${2}     | ${3}
    ${[3, 3]}  | ${4}     | ${5}     | ${3}
    ${[2, 3]}  | ${0}     | ${1}     | ${3}
  `(
    '[§4.5] a repeated hello ($againMin..$againMax) after negotiating $first returns the negotiated version $expected',
    ({
      first,
      againMin,
      againMax,
      expected,
    }: {
      first: [number, number];
      againMin: number;
      againMax: number;
      expected: number;
    }) => {
      const d = new Domain();
      d.accept(1).hello(1, 7, first[0], first[1]);
      d.take(1);
      d.hello(1, 7, againMin, againMax, 9);
      expect(d.take(1)).toEqual([helloComplete(expected, 9)]);
      expect(d.state.used.clients).toBe(1);
      expect(d.state.conns.get(1)!.version).toBe(expected);
    },
  );

  it('[§4.5 B3] a different client id on a handshaked connection → permission-denied, connection kept', () => {
    const d = new Domain();
    d.connect(1, 7).take(1);
    d.hello(1, 8, 2, 3, 5);
    expect(d.take(1)).toEqual([helloFail('permission-denied', 5)]);
    expect(d.isOpen(1)).toBe(true);
    expect(d.state.clients.has(8n)).toBe(false);
    expect(d.state.conns.get(1)!.clientId).toBe(7n);
    d.ping(1, 6);
    expect(d.take(1)).toEqual(['{"ta-cmd":"ping","ta-id":6,"msg-type":"complete"}']);
  });

  it('[§4.5 B3] the id of a failed first hello is remembered: a different id is refused, the same id works', () => {
    const d = new Domain();
    d.accept(1).hello(1, 7, 4, 5, 1).hello(1, 8, 2, 3, 2).hello(1, 7, 2, 3, 3);
    expect(d.take(1)).toEqual([
      helloFail('unsupported-protocol-version', 1),
      helloFail('permission-denied', 2),
      helloComplete(3, 3),
    ]);
  });
});

describe('[§4.6] client-id-exists and the liveness probe', () => {
  it('[§4.6] a tracked old connection gets a track query in the same step as the refused hello', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).at(1);
    d.take(1);
    d.accept(2).hello(2, 7, 2, 3, 1);
    expect(d.take(2)).toEqual([helloFail('client-id-exists', 1)]);
    const probe = d.takeSent(1);
    expect(probe).toEqual([
      { at: 1, msg: { 'ta-cmd': 'track', 'ta-id': 5, 'msg-type': 'notify', 'track-type': 'query' } },
    ]);
    expect(d.state.conns.get(2)!.handshaked).toBe(false);
    expect(d.state.clients.get(7n)!.active).toBe(1);
  });

  it('[§4.6] the old connection keeps working when it answers', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).at(1).accept(2).hello(2, 7).at(1.2).inform(1, 'reply', 5).ping(1, 6);
    d.take(1);
    d.at(14.6);
    expect(d.isOpen(1)).toBe(true);
    expect(d.take(1)).toEqual([]); // the next regular warning comes ≥ 13.5 s (15 s − 10 %) after the reply
    expect(d.state.conns.get(1)!.latency).toBeCloseTo(0.2, 5);
  });

  it('[§4.6] a silent old connection is closed ½·max_idle after the probe', () => {
    const d = new Domain();
    d.connect(1, 7).track(1, 5).at(1).accept(2).hello(2, 7);
    d.at(15.999);
    expect(d.isOpen(1)).toBe(true);
    d.at(16);
    expect(d.isOpen(1)).toBe(false);
    expect(d.closeLog.filter((c) => c.conn === 1)).toEqual([{ conn: 1, at: 16, reason: 'idle timeout' }]);
  });

  it('[§4.6] an untracked old connection receives nothing, and v2 probes count as activity', () => {
    const d = new Domain();
    d.connect(1, 7).connect(3, 8, { max: 2 }).take(1);
    d.take(3);
    d.at(1).accept(2).hello(2, 7).accept(4).hello(4, 8);
    expect(d.take(1)).toEqual([]);
    expect(d.take(3)).toEqual([]);
    expect(d.take(2)).toEqual([helloFail('client-id-exists')]);
    expect(d.take(4)).toEqual([helloFail('client-id-exists')]);
    d.at(100);
    expect(d.isOpen(3)).toBe(true); // §8.3: a v2 client is never closed for idleness
  });

  it('[§4.6] with a query already outstanding no second query is sent', () => {
    const d = new Domain({ idleMin: 2, idleMax: 4 });
    d.connect(1, 7).track(1, 5).at(2.5);
    expect(d.take(1).filter((j) => j.includes('"query"'))).toHaveLength(1);
    d.accept(2).hello(2, 7);
    expect(d.take(1)).toEqual([]);
  });
});

describe('[§7.2] registration', () => {
  it('[§7.2] another user cannot say hello with a client id that holds orphans; the orphans are untouched', () => {
    const d = new Domain();
    d.connect(1, 7, { user: 'ip:10.0.0.1' }).connect(9, 99, { user: 'ip:10.0.0.9' });
    d.subscribe(9, 1).publish(1, 42, 0, { a: ['1'] }, 10);
    d.at(1.5).close(1);
    d.clear();
    const before = d.state.services.get(42n);
    d.at(3).connect(2, 7, { user: 'ip:10.0.0.2' });
    expect(d.take(2)).toEqual([helloFail('permission-denied')]);
    expect(d.state.services.get(42n)).toBe(before);
    expect(d.state.conns.get(2)!.handshaked).toBe(false);
    expect(d.state.clients.get(7n)!.user).toBe('ip:10.0.0.1');
    d.at(11.4999);
    expect(d.take(9)).toEqual([]);
    d.at(11.5);
    expect(d.take(9)).toEqual([
      '{"ta-cmd":"subscribe","ta-id":200,"msg-type":"notify","match-type":"disappeared","service-id":42}',
    ]);
    // with the orphan gone the client record is forgotten: now the other user may use the id
    d.accept(3, { user: 'ip:10.0.0.2' }).hello(3, 7);
    expect(d.take(3)).toEqual([helloComplete(3)]);
  });

  it('[§7.2] the same user may reconnect while orphans exist; they stay orphans with their timers', () => {
    const d = new Domain();
    d.connect(1, 7)
      .connect(9, 99)
      .subscribe(9, 1)
      .publish(1, 42, 0, { a: ['1'] }, 4);
    d.at(1).close(1).at(2).connect(2, 7);
    expect(d.take(2)).toEqual([helloComplete(3)]);
    expect(d.state.services.get(42n)!.orphanSince).toBe(T0 + 1);
    d.clear().at(4.999);
    expect(d.take(9)).toEqual([]);
    d.at(5);
    expect(d.take(9)).toEqual([
      '{"ta-cmd":"subscribe","ta-id":200,"msg-type":"notify","match-type":"disappeared","service-id":42}',
    ]);
    expect(d.state.clients.get(7n)!.active).toBe(2);
  });

  it('[§7.2] insufficient-resources when the per-user client limit is reached', () => {
    const d = new Domain({ limits: { total: {}, user: { clients: 1 } } });
    d.connect(1, 7, { user: 'u1' }).connect(2, 8, { user: 'u1' }).connect(3, 9, { user: 'u2' });
    expect(d.take(1)).toEqual([helloComplete(3)]);
    expect(d.take(2)).toEqual([helloFail('insufficient-resources')]);
    expect(d.take(3)).toEqual([helloComplete(3)]);
    expect(d.state.clients.has(8n)).toBe(false);
    expect(d.state.used.clients).toBe(2);
  });

  it.each<[TransportKind, number, boolean]>([
    ['tcp', 3, true],
    ['tls', 3, true],
    ['ux', 3, false],
    ['uxf', 3, false],
    ['tcp', 2, false],
    ['tls', 2, false],
  ])('[§4.5 step 5] keepalive-off effect on %s with v%d: %s', (transport, version, expected) => {
    const d = new Domain();
    d.accept(1, { transport });
    const fx = d.send(
      1,
      `{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":7,"protocol-minimum-version":${version},"protocol-maximum-version":${version}}`,
    );
    const ka = fx.filter((f) => f.type === 'keepalive');
    expect(ka).toEqual(expected ? [{ type: 'keepalive', conn: 1, on: false }] : []);
    if (expected) {
      // after the complete
      const iComplete = fx.findIndex((f) => f.type === 'send');
      const iKa = fx.findIndex((f) => f.type === 'keepalive');
      expect(iKa).toBeGreaterThan(iComplete);
    }
  });

  it('[§4.5 step 5] a failed hello switches nothing', () => {
    const d = new Domain();
    d.connect(1, 7);
    d.accept(2);
    const fx = d.send(
      2,
      '{"ta-cmd":"hello","ta-id":0,"msg-type":"request","client-id":7,"protocol-minimum-version":3,"protocol-maximum-version":3}',
    );
    expect(fx.filter((f) => f.type === 'keepalive')).toEqual([]);
  });
});

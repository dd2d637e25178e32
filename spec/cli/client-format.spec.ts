/** rxpafc's output formats: hex ids, pafc-style tables and match lines. */
import {
  clientsTable,
  formatTable,
  matchLine,
  parseHexId,
  servicesTable,
  subscriptionsTable,
} from '../../lib/cli/client-format';

describe('rxpafc output', () => {
  it('hex ids: with or without 0x, any case, at most 63 bits', () => {
    expect(parseHexId('ff')).toBe(255n);
    expect(parseHexId('0XFF')).toBe(255n);
    expect(parseHexId('7fffffffffffffff')).toBe(0x7fffffffffffffffn);
    expect(parseHexId('8000000000000000')).toBeUndefined();
    expect(parseHexId('12345678901234567')).toBeUndefined(); // 17 digits
    expect(parseHexId('')).toBeUndefined();
    expect(parseHexId('g1')).toBeUndefined();
    expect(parseHexId(undefined)).toBeUndefined();
  });

  it('tables: columns padded to the widest cell, missing cells empty, no trailing blanks', () => {
    expect(
      formatTable(
        ['A', 'Bee', 'C'],
        [
          ['xxxx', 'y'],
          ['', '', 'z'],
        ],
      ),
    ).toBe('A     Bee  C\nxxxx  y\n           z\n');
  });

  it('services: orphan timeout left (never negative) or "-"', () => {
    const s = { id: 26n, generation: 2n, props: { name: ['a'], port: [80n] }, ttl: 30, clientId: 1n };
    const t = servicesTable([s, { ...s, id: 27n, orphanSince: 100 }, { ...s, id: 28n, orphanSince: 0 }], 110);
    const rows = t.trimEnd().split('\n');
    expect(rows[1]).toMatch(/^0x1a\s+2\s+30\s+-\s+0x1\s+\{'name': \['a'\], 'port': \[80\]\}$/);
    expect(rows[2]).toMatch(/^0x1b\s+2\s+30\s+20\.0\s/);
    expect(rows[3]).toMatch(/^0x1c\s+2\s+30\s+0\.0\s/);
  });

  it('clients: v2 without idle/latency/version columns; v3 with them, "-" when unknown', () => {
    const c = { clientId: 255n, address: 'tcp:1.2.3.4:5', connectedAt: 90 };
    expect(clientsTable([c], false, 100)).toBe('Client Id  Remote Address  Uptime\n0xff       tcp:1.2.3.4:5   10 s\n');
    const v3 = clientsTable([c, { ...c, clientId: 1n, idle: 2.25, latency: 0.0015, protocolVersion: 3 }], true, 100);
    const rows = v3.trimEnd().split('\n');
    expect(rows[0]).toMatch(/Idle \[s\]\s+Latency \[ms\]\s+Version$/);
    expect(rows[1]).toMatch(/^0xff\s+tcp:1\.2\.3\.4:5\s+10 s\s+0\.0\s+-\s+-$/);
    expect(rows[2]).toMatch(/^0x1\s+tcp:1\.2\.3\.4:5\s+10 s\s+2\.3\s+1\.5\s+3$/);
  });

  it('subscriptions: the filter, or "-" for match-all', () => {
    expect(
      subscriptionsTable([
        { id: 1n, clientId: 2n, filter: '(a=1)' },
        { id: 3n, clientId: 2n },
      ]),
    ).toBe('Subscription Id  Client Id  Filter\n0x1              0x2        (a=1)\n0x3              0x2        -\n');
  });

  it('match lines: full for appeared/modified (with the orphan timeout), id only for disappeared', () => {
    const s = { id: 16n, generation: 1n, props: { n: ['x'] }, ttl: 5, clientId: 3n };
    expect(matchLine(2n, { type: 'appeared', service: s }, 0)).toBe(
      "Subscription 0x2: Match type: appeared; Service id: 0x10; Generation: 1; TTL: 5; Client Id: 0x3; Properties: {'n': ['x']}\n",
    );
    expect(matchLine(2n, { type: 'modified', service: { ...s, orphanSince: 10 } }, 12)).toContain(
      'TTL: 5; Orphan: 3.0 s until timeout; Client Id: 0x3',
    );
    expect(matchLine(2n, { type: 'disappeared', service: s }, 0)).toBe(
      'Subscription 0x2: Match type: disappeared; Service id: 0x10\n',
    );
  });
});

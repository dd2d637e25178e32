import { formatIpAddress, parseAddress } from '../../lib/transport';

describe('parseAddress', () => {
  it.each([
    ['ux:pafd', { transport: 'ux', name: 'pafd' }],
    ['ux:' + 'n'.repeat(107), { transport: 'ux', name: 'n'.repeat(107) }],
    ['uxf:/run/paf.sock', { transport: 'uxf', path: '/run/paf.sock' }],
    ['uxf:relative/sock', { transport: 'uxf', path: 'relative/sock' }],
    [
      'tcp:127.0.0.1:4711',
      { transport: 'tcp', host: { kind: 'ipv4', address: '127.0.0.1' }, hostText: '127.0.0.1', port: 4711 },
    ],
    ['tls:[::1]:0', { transport: 'tls', host: { kind: 'ipv6', address: '::1' }, hostText: '[::1]', port: 0 }],
    ['tcp:*:65535', { transport: 'tcp', host: { kind: 'any4' }, hostText: '*', port: 65535 }],
    ['tcp:[*]:1', { transport: 'tcp', host: { kind: 'any6' }, hostText: '[*]', port: 1 }],
    [
      'utls:my-host.example.com:4711',
      {
        transport: 'utls',
        host: { kind: 'dns', name: 'my-host.example.com' },
        hostText: 'my-host.example.com',
        port: 4711,
      },
    ],
    [
      'tcp:localhost:80',
      { transport: 'tcp', host: { kind: 'dns', name: 'localhost' }, hostText: 'localhost', port: 80 },
    ],
    [
      'tcp:[::ffff:127.0.0.1]:9',
      {
        transport: 'tcp',
        host: { kind: 'ipv6', address: '::ffff:127.0.0.1' },
        hostText: '[::ffff:127.0.0.1]',
        port: 9,
      },
    ],
  ])('accepts %s', (address, value) => {
    expect(parseAddress(address)).toEqual({ ok: true, value });
  });

  it.each([
    ['btcp:127.0.0.1:4711', 'btcp: byte-stream transports are not supported by Pathfinder'],
    ['btls:127.0.0.1:4711', 'btls: byte-stream transports are not supported by Pathfinder'],
    ['foo:bar', 'unknown transport'],
    ['sctp:127.0.0.1:1', 'sctp: transport not supported'],
    ['ux:', 'ux: empty name'],
    ['ux:' + 'n'.repeat(108), 'too long'],
    ['ux:a\0b', 'NUL'],
    ['uxf:', 'uxf: empty path'],
    ['tcp:127.0.0.1:65536', 'invalid port'],
    ['tcp:127.0.0.1:-1', 'invalid port'],
    ['tcp:127.0.0.1:', 'invalid port'],
    ['tcp:127.0.0.1', 'missing port'],
    ['tcp:4711', 'missing port'],
    ['tcp::4711', 'missing host'],
    ['tcp:256.0.0.1:1', 'invalid IPv4 address'],
    ['tcp:[::g]:1', 'invalid IPv6 address'],
    ['tcp:bad_host:1', 'invalid host name'],
    ['tcp:127.0.0.1 :1', 'whitespace'],
    [' ux:a', 'whitespace'],
    ['pafd', 'missing transport prefix'],
    ['tcp:' + 'a'.repeat(600) + ':1', 'too long'],
  ])('rejects %j', (address, message) => {
    const result = parseAddress(address);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toContain(message);
  });
});

describe('formatIpAddress', () => {
  it('formats IPv4, IPv6 and IPv4-mapped addresses like XCM', () => {
    expect(formatIpAddress('tcp', '127.0.0.1', 40000)).toBe('tcp:127.0.0.1:40000');
    expect(formatIpAddress('tls', '::1', 1)).toBe('tls:[::1]:1');
    expect(formatIpAddress('tcp', '::ffff:127.0.0.1', 40000)).toBe('tcp:[::ffff:127.0.0.1]:40000');
  });
});

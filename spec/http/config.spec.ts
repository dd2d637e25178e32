import { expect } from '@jest/globals';
import { either as E } from 'fp-ts';

import { parseDaemonArgs } from '../../lib/cli/daemon-args';
import { parseConfigText } from '../../lib/config/config-file';
import { parseHttpAddress } from '../../lib/config/config-http';

describe('parseHttpAddress', () => {
  it.each([
    ['8080', { host: '127.0.0.1', port: 8080 }],
    [':8080', { host: '127.0.0.1', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:9090', { host: '0.0.0.0', port: 9090 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[::]:65535', { host: '::', port: 65535 }],
  ])('reads %s', (text, want) => expect(parseHttpAddress(text)).toEqual(want));

  it.each(['', 'localhost', 'host:', ':', 'a:b:80', '::1:80', '[::1]', 'host:123456', 'tcp:127.0.0.1:80', ' 80'])(
    'rejects %j with a one-line message',
    (text) => expect(parseHttpAddress(text)).toMatch(/^invalid HTTP address '.*' \(expected/),
  );

  it('rejects a port over 65535', () => {
    expect(parseHttpAddress('127.0.0.1:65536')).toBe("invalid HTTP port 65536 in '127.0.0.1:65536' (must be 0..65535)");
  });
});

describe('the http section of the configuration file', () => {
  const ok = (text: string) => {
    const r = parseConfigText(text);
    if (E.isLeft(r)) throw new Error(r.left);
    return r.right.http;
  };
  const err = (text: string): string => {
    const r = parseConfigText(text);
    if (E.isRight(r)) throw new Error('expected an error');
    return r.left;
  };

  it('reads address, tls, token and history', () => {
    expect(ok('http: {address: "[::1]:8443", tls: {cert: c.pem, key: k.pem}, token: s3cret, history: 50}')).toEqual({
      host: '::1',
      port: 8443,
      tls: { cert: 'c.pem', key: 'k.pem' },
      token: 's3cret',
      history: 50,
    });
    expect(ok('http: {address: "9000", token_file: /etc/t}')).toEqual({
      host: '127.0.0.1',
      port: 9000,
      tokenFile: '/etc/t',
      history: 10000,
    });
    expect(ok('log: {console: true}')).toBeUndefined();
  });

  it.each([
    ['http: 8080', "parameter 'http' has invalid value type: expected dict, got int"],
    ['http: {tls: {cert: a, key: b}}', "required parameter 'http.address' is missing"],
    ['http: {address: 80, port: 1}', "invalid http key: 'port' (valid keys: address tls token token_file history)"],
    ['http: {address: nope}', "invalid http.address: invalid HTTP address 'nope'"],
    ['http: {address: "1", tls: {cert: a}}', "required parameter 'http.tls.key' is missing"],
    ['http: {address: "1", tls: {cert: a, key: b, tc: c}}', "invalid http.tls key: 'tc' (valid keys: cert key)"],
    [
      'http: {address: "1", token: a, token_file: b}',
      "parameters 'http.token' and 'http.token_file' cannot both be given",
    ],
    ['http: {address: "1", token: " "}', 'invalid http.token: empty'],
    ['http: {address: "1", history: 0}', 'invalid http.history: 0 (must be >= 1)'],
  ])('rejects %s', (text, message) => expect(err(text)).toContain(message));
});

describe('--http', () => {
  const files: Record<string, string> = {
    'http.conf': 'domains: [{sockets: [ux:a]}]\nhttp: {address: "127.0.0.1:8080", token: t, history: 7}',
  };
  const parse = (...argv: string[]) =>
    parseDaemonArgs(argv, { readFile: (p) => files[p] ?? new Error(`ENOENT '${p}'`) });

  it('is off by default', () => {
    const r = parse('ux:a');
    expect(r.kind === 'run' && r.config.http).toBeUndefined();
  });

  it('enables the listener on loopback for a bare port', () => {
    const r = parse('--http', '9100', 'ux:a');
    expect(r.kind === 'run' && r.config.http).toEqual({ host: '127.0.0.1', port: 9100, history: 10000 });
  });

  it('moves the listener the file configures, keeping its other settings', () => {
    const r = parse('-f', 'http.conf', '--http=[::1]:0');
    expect(r.kind === 'run' && r.config.http).toEqual({ host: '::1', port: 0, token: 't', history: 7 });
    const f = parse('-f', 'http.conf');
    expect(f.kind === 'run' && f.config.http).toEqual({ host: '127.0.0.1', port: 8080, token: 't', history: 7 });
  });

  it('rejects a bad address with one line', () => {
    expect(parse('--http', 'x', 'ux:a')).toEqual({
      kind: 'error',
      message: "Invalid --http: invalid HTTP address 'x' (expected <host>:<port>, [<ipv6>]:<port> or <port>).",
    });
    expect(parse('--http')).toMatchObject({ kind: 'error', message: expect.stringContaining('--http') });
  });

  it('is documented in the usage text', () => {
    const r = parse('-h');
    expect(r.kind === 'help' && r.text).toContain('--http <addr>');
  });
});

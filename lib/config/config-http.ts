/**
 * The HTTP listener's configuration (an rxpaf extension: option `--http <addr>`, root key `http`): address,
 * optional TLS certificate and key, optional bearer token, and the size of the per-domain watch history.
 *
 * ```yaml
 * http:
 *   address: 127.0.0.1:8080      # host:port, [v6]:port, or a bare port (loopback)
 *   tls: {cert: /etc/rxpaf/http.crt, key: /etc/rxpaf/http.key}
 *   token_file: /etc/rxpaf/http.token   # or token: <secret>
 *   history: 10000               # watch events kept per domain for resuming
 * ```
 */
import { ConfigError, checkType, joinPath, optional, optionalIntAtLeast, required } from './config-fields';

/** A listening address: host (name or IP; IPv6 without brackets) and TCP port (0 = any free port). */
export interface HttpAddress {
  host: string;
  port: number;
}

/** Validated `http` settings. */
export interface HttpConfig extends HttpAddress {
  tls?: { cert: string; key: string };
  /** Bearer token required on every endpoint except `/healthz` and `/readyz`. */
  token?: string;
  /** File holding the token (read at startup, surrounding whitespace ignored). */
  tokenFile?: string;
  /** Directory changes kept per domain so a watch can resume (default 10000). */
  history: number;
}

/** Default number of changes kept per domain for watch resumption. */
export const DEFAULT_HTTP_HISTORY = 10_000;

/** The address used when only a port is given: loopback, never all interfaces unless asked. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/**
 * Parses `host:port`, `[v6addr]:port` or a bare `port` (host 127.0.0.1). Returns the problem as a string when the
 * text is not an address.
 *
 * @example
 * parseHttpAddress('8080'); // { host: '127.0.0.1', port: 8080 } (also ':8080')
 * parseHttpAddress('[::1]:0'); // { host: '::1', port: 0 }
 */
export const parseHttpAddress = (text: string): HttpAddress | string => {
  const bad = `invalid HTTP address '${text}' (expected <host>:<port>, [<ipv6>]:<port> or <port>)`;
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))?:)?(\d{1,5})$/.exec(text);
  if (m === null) return bad;
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) return `invalid HTTP port ${port} in '${text}' (must be 0..65535)`;
  return { host: host ?? DEFAULT_HTTP_HOST, port };
};

/** Validates the `http` section. Throws `ConfigError`. */
export const parseHttp = (value: unknown): HttpConfig => {
  const m = checkType(value, 'dict', 'http');
  const known = ['address', 'tls', 'token', 'token_file', 'history'];
  const unknown = Object.keys(m).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new ConfigError(`invalid http key: '${unknown}' (valid keys: ${known.join(' ')})`);
  const text = required(m, 'address', 'str', 'http');
  const address = parseHttpAddress(text);
  if (typeof address === 'string') throw new ConfigError(`invalid http.address: ${address}`);
  const out: HttpConfig = {
    ...address,
    history: optionalIntAtLeast(m, 'history', 1, 'http') ?? DEFAULT_HTTP_HISTORY,
  };
  const tls = optional(m, 'tls', 'dict', 'http');
  if (tls !== undefined) {
    const path = joinPath('http', 'tls');
    const extra = Object.keys(tls).find((k) => k !== 'cert' && k !== 'key');
    if (extra !== undefined) throw new ConfigError(`invalid ${path} key: '${extra}' (valid keys: cert key)`);
    out.tls = { cert: required(tls, 'cert', 'str', path), key: required(tls, 'key', 'str', path) };
  }
  const token = optional(m, 'token', 'str', 'http');
  const tokenFile = optional(m, 'token_file', 'str', 'http');
  if (token !== undefined && tokenFile !== undefined)
    throw new ConfigError("parameters 'http.token' and 'http.token_file' cannot both be given");
  if (token !== undefined) {
    if (token.trim() === '') throw new ConfigError('invalid http.token: empty');
    out.token = token;
  }
  if (tokenFile !== undefined) out.tokenFile = tokenFile;
  return out;
};

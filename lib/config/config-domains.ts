/**
 * Validation of the `domains` list of the configuration file (spec §11.3, §8.1; paf/conf.py).
 */
import {
  DEFAULT_IDLE,
  MIN_IDLE_MIN,
  SUPPORTED_PROTOCOL_VERSIONS,
  type DomainConfig,
  type SocketConfig,
  type TlsSocketConfig,
} from './daemon-config';
import {
  ConfigError,
  checkType,
  isMapping,
  joinPath,
  missing,
  optional,
  optionalAliased,
  pyRepr,
  type Mapping,
} from './config-fields';

const TLS_PROTOS: readonly string[] = ['tls', 'utls'];
const TLS_KEYS: ReadonlyArray<keyof TlsSocketConfig> = ['cert', 'key', 'tc', 'crl'];

/**
 * Reads a `tls` mapping. Unlike pafd (which only fails when creating the socket, §11.3), an unknown key is
 * rejected here, at configuration time, so the mistake is reported with the parameter's name.
 */
const parseTls = (tls: Mapping, path: string): TlsSocketConfig => {
  const unknown = Object.keys(tls).filter((k) => !(TLS_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(`invalid ${path} key: '${unknown[0]}' (valid keys: ${TLS_KEYS.join(' ')})`);
  }
  const out: TlsSocketConfig = {};
  for (const k of TLS_KEYS) {
    const v = optional(tls, k, 'str', path);
    if (v !== undefined) out[k] = v;
  }
  return out;
};

const parseSocket = (entry: unknown, path: string): SocketConfig => {
  if (typeof entry === 'string') return { addr: entry };
  if (!isMapping(entry)) throw new ConfigError(`invalid domain address: ${pyRepr(entry)}`);
  const addr = optional(entry, 'addr', 'str', path);
  if (addr === undefined) throw missing(joinPath(path, 'addr'));
  const tls = optional(entry, 'tls', 'dict', path);
  if (tls === undefined) return { addr };
  const proto = addr.split(':')[0]!;
  if (!TLS_PROTOS.includes(proto)) {
    throw new ConfigError(`invalid ${joinPath(path, 'addr')}: '${proto}' (valid values: ${TLS_PROTOS.join(' ')})`);
  }
  return { addr, tls: parseTls(tls, joinPath(path, 'tls')) };
};

const parseProtocolVersion = (d: Mapping, path: string): DomainConfig['protocolVersion'] => {
  const pvPath = joinPath(path, 'protocol_version');
  const pv = optional(d, 'protocol_version', 'dict', path) ?? {};
  const min = optional(pv, 'min', 'int', pvPath) ?? SUPPORTED_PROTOCOL_VERSIONS.min;
  const max = optional(pv, 'max', 'int', pvPath) ?? SUPPORTED_PROTOCOL_VERSIONS.max;
  if (min < SUPPORTED_PROTOCOL_VERSIONS.min) {
    throw new ConfigError(
      `invalid ${pvPath}.min: ${min} (lowest supported protocol version is ${SUPPORTED_PROTOCOL_VERSIONS.min})`,
    );
  }
  if (max > SUPPORTED_PROTOCOL_VERSIONS.max) {
    throw new ConfigError(
      `invalid ${pvPath}.max: ${max} (highest supported protocol version is ${SUPPORTED_PROTOCOL_VERSIONS.max})`,
    );
  }
  if (min > max) throw new ConfigError(`invalid ${pvPath}: min (${min}) is greater than max (${max})`);
  return { min, max };
};

/** Idle limits; upstream raises an uncaught `ValueError` for range errors, we report them cleanly (B10). */
const parseIdle = (d: Mapping, path: string): DomainConfig['idle'] => {
  const idlePath = joinPath(path, 'idle');
  const idle = optional(d, 'idle', 'dict', path) ?? {};
  const min = optional(idle, 'min', 'int', idlePath) ?? DEFAULT_IDLE.min;
  const idleMax = optional(idle, 'max', 'int', idlePath);
  const legacyMax = optional(d, 'max_idle_time', 'int', path);
  if (idleMax !== undefined && legacyMax !== undefined) {
    throw new ConfigError(`parameter '${idlePath}.max' was used in combination with one of its aliases`);
  }
  const max = idleMax ?? legacyMax ?? DEFAULT_IDLE.max;
  if (min < MIN_IDLE_MIN) throw new ConfigError(`invalid ${idlePath}.min: ${min} (must be >= ${MIN_IDLE_MIN})`);
  if (min > max) throw new ConfigError(`invalid ${idlePath}: min (${min}) is greater than max (${max})`);
  return { min, max };
};

const parseDomain = (entry: unknown, path: string): DomainConfig => {
  const d = checkType(entry, 'dict', path);
  const name = optional(d, 'name', 'str', path);
  const protocolVersion = parseProtocolVersion(d, path);
  const idle = parseIdle(d, path);
  const list = optionalAliased(d, ['sockets', 'addrs'], 'list', path);
  if (list === undefined) throw missing(joinPath(path, 'sockets'));
  const sockets = list.map((s) => parseSocket(s, joinPath(path, 'sockets')));
  return { ...(name === undefined ? {} : { name }), protocolVersion, idle, sockets };
};

/**
 * Validates the value of the root key `domains` (a list of domain mappings). Paths in messages are unindexed,
 * e.g. `required parameter 'domains.sockets' is missing`. Throws `ConfigError`.
 */
export const parseDomains = (value: unknown): DomainConfig[] =>
  checkType(value, 'list', 'domains').map((d) => parseDomain(d, 'domains'));

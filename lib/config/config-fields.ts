/**
 * Field readers for the configuration file with Python `isinstance` semantics (paf/conf.py): a YAML boolean
 * passes where an integer is expected (Python's `bool` is a subclass of `int`), a key whose value is null counts as
 * absent. Readers throw `ConfigError`; `parseConfigText` turns it into the `Left` of its result, so the exception
 * never leaves the configuration module.
 */

import { PafConfigError } from '../errors';

/** A configuration validation failure; the message is the one-line text shown to the user. */
export class ConfigError extends PafConfigError {}

/** A YAML mapping as loaded by `parseYaml11`. */
export type Mapping = Readonly<Record<string, unknown>>;

/** The value kinds the schema uses, named after the Python types checked. */
export type Kind = 'int' | 'str' | 'bool' | 'list' | 'dict';

/** The JS value a kind is read as. */
export interface KindValue {
  int: number;
  str: string;
  bool: boolean;
  list: readonly unknown[];
  dict: Mapping;
}

/** True for a YAML mapping (a plain object; not a list, date or null). */
export const isMapping = (v: unknown): v is Mapping =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);

/** The Python type name of a loaded YAML value, for error messages. */
export const pyTypeName = (v: unknown): string => {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Date) return 'datetime';
  if (v instanceof Uint8Array) return 'bytes';
  return isMapping(v) ? 'dict' : typeof v;
};

/** A short Python-like rendering of a value for error messages. */
export const pyRepr = (v: unknown): string => {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'symbol' || typeof v === 'function') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
};

/** Joins a parent path and a key (`domains` + `sockets` → `domains.sockets`). */
export const joinPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

const convert = <K extends Kind>(v: unknown, kind: K): KindValue[K] | undefined => {
  const ok: { [P in Kind]: (x: unknown) => unknown } = {
    int: (x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'boolean' ? Number(x) : undefined),
    str: (x) => (typeof x === 'string' ? x : undefined),
    bool: (x) => (typeof x === 'boolean' ? x : undefined),
    list: (x) => (Array.isArray(x) ? x : undefined),
    dict: (x) => (isMapping(x) ? x : undefined),
  };
  return ok[kind](v) as KindValue[K] | undefined;
};

/** Checks the type of a value found at `path`; throws the upstream-style type error if it does not match. */
export const checkType = <K extends Kind>(v: unknown, kind: K, path: string): KindValue[K] => {
  const converted = convert(v, kind);
  if (converted === undefined) {
    throw new ConfigError(`parameter '${path}' has invalid value type: expected ${kind}, got ${pyTypeName(v)}`);
  }
  return converted;
};

/** Reads an optional key (null = absent). */
export const optional = <K extends Kind>(m: Mapping, key: string, kind: K, path: string): KindValue[K] | undefined => {
  const v = m[key];
  return v === null || v === undefined ? undefined : checkType(v, kind, joinPath(path, key));
};

/** Reads an optional key that also has legacy aliases; giving more than one of them is an error. */
export const optionalAliased = <K extends Kind>(
  m: Mapping,
  names: readonly string[],
  kind: K,
  path: string,
): KindValue[K] | undefined => {
  const present = names.filter((n) => m[n] !== null && m[n] !== undefined);
  if (present.length > 1) {
    throw new ConfigError(`parameter '${joinPath(path, names[0]!)}' was used in combination with one of its aliases`);
  }
  return present.length === 0 ? undefined : optional(m, present[0]!, kind, path);
};

/** Reads a required key (null = missing). */
export const required = <K extends Kind>(m: Mapping, key: string, kind: K, path: string): KindValue[K] => {
  const v = optional(m, key, kind, path);
  if (v === undefined) throw missing(joinPath(path, key));
  return v;
};

/** The upstream missing-parameter error. */
export const missing = (path: string): ConfigError => new ConfigError(`required parameter '${path}' is missing`);

/** Reads an optional integer that must be at least `min`. */
export const optionalIntAtLeast = (m: Mapping, key: string, min: number, path: string): number | undefined => {
  const v = optional(m, key, 'int', path);
  if (v !== undefined && v < min) {
    throw new ConfigError(`invalid ${joinPath(path, key)}: ${v} (must be >= ${min})`);
  }
  return v;
};

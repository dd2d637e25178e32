/**
 * Loading and validating the YAML configuration file (`-f`, spec §11.3; paf/conf.py). Every failure is a
 * one-line message; the command line prefixes it with `Error reading configuration: `.
 */
import { readFileSync } from 'node:fs';
import * as E from '../util/either';
import type { DomainConfig, LogConfig, OutputLimitsConfig, RecordConfig } from './daemon-config';
import { ConfigError, isMapping, pyTypeName } from './config-fields';
import { parseDomains } from './config-domains';
import { parseLog, parseOutputLimits, parseRecord, parseResources, type ResourcesConfig } from './config-sections';
import { parseYaml11 } from './yaml-11';
import { parseHttp, type HttpConfig } from './config-http';

/** What a configuration file sets; absent sections are left for defaults and the command line. */
export interface PartialConfig {
  domains?: DomainConfig[];
  resources?: ResourcesConfig;
  log: Partial<LogConfig>;
  record?: RecordConfig;
  http?: HttpConfig;
  outputLimits?: Partial<OutputLimitsConfig>;
}

const present = (v: unknown): boolean => v !== null && v !== undefined;

/**
 * Validates an already loaded YAML value. An empty document (null) is an empty configuration; unknown root keys
 * are ignored.
 */
export const validateConfig = (root: unknown): E.Either<string, PartialConfig> => {
  if (root === null || root === undefined) return E.right({ log: {} });
  if (!isMapping(root)) {
    return E.left(`configuration root has invalid value type: expected dict, got ${pyTypeName(root)}`);
  }
  try {
    return E.right({
      ...(present(root.domains) ? { domains: parseDomains(root.domains) } : {}),
      ...(present(root.resources) ? { resources: parseResources(root.resources) } : {}),
      log: present(root.log) ? parseLog(root.log) : {},
      ...(present(root.record) ? { record: parseRecord(root.record) } : {}),
      ...(present(root.http) ? { http: parseHttp(root.http) } : {}),
      ...(present(root.output_limits) ? { outputLimits: parseOutputLimits(root.output_limits) } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) return E.left(e.message);
    throw e;
  }
};

/** Parses and validates configuration text (YAML 1.1 with PyYAML `safe_load` semantics, decision A13). */
export const parseConfigText = (text: string): E.Either<string, PartialConfig> => {
  const loaded = parseYaml11(text);
  return E.isLeft(loaded) ? loaded : validateConfig(loaded.right);
};

/** Reads a file as UTF-8 text, or returns the error. The default file reader of `readConfigFile`. */
export const readTextFile = (path: string): string | Error => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    // Not `instanceof Error`: fs errors may come from another realm (e.g. under jest).
    const message = (e as { message?: unknown } | null)?.message;
    return new Error(typeof message === 'string' ? message : String(e));
  }
};

/**
 * Reads and validates a configuration file. `readFile` is injectable for tests; an unreadable file gives
 * `cannot read '<path>': <reason>`.
 */
export const readConfigFile = (
  path: string,
  readFile: (path: string) => string | Error = readTextFile,
): E.Either<string, PartialConfig> => {
  const text = readFile(path);
  if (text instanceof Error) return E.left(`cannot read '${path}': ${text.message.split('\n')[0]}`);
  return parseConfigText(text);
};

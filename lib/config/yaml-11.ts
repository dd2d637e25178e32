/**
 * A YAML loader with PyYAML `safe_load` semantics (decision A13): YAML 1.1 scalars, where only
 * yes/no/on/off/true/false (in lower, Capitalised or UPPER case) are booleans (PyYAML does not treat `y`/`n` as
 * booleans, the `yaml` package's 1.1 schema does), duplicate keys are allowed (the last wins), unknown tags are
 * errors, and integers are kept apart from floats (integers load as `bigint`, floats as `number`).
 */
import * as E from '../util/either';
import type * as Yaml from 'yaml';
import type { ScalarTag } from 'yaml';

/** The `yaml` package (80 modules, ~8 MB RSS) is loaded on the first configuration file, not by an idle daemon. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof Yaml => require('yaml') as typeof Yaml;

const BOOL_TAG = 'tag:yaml.org,2002:bool';

const boolTag = (value: boolean, test: RegExp): ScalarTag => ({
  tag: BOOL_TAG,
  default: true,
  test,
  resolve: () => value,
  identify: (v: unknown) => typeof v === 'boolean',
});

const PYYAML_BOOLS: readonly ScalarTag[] = [
  boolTag(true, /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/),
  boolTag(false, /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/),
];

/** Reduces a `yaml` error text (multi-line, with a source excerpt) to its first line. */
const firstLine = (message: string): string => message.split('\n')[0]!.replace(/:\s*$/, '');

/**
 * Parses one YAML 1.1 document. Integers become `bigint`, floats `number`, booleans `boolean`, null `null`.
 * Returns a one-line error message on syntax errors, unknown tags or multiple documents.
 */
export const parseYaml11 = (text: string): E.Either<string, unknown> => {
  const docs = yaml().parseAllDocuments(text, {
    version: '1.1',
    intAsBigInt: true,
    uniqueKeys: false,
    logLevel: 'silent',
    customTags: (tags) => [
      ...PYYAML_BOOLS,
      ...tags.filter((t) => (typeof t === 'string' ? t !== 'bool' : t.tag !== BOOL_TAG)),
    ],
  });
  if (!Array.isArray(docs) || docs.length === 0) return E.right(null);
  if (docs.length > 1) return E.left('YAML error: expected a single document in the stream');
  const doc = docs[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    return E.left(`YAML error: ${firstLine(problem.message)}`);
  }
  try {
    return E.right(doc.toJS({ maxAliasCount: 1000 }));
  } catch (e) {
    return E.left(`YAML error: ${firstLine(e instanceof Error ? e.message : String(e))}`);
  }
};

/**
 * Type-level tests of the public model: spec/package/types/public-model.ts states them (a discriminated `Match` and
 * `ServiceChange`, one `Service` type on the client, server and replay side, readonly fields, bigint ids), and this
 * spec compiles it with the TypeScript compiler (strict, as the repository's tsconfig.json) and expects no
 * diagnostic. Then it compiles it against deliberately broken variants of lib/model.ts, to show the check fails
 * when the model regresses (jest runs specs transpile-only, so without this a type regression would only show in
 * `npm run typecheck`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(__dirname, 'types', 'public-model.ts');
const MODEL = join(ROOT, 'lib', 'model.ts');

const options = (): ts.CompilerOptions => {
  const read = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, types: ['node'] };
};

/** Source files parsed once for all compilations (only lib/model.ts varies). */
const parsed = new Map<string, ts.SourceFile | undefined>();
let previous: ts.Program | undefined;

/** Diagnostics of the fixture, with lib/model.ts replaced by `model` when given; as `file:line: TSnnnn ...`. */
const compile = (model?: string): string[] => {
  const opts = options();
  const host = ts.createCompilerHost(opts);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, onError, create) => {
    if (model !== undefined && file === MODEL) return ts.createSourceFile(file, model, lang);
    if (!parsed.has(file)) parsed.set(file, getSourceFile(file, lang, onError, create));
    return parsed.get(file);
  };
  const program = ts.createProgram([FIXTURE], opts, host, previous);
  previous = program;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file !== undefined && d.start !== undefined
        ? `${d.file.fileName.slice(ROOT.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : '-';
    return `${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 100)}`;
  });
};

const model = readFileSync(MODEL, 'utf8');
const replaced = (from: RegExp, to: string): string => {
  expect(model).toMatch(from);
  return model.replace(from, to);
};
const inFixture = (diagnostics: string[]): string[] => diagnostics.filter((d) => d.startsWith('spec/package/types/'));

describe('the public model, at the type level', () => {
  it('compiles: discriminated Match and ServiceChange, one Service everywhere, readonly, bigint ids', () => {
    expect(compile()).toEqual([]);
  }, 120_000);

  it('fails when Match is not a discriminated union (one shape with an optional service)', () => {
    const broken = replaced(
      /export type Match =[^;]+;/,
      "export type Match = { readonly type: 'appeared' | 'modified' | 'disappeared'; readonly service?: Service };",
    );
    expect(inFixture(compile(broken)).length).toBeGreaterThan(0);
  }, 120_000);

  it('fails when ServiceChange carries `previous` on every variant', () => {
    const broken = replaced(
      /export type ServiceChange =[^;]+;/,
      "export type ServiceChange = { readonly type: 'added' | 'modified' | 'removed'; readonly service: Service; readonly previous: Service };",
    );
    expect(inFixture(compile(broken))).toContainEqual(expect.stringMatching(/public-model\.ts:\d+: TS2578 /));
  }, 120_000);

  it('fails when a field becomes mutable or an id stops being a bigint', () => {
    expect(inFixture(compile(replaced(/ {2}readonly id: bigint;/, '  id: bigint;')))).toEqual([
      expect.stringMatching(/public-model\.ts:\d+: TS2578 /),
    ]);
    expect(
      inFixture(compile(replaced(/ {2}readonly generation: bigint;/, '  readonly generation: number;'))).length,
    ).toBeGreaterThan(0);
  }, 240_000);
});

/**
 * The package as a user gets it: the packed tarball (from `$RXPAF_TARBALL`, which CI makes with a real `npm pack`,
 * or packed here from the built dist/ with the addon prebuilt by prebuildify) is installed OFFLINE from the npm cache
 * into a fresh project on a PATH without any C compiler, and a CommonJS, an ESM and a TypeScript consumer
 * (spec/package/consumer/) import every entry point and do real work against the installed package's own rxpafd.
 * Also: the tarball's contents (size and file count printed), type resolution of every entry point (attw and tsc
 * with nodenext, node16 and bundler, each entry point with its own declarations), and an install where neither a
 * prebuilt binary nor a compiler is there (only ux:/uxf:/utls: fail, saying what to install). The installed rxpafd
 * serves its dashboard (the packed lib/http/ui files and uPlot) with --http.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import * as ts from 'typescript';

import { Daemon } from '../helpers/daemon';
import { makePki, type TestPki } from '../transport/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkPack } = require('../../scripts/pack-check.js') as {
  checkPack: (paths: readonly string[], pkg: unknown, opts?: { prebuild?: boolean }) => string[];
};

const ROOT = join(__dirname, '..', '..');
const CONSUMER = join(__dirname, 'consumer');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

const run = (
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
) => {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};
const must = (r: ReturnType<typeof run>, what: string): string => {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? String(r.error)}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

const tmp = mkdtempSync(join(tmpdir(), 'rxpaf-package-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A PATH with every program of this one except compilers, make and python: a machine without a toolchain. */
const noToolchainPath = (): string => {
  const bin = join(tmp, 'no-toolchain-bin');
  mkdirSync(bin, { recursive: true });
  const toolchain =
    /^(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|ld|ld\..*|as|make|gmake|python.*)$|gcc|g\+\+|clang/;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (toolchain.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
};

/** Pack the repository as `npm pack` does (dist/ must be built: `npm test` builds it first). */
const packHere = (): string => {
  if (!existsSync(join(ROOT, 'dist', 'esm', 'index.mjs'))) throw new Error('dist/ is not built: run `npm run build`');
  // prebuildify in a copy of the addon sources, so the build/ directory other specs load the addon from stays put
  const stage = join(tmp, 'addon');
  mkdirSync(join(stage, 'native'), { recursive: true });
  copyFileSync(join(ROOT, 'binding.gyp'), join(stage, 'binding.gyp'));
  copyFileSync(join(ROOT, 'native', 'seqpacket.c'), join(stage, 'native', 'seqpacket.c'));
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version }));
  must(run(join(ROOT, 'node_modules', '.bin', 'prebuildify'), ['--napi', '--strip'], { cwd: stage }), 'prebuildify');
  cpSync(join(stage, 'prebuilds'), join(ROOT, 'prebuilds'), { recursive: true });
  const out = must(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp]), 'npm pack');
  return join(tmp, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
};

type LockEntry = {
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  [k: string]: unknown;
};

/**
 * A lockfile for the consumer project, taken from this repository's: the tarball plus the consumer's own rxjs,
 * TypeScript and Node types, with every transitive dependency at the version `npm ci` put in the npm cache, so
 * `npm ci --offline` installs it with no registry at all (`npm install --offline` would need registry metadata that
 * `npm ci` does not cache).
 */
const consumerLock = (name: string, tarball: string): object => {
  const repo = (
    JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  ).packages;
  const manifest = JSON.parse(must(run('tar', ['xzf', tarball, '-O', 'package/package.json']), 'tar')) as LockEntry & {
    bin?: Record<string, string>;
    license?: string;
    engines?: unknown;
  };
  const direct = {
    rxjs: versionOf('rxjs'),
    typescript: versionOf('typescript'),
    '@types/node': versionOf('@types/node'),
  };
  const packages: Record<string, unknown> = {
    '': { name, version: '1.0.0', dependencies: { rxpaf: `file:${tarball}`, ...direct } },
    'node_modules/rxpaf': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      hasInstallScript: true,
      license: manifest.license,
      dependencies: manifest.dependencies,
      peerDependencies: manifest.peerDependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  const registry = must(run('npm', ['config', 'get', 'registry']), 'npm config')
    .trim()
    .replace(/\/?$/, '/');
  const want = (deps: Record<string, string> | undefined, from: string): Array<[string, string]> =>
    Object.keys(deps ?? {}).map((d) => [d, from]);
  const queue: Array<[string, string]> = [
    ...Object.keys(direct).map((d): [string, string] => [d, '']),
    ...want(manifest.dependencies, 'node_modules/rxpaf'),
  ];
  while (queue.length > 0) {
    const [dep, from] = queue.shift()!;
    // node's lookup: nested under the requiring package first, then at the top
    const nested = from === '' || from === 'node_modules/rxpaf' ? undefined : `${from}/node_modules/${dep}`;
    const path = nested !== undefined && repo[nested] !== undefined ? nested : `node_modules/${dep}`;
    if (packages[path] !== undefined) continue;
    const entry = repo[path];
    if (entry === undefined) throw new Error(`${path} is not in package-lock.json`);
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    const pkgName = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const resolved = `${registry}${pkgName}/-/${pkgName.split('/').pop()!}-${entry.version}.tgz`;
    packages[path] = { resolved, ...rest };
    queue.push(...want(entry.dependencies, path));
    const optionalPeer = entry.peerDependenciesMeta ?? {};
    queue.push(...want(entry.peerDependencies, path).filter(([d]) => optionalPeer[d]?.optional !== true));
  }
  return { name, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
};

/** A fresh project with the tarball (and the consumer's own rxjs, TypeScript, Node types) installed offline. */
const installInto = (name: string, tarball: string, env: NodeJS.ProcessEnv): { dir: string; log: string } => {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const lock = consumerLock(name, tarball) as { packages: { '': object } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...lock.packages[''], private: true }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  const r = run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: dir, env });
  must(r, `npm ci --offline in ${name}`);
  return { dir, log: r.stdout + r.stderr };
};

/**
 * A CommonJS program for an installed app: an in-process server on `tls:` and a client pinging it over TLS (the
 * certificates of `pki`), printing `tls ping number`. TLS is Node's own: it needs no addon.
 */
const tlsScript = (pki: TestPki): string =>
  [
    "const { createServer } = require('rxpaf/server');",
    "const { createClient } = require('rxpaf/client');",
    '(async () => {',
    `  const tls = ${JSON.stringify({ cert: pki.serverCert, key: pki.serverKey, tc: pki.ca })};`,
    "  const server = await createServer({ domains: [{ sockets: [{ addr: 'tls:127.0.0.1:0', tls }] }] });",
    `  const mine = ${JSON.stringify({ cert: pki.clientCert, key: pki.clientKey, tc: pki.ca })};`,
    '  const client = createClient({ addresses: [{ address: server.domains[0].addresses[0], tls: mine }] });',
    "  console.log('tls ping', typeof (await client.ping()));",
    '  await client.close();',
    '  await server.close();',
    '})();',
  ].join('\n');

describe('the packed tarball', () => {
  let tarball: string;
  let paths: string[];
  let app: string;
  let daemon: Daemon;
  let consumerEnv: string;
  let installEnv: NodeJS.ProcessEnv;
  let pki: TestPki;

  beforeAll(async () => {
    pki = makePki();
    tarball = process.env.RXPAF_TARBALL ?? packHere();
    paths = must(run('tar', ['tzf', tarball]), 'tar tzf')
      .split('\n')
      .filter((l) => l.endsWith('/') === false && l !== '')
      .map((l) => l.replace(/^package\//, ''));
    installEnv = { ...process.env, PATH: noToolchainPath(), npm_config_build_from_source: undefined };
    app = installInto('app', tarball, installEnv).dir;
    for (const f of readdirSync(CONSUMER)) copyFileSync(join(CONSUMER, f), join(app, f));
    const log = join(tmp, 'events.ndjson');
    const ux = `rxpaf-pkg-${randomBytes(6).toString('hex')}`;
    daemon = await Daemon.start(['-m', `tcp:127.0.0.1:0+ux:${ux}`, '--record', log], {
      entry: join(app, 'node_modules', 'rxpaf', 'bin', 'rxpafd.js'),
      cwd: app,
    });
    consumerEnv = JSON.stringify({ tcp: daemon.addr(0, 0), ux: daemon.addr(0, 1), log });
  }, 300_000);
  afterAll(async () => {
    await daemon?.stop();
    pki?.cleanup();
  });

  it('holds only what a consumer runs (size and file count printed)', () => {
    const size = readFileSync(tarball).length;
    process.stdout.write(
      `packed ${pkg.name}-${pkg.version}.tgz: ${(size / 1024).toFixed(1)} KiB, ${paths.length} files\n`,
    );
    expect(checkPack(paths, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')))).toEqual([]);
    expect(paths.length).toBeLessThan(400);
    expect(size).toBeLessThan(400 * 1024);
  });

  it('pack-check fails when specs, benchmarks, fixtures, configs or maps slip in, or an entry point is missing', () => {
    const pj = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const extra = [
      'spec/package/package.spec.ts',
      'bench/server.js',
      'dist/lib/replay/fixtures/golden.ndjson',
      'tsconfig.json',
      'jest.config.js',
      'dist/lib/index.js.map',
      '.ci/run',
      'dist/examples/server-observe.js',
    ];
    const problems = checkPack([...paths, ...extra], pj);
    for (const p of extra) expect(problems.some((x) => x.startsWith(`${p}:`))).toBe(true);
    expect(
      checkPack(
        paths.filter((p) => p !== 'dist/esm/client.mjs' && !p.startsWith('prebuilds/')),
        pj,
      ),
    ).toEqual([expect.stringMatching(/^prebuilds\/linux-x64/), 'dist/esm/client.mjs: missing']);
  });

  it("installs offline without a C compiler, using the prebuilt addon, with one rxjs (the consumer's)", () => {
    expect(run('sh', ['-c', 'command -v cc gcc g++ make python3'], { env: installEnv }).stdout).toBe('');
    expect(paths.some((p) => /^prebuilds\/linux-x64\/.*\.node$/.test(p))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'rxpaf', 'build'))).toBe(false);
    const ls = JSON.parse(must(run('npm', ['ls', 'rxjs', '--all', '--json'], { cwd: app }), 'npm ls')) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, unknown> }>;
    };
    expect(ls.dependencies.rxjs?.version).toBe(versionOf('rxjs'));
    expect(existsSync(join(app, 'node_modules', 'rxpaf', 'node_modules', 'rxjs'))).toBe(false);
  });

  it('tls: works in the app installed without a C compiler (prebuilt addon present, not needed for it)', () => {
    writeFileSync(join(app, 'tls.cjs'), tlsScript(pki));
    expect(must(run(process.execPath, ['tls.cjs'], { cwd: app, timeout: 30_000 }), 'tls.cjs').trim()).toBe(
      'tls ping number',
    );
  }, 60_000);

  it('resolves every entry point with its own types in node10, node16 (CJS and ESM) and bundler (attw)', () => {
    const out = run(join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'json']);
    const report = JSON.parse(out.stdout) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, unknown> };
    };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([
      '.',
      './client',
      './filter',
      './replay',
      './server',
    ]);
    expect(out.status).toBe(0);
  });

  const consumer = (file: string) => {
    const r = run(process.execPath, [file], {
      cwd: app,
      env: { ...process.env, CONSUMER_ENV: consumerEnv },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`${file} failed (${r.status ?? String(r.error)}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim().split('\n');
  };
  const WORK = [
    'ok entry points',
    'ok filter',
    'ok client over tcp',
    'ok client over ux',
    'ok in-process server',
    'ok replay',
  ];

  it('CommonJS consumer: require() of every entry point, real work against rxpafd', () => {
    expect(consumer('cjs.cjs')).toEqual(['ok internals not importable', ...WORK, 'done']);
  }, 90_000);

  it('ESM consumer: named imports from every entry point, real work against rxpafd', () => {
    expect(consumer('esm.mjs')).toEqual(['ok internals not importable', ...WORK, 'done']);
  }, 90_000);

  it("serves the dashboard from the installed package: the page and every file it references, uPlot from the package's dependency", async () => {
    const installed = join(app, 'node_modules', 'rxpaf');
    const d = await Daemon.start(['--http', '127.0.0.1:0', 'tcp:127.0.0.1:0'], {
      entry: join(installed, 'bin', 'rxpafd.js'),
      cwd: app,
    });
    try {
      const url = /INFO core http listening url=(\S+)/.exec(d.stderr)?.[1];
      expect(url).toBeDefined();
      const fetchBody = (path: string): Promise<{ status: number; type: string; body: Buffer }> =>
        new Promise((resolve, reject) => {
          httpGet(new URL(path, url), { agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                type: res.headers['content-type'] ?? '',
                body: Buffer.concat(chunks),
              }),
            );
          }).on('error', reject);
        });
      const page = await fetchBody('/');
      expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
      expect(page.body.equals(readFileSync(join(installed, 'lib', 'http', 'ui', 'index.html')))).toBe(true);
      const refs = [...page.body.toString().matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!);
      expect(refs.sort()).toEqual(['/ui/app.css', '/ui/app.js', '/ui/favicon.svg', '/ui/uplot.css', '/ui/uplot.js']);
      // uPlot as the installed package resolves it (its own dependency)
      const uplot = join(createRequire(join(installed, 'package.json')).resolve('uplot/package.json'), '..', 'dist');
      const expected: Record<string, string> = {
        '/ui/app.css': join(installed, 'lib', 'http', 'ui', 'app.css'),
        '/ui/app.js': join(installed, 'lib', 'http', 'ui', 'app.js'),
        '/ui/favicon.svg': join(installed, 'lib', 'http', 'ui', 'favicon.svg'),
        '/ui/uplot.css': join(uplot, 'uPlot.min.css'),
        '/ui/uplot.js': join(uplot, 'uPlot.iife.min.js'),
      };
      for (const ref of refs) {
        const r = await fetchBody(ref);
        expect({ ref, status: r.status }).toEqual({ ref, status: 200 });
        expect(r.body.length).toBeGreaterThan(100);
        // the installed files, byte for byte, and the same as this repository's (nothing stale was packed)
        expect(r.body.equals(readFileSync(expected[ref]!))).toBe(true);
        if (ref.startsWith('/ui/app') || ref === '/ui/favicon.svg')
          expect(r.body.equals(readFileSync(join(ROOT, 'lib', 'http', 'ui', ref.slice('/ui/'.length))))).toBe(true);
      }
      // the page's data comes from the same listener
      const domains = await fetchBody('/v1/domains');
      expect(domains.status).toBe(200);
      expect(JSON.parse(domains.body.toString())).toEqual([expect.objectContaining({ index: 0, key: '0' })]);
    } finally {
      expect((await d.stop()).code).toBe(0);
    }
  }, 60_000);

  /** Runs the consumer's tsc; returns its exit status and output (`--explainFiles`: why each file is in the program). */
  const tsc = (resolution: 'nodenext' | 'node16' | 'bundler', files: string[], emit: boolean) => {
    const config = join(app, `tsconfig.${resolution}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: resolution === 'bundler' ? 'esnext' : resolution,
          moduleResolution: resolution,
          strict: true,
          skipLibCheck: false,
          types: ['node'],
          outDir: `out-${resolution}`,
          noEmit: !emit,
        },
        files,
      }),
    );
    const tscJs = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(process.execPath, [tscJs, '-p', config, '--explainFiles'], { cwd: app, timeout: 240_000 });
    return { status: r.status, out: r.stdout.replace(/\\/g, '/') };
  };
  /** The package's entry declaration files, each with the consumer files that import it by an entry point name. */
  const entryDeclarations = (explained: string): Record<string, string[]> => {
    const found: Record<string, string[]> = {};
    let file: string | undefined;
    for (const line of explained.split('\n')) {
      if (!/^\s/.test(line))
        file = line.includes('node_modules/rxpaf/') ? line.split('node_modules/rxpaf/')[1] : undefined;
      const m = /Imported via '(rxpaf(?:\/\w+)?)' from file '([^']+)'/.exec(line);
      if (file !== undefined && m !== null) (found[file] ??= []).push(`${m[2]!.split('/').pop()!} ${m[1]!}`);
    }
    for (const v of Object.values(found)) v.sort();
    return found;
  };
  const ENTRIES: ReadonlyArray<[string, string]> = [
    ['index', 'rxpaf'],
    ['client', 'rxpaf/client'],
    ['server', 'rxpaf/server'],
    ['replay', 'rxpaf/replay'],
    ['filter', 'rxpaf/filter'],
  ];
  const esmDeclarations = (from: string): Record<string, string[]> =>
    Object.fromEntries(ENTRIES.map(([f, spec]) => [`dist/esm/${f}.d.mts`, [`${from} ${spec}`]]));
  const cjsDeclarations = (from: string): Record<string, string[]> =>
    Object.fromEntries(
      ENTRIES.map(([f, spec]) => [
        f === 'index' ? 'dist/lib/index.d.ts' : `dist/lib/${f}/index.d.ts`,
        [`${from} ${spec}`],
      ]),
    );

  it('TypeScript consumers (strict, skipLibCheck false): each entry point resolves to its own declarations; nodenext output runs', () => {
    writeFileSync(
      join(app, 'cjs-types.cts'),
      [
        "import { createClient, type Service } from 'rxpaf';",
        "import { createClient as c2 } from 'rxpaf/client';",
        "import { createServer, type ServerDomain } from 'rxpaf/server';",
        "import { replay$ } from 'rxpaf/replay';",
        "import { parseFilter } from 'rxpaf/filter';",
        'export const used = [createClient, c2, createServer, replay$, parseFilter];',
        'export type T = [Service, ServerDomain];',
        '',
      ].join('\n'),
    );
    // nodenext: the ESM consumer gets the .d.mts, the CommonJS one the .d.ts of the same entry point
    const nodenext = tsc('nodenext', ['ts.mts', 'cjs-types.cts'], true);
    expect({ status: nodenext.status, errors: nodenext.out.split('\n').filter((l) => l.includes('error TS')) }).toEqual(
      {
        status: 0,
        errors: [],
      },
    );
    expect(entryDeclarations(nodenext.out)).toEqual({
      ...esmDeclarations('ts.mts'),
      ...cjsDeclarations('cjs-types.cts'),
    });
    const r = run(process.execPath, [join(app, 'out-nodenext', 'ts.mjs')], {
      cwd: app,
      env: { ...process.env, CONSUMER_ENV: consumerEnv },
      timeout: 60_000,
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.trim().split('\n')).toEqual([
      'ok client number',
      'ok server [{"name":["ts-in-process"]}]',
      'ok replay',
      'done',
    ]);

    // node16 the same way
    const node16 = tsc('node16', ['ts.mts', 'cjs-types.cts'], false);
    expect(node16.status).toBe(0);
    expect(entryDeclarations(node16.out)).toEqual({
      ...esmDeclarations('ts.mts'),
      ...cjsDeclarations('cjs-types.cts'),
    });

    // bundler: the import conditions; a deep import of an internal module is TS2307 (nothing else is importable)
    writeFileSync(
      join(app, 'deep.mts'),
      "import { reduceAll } from 'rxpaf/dist/lib/protocol/reducer.js';\nexport { reduceAll };\n",
    );
    const bundler = tsc('bundler', ['ts.mts', 'deep.mts'], false);
    expect(bundler.status).not.toBe(0);
    expect(bundler.out.split('\n').filter((l) => l.includes('error TS'))).toEqual([
      expect.stringMatching(
        /^deep\.mts\(1,\d+\): error TS2307: Cannot find module 'rxpaf\/dist\/lib\/protocol\/reducer\.js'/,
      ),
    ]);
    expect(entryDeclarations(bundler.out)).toEqual(esmDeclarations('ts.mts'));
  }, 600_000);

  it('declares each public type once: TlsFiles of rxpaf, rxpaf/client and rxpaf/server is one declaration', () => {
    const specs = ['rxpaf', 'rxpaf/client', 'rxpaf/server'];
    const source = specs.map((s, i) => `import type { TlsFiles as T${i} } from '${s}';`).join('\n');
    const files = { 'tls-files.mts': source, 'tls-files.cts': source };
    for (const [f, text] of Object.entries(files))
      writeFileSync(join(app, f), `${text}\nexport type All = [T0, T1, T2];\n`);
    const program = ts.createProgram(
      Object.keys(files).map((f) => join(app, f)),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        types: [],
      },
    );
    const checker = program.getTypeChecker();
    const where: Record<string, string[]> = {};
    for (const f of Object.keys(files)) {
      const sf = program.getSourceFile(join(app, f))!;
      for (const stmt of sf.statements) {
        if (!ts.isImportDeclaration(stmt)) continue;
        const spec = (stmt.moduleSpecifier as ts.StringLiteral).text;
        const bindings = stmt.importClause?.namedBindings;
        if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
        for (const el of bindings.elements) {
          const symbol = checker.getAliasedSymbol(checker.getSymbolAtLocation(el.name)!);
          where[`${f} ${spec}`] = (symbol.declarations ?? []).map(
            (d) => `${d.getSourceFile().fileName.replace(/\\/g, '/').split('node_modules/rxpaf/')[1]!}:${d.pos}`,
          );
        }
      }
    }
    const declarations = new Set(Object.values(where).flat());
    expect(Object.keys(where)).toHaveLength(6);
    expect([...declarations].map((d) => d.replace(/:\d+$/, ''))).toEqual(['dist/lib/model.d.ts']);
    // and no other declaration file of the package declares one of its own
    const declaring = paths.filter(
      (p) =>
        /\.d\.m?ts$/.test(p) &&
        /\binterface TlsFiles\b/.test(readFileSync(join(app, 'node_modules', 'rxpaf', p), 'utf8')),
    );
    expect(declaring).toEqual(['dist/lib/model.d.ts']);
  }, 120_000);

  /** The tarball without its prebuilds/ directory: what a platform no prebuilt binary fits sees. */
  const withoutPrebuilds = (): string => {
    const bare = join(tmp, 'rxpaf-no-prebuild.tgz');
    if (existsSync(bare)) return bare;
    const variant = join(tmp, 'variant');
    mkdirSync(variant);
    must(run('tar', ['xzf', tarball, '-C', variant]), 'tar xzf');
    rmSync(join(variant, 'package', 'prebuilds'), { recursive: true, force: true });
    must(run('tar', ['czf', bare, '-C', variant, 'package']), 'tar czf');
    return bare;
  };

  it('without a fitting prebuilt binary but with a compiler: compiles the addon at install, ux: works', () => {
    const { dir } = installInto('source-app', withoutPrebuilds(), {
      ...process.env,
      npm_config_build_from_source: undefined,
    });
    expect(existsSync(join(dir, 'node_modules', 'rxpaf', 'build', 'Release', 'seqpacket.node'))).toBe(true);
    const script = [
      "const { createServer } = require('rxpaf/server');",
      "const { createClient } = require('rxpaf/client');",
      '(async () => {',
      `  const server = await createServer({ domains: [{ sockets: [{ addr: 'ux:rxpaf-src-${process.pid}' }] }] });`,
      '  const client = createClient({ addresses: [server.domains[0].addresses[0]] });',
      "  console.log('ux ping', typeof (await client.ping()));",
      '  await client.close();',
      '  await server.close();',
      '})();',
    ].join('\n');
    writeFileSync(join(dir, 'src.cjs'), script);
    expect(must(run(process.execPath, ['src.cjs'], { cwd: dir, timeout: 30_000 }), 'src.cjs').trim()).toBe(
      'ux ping number',
    );
  }, 180_000);

  it('without a prebuilt binary and without a compiler: installs, tcp: and tls: work, ux: says what to install', () => {
    const { dir, log } = installInto('bare-app', withoutPrebuilds(), installEnv);
    expect(log).toContain('rxpaf: native addon not available');
    const script = [
      "const { createServer, PafTransportError } = require('rxpaf/server');",
      "const { createClient } = require('rxpaf/client');",
      '(async () => {',
      "  const server = await createServer({ domains: [{ sockets: [{ addr: 'tcp:127.0.0.1:0' }] }] });",
      '  const client = createClient({ addresses: [server.domains[0].addresses[0]] });',
      "  console.log('tcp ping', typeof (await client.ping()));",
      '  await client.close();',
      '  await server.close();',
      `  const e = await createServer({ domains: [{ sockets: [{ addr: 'ux:rxpaf-bare-${process.pid}' }] }] }).catch((x) => x);`,
      "  console.log('ux', e instanceof PafTransportError, e.code, e.errno);",
      '  console.log(e.message);',
      '})();',
    ].join('\n');
    writeFileSync(join(dir, 'bare.cjs'), script);
    const out = must(run(process.execPath, ['bare.cjs'], { cwd: dir, timeout: 30_000 }), 'bare.cjs').split('\n');
    expect(out[0]).toBe('tcp ping number');
    expect(out[1]).toBe('ux true PAF_TRANSPORT ENOENT');
    expect(out[2]).toMatch(/native addon.*apt-get install g\+\+ make python3.*npm rebuild rxpaf/);
    writeFileSync(join(dir, 'tls.cjs'), tlsScript(pki));
    expect(must(run(process.execPath, ['tls.cjs'], { cwd: dir, timeout: 30_000 }), 'tls.cjs').trim()).toBe(
      'tls ping number',
    );
  }, 180_000);
});

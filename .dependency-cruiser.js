// @ts-check
/**
 * The layers of lib/ (docs/architecture.md, "Layers"). A folder imports only from its own layer's allowed targets,
 * never upwards; run by `npm run lint` (`depcruise lib`), which fails on any violation.
 *
 *   base        lib/errors.ts, lib/json.ts, lib/model.ts   shared types and errors, pure
 *   util        lib/util/                                   pure data structures both cores share (the deadline heap)
 *   filter      lib/filter/                                 pure
 *   codec       lib/codec/                                  pure      (may use filter)
 *   state       lib/state/                                  pure
 *   protocol    lib/protocol/                               pure
 *   client-core lib/client/core/                            pure      (the client's mirror of state + protocol)
 *   infra       lib/config/ -> lib/log/, lib/transport/, lib/version.ts   I/O, but no protocol knowledge
 *   shells      lib/server/, lib/replay/, lib/client/ (independent of each other), lib/http/ (observes a server)
 *   cli         lib/cli/                                    the programs
 *   entry       lib/index.ts                                the package's public entry; nothing in lib/ imports it
 */

/** Folders (regex sources) of the pure cores: no rxjs, no node:* and no other I/O module. */
const pure = '^lib/(codec|filter|state|protocol|client/core|util)/|^lib/(errors|json|model)\\.ts$';

/**
 * For each layer, what it may import inside lib/ (besides itself). Anything else in lib/ is a violation.
 * A strict partial order, so no cycle between folders is possible.
 */
const layers = [
  { name: 'base', from: '^lib/(errors|json|model)\\.ts$', may: [] },
  { name: 'util', from: '^lib/util/', may: [] },
  { name: 'filter', from: '^lib/filter/', may: ['base', 'util'] },
  { name: 'codec', from: '^lib/codec/', may: ['base', 'util', 'filter'] },
  { name: 'state', from: '^lib/state/', may: ['base', 'util', 'filter', 'codec'] },
  { name: 'protocol', from: '^lib/protocol/', may: ['base', 'util', 'filter', 'codec', 'state'] },
  { name: 'client-core', from: '^lib/client/core/', may: ['base', 'util', 'filter', 'codec'] },
  { name: 'config', from: '^lib/config/', may: ['base', 'util'] },
  { name: 'log', from: '^lib/log/', may: ['base', 'util', 'config'] },
  { name: 'transport', from: '^lib/transport/', may: ['base', 'util'] },
  { name: 'version', from: '^lib/version\\.ts$', may: [] },
  {
    name: 'server',
    from: '^lib/server/',
    may: ['base', 'util', 'filter', 'codec', 'state', 'protocol', 'config', 'log', 'transport', 'version'],
  },
  {
    name: 'replay',
    from: '^lib/replay/',
    may: ['base', 'util', 'filter', 'codec', 'state', 'protocol', 'config', 'log', 'version'],
  },
  {
    name: 'client',
    from: '^lib/client/(?!core/)',
    may: ['base', 'util', 'filter', 'codec', 'client-core', 'config', 'log', 'transport', 'version'],
  },
  {
    name: 'http',
    from: '^lib/http/',
    may: ['base', 'util', 'filter', 'codec', 'state', 'protocol', 'config', 'log', 'transport', 'version', 'server'],
  },
  {
    name: 'cli',
    from: '^lib/cli/',
    may: [
      'base',
      'util',
      'filter',
      'codec',
      'state',
      'protocol',
      'client-core',
      'config',
      'log',
      'transport',
      'version',
      'server',
      'replay',
      'client',
      'http',
    ],
  },
  {
    name: 'entry',
    from: '^lib/index\\.ts$',
    may: ['base', 'filter', 'server', 'replay', 'client'],
  },
];

const byName = Object.fromEntries(layers.map((l) => [l.name, l.from]));

/** One rule per layer: from that layer, any lib/ module that is neither in the layer itself nor allowed. */
const layerRules = layers.map((layer) => ({
  name: `layer-${layer.name}`,
  severity: /** @type {const} */ ('error'),
  comment: `lib/ layer "${layer.name}" may import only: ${[layer.name, ...layer.may].join(', ')} (docs/architecture.md, Layers)`,
  from: { path: layer.from },
  to: { path: '^lib/', pathNot: [layer.from, ...layer.may.map((m) => byName[m])] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'pure-core-no-rxjs',
      severity: 'error',
      comment: 'the pure cores take time, ids and randomness as inputs and return effects: no rxjs',
      from: { path: pure },
      to: { path: '(^|/)node_modules/rxjs/' },
    },
    {
      name: 'pure-core-no-node',
      severity: 'error',
      comment: 'the pure cores do no I/O: no node:* (or bare node builtin) module',
      from: { path: pure },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycle between modules of lib/',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'lib-not-to-dev',
      severity: 'error',
      comment: 'lib/ does not import specs, benchmarks, examples or dev dependencies',
      from: { path: '^lib/' },
      to: { path: '^(spec|bench|examples)/' },
    },
    {
      name: 'lib-no-dev-deps',
      severity: 'error',
      comment: 'lib/ does not import devDependencies (rxjs is a peer dependency)',
      from: { path: '^lib/' },
      to: { dependencyTypes: ['npm-dev'], pathNot: '(^|/)node_modules/rxjs/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'every import resolves',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|build|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
    reporterOptions: {
      dot: { collapsePattern: '^lib/(client/core|[^/]+)/' },
    },
  },
};

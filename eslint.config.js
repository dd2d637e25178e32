// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/**
 * The pure core (codec, filter, state, protocol, the shared base files and lib/util) imports neither rxjs nor node:*
 * (see docs/architecture.md, Layers; the folder layers themselves are checked by dependency-cruiser,
 * .dependency-cruiser.js).
 */
const pureCore = [
  'lib/codec/**/*.ts',
  'lib/filter/**/*.ts',
  'lib/state/**/*.ts',
  'lib/protocol/**/*.ts',
  'lib/util/**/*.ts',
  'lib/errors.ts',
  'lib/json.ts',
  'lib/model.ts',
];

/** The client's pure core: the same rule, and it does not reach into the client's shell either. */
const clientCore = ['lib/client/core/**/*.ts'];

/** Node builtins the pure cores must not import. */
const nodeBuiltins = ['fs', 'net', 'tls', 'os', 'path', 'crypto', 'events', 'stream', 'child_process', 'timers'];

/** Host globals the pure cores must not touch: bytes, the process, clocks and timers come in as inputs. */
const pureGlobals = [
  'Buffer',
  'process',
  'require',
  '__dirname',
  '__filename',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'performance',
  'globalThis',
  'global',
  'crypto',
  'AbortSignal',
  'Atomics',
].map((name) => ({ name, message: 'the pure core does no I/O and reads no clock: it takes this as an input' }));

/** Time, randomness and timers reach lib/client only through its adapter (an injected scheduler and env). */
const clientClock = {
  globals: [
    'setTimeout',
    'setInterval',
    'setImmediate',
    'clearTimeout',
    'clearInterval',
    'clearImmediate',
    'queueMicrotask',
    'performance',
    // Node's other handle on the global object, and Web Crypto's random source
    'global',
    'crypto',
  ].map((name) => ({
    name,
    message: 'lib/client uses the injected scheduler (lib/client/adapter.ts is the only clock)',
  })),
  properties: [
    { object: 'Date', property: 'now', message: 'lib/client reads time from the injected scheduler' },
    {
      object: 'Math',
      property: 'random',
      message: 'lib/client draws randomness from the injected env or the core state',
    },
    { object: 'process', property: 'hrtime', message: 'lib/client reads time from the injected scheduler' },
    ...['uptime', 'cpuUsage', 'nextTick'].map((property) => ({
      object: 'process',
      property,
      message: 'lib/client reads time and defers work through the injected env (lib/client/adapter.ts)',
    })),
    { object: 'performance', property: 'now', message: 'lib/client reads time from the injected scheduler' },
    { object: 'AbortSignal', property: 'timeout', message: 'lib/client arms timers on the injected scheduler' },
    { object: 'Atomics', property: 'wait', message: 'lib/client waits on the injected scheduler' },
    ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'Date', 'crypto'].map(
      (property) => ({
        object: 'globalThis',
        property,
        message: 'lib/client uses the injected scheduler (lib/client/adapter.ts is the only clock)',
      }),
    ),
  ],
  /** rxjs's own clocks: a scheduler, or an operator that falls back to `asyncScheduler` when none is passed. */
  rxjsClocks: [
    'asyncScheduler',
    'asapScheduler',
    'queueScheduler',
    'animationFrameScheduler',
    'interval',
    'delay',
    'delayWhen',
    'debounceTime',
    'throttleTime',
    'auditTime',
    'sampleTime',
    'bufferTime',
    'windowTime',
    'timeout',
    'timeoutWith',
    'timeInterval',
    'timestamp',
  ],
  /** Modules that read a clock, arm a timer or draw randomness (the shell gets these from ClientEnv). */
  clockModules: ['timers', 'node:timers', 'timers/promises', 'node:timers/promises', 'perf_hooks', 'node:perf_hooks'],
  syntax: [
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'lib/client reads time from the injected scheduler',
    },
    {
      selector: "CallExpression[callee.name='Date']",
      message: 'lib/client reads time from the injected scheduler',
    },
    {
      // timer(due) alone runs on asyncScheduler, the wall clock: pass the injected scheduler
      selector: "CallExpression[callee.name='timer'][arguments.length<2]",
      message: 'lib/client: timer() takes the injected scheduler (timer(due, env.scheduler))',
    },
    {
      // timer(due, period, scheduler) is a polling loop: arm one timer per deadline (the state's next deadline)
      selector: "CallExpression[callee.name='timer'][arguments.length>2]",
      message: 'lib/client does not poll: arm one timer for the next deadline (timer(due, env.scheduler))',
    },
    {
      // timer(due, period) or timer(due, undefined) still runs on asyncScheduler: the last argument is the scheduler
      selector:
        "CallExpression[callee.name='timer'][arguments.length=2]:not([arguments.1.name=/[sS]cheduler$/]):not([arguments.1.property.name=/[sS]cheduler$/])",
      message: 'lib/client: timer() takes the injected scheduler as its last argument (timer(due, env.scheduler))',
    },
    {
      selector:
        "ImportExpression[source.value=/^(node:)?(timers|perf_hooks|crypto|rxjs)(\\/|$)/], CallExpression[callee.name='require'][arguments.0.value=/^(node:)?(timers|perf_hooks|crypto|rxjs)(\\/|$)/]",
      message: 'lib/client loads no clock, timer or randomness module at run time (lib/client/adapter.ts)',
    },
    {
      selector: "ImportSpecifier[imported.name='timer'][local.name!='timer']",
      message: 'lib/client: import timer under its own name (its calls are checked for the injected scheduler)',
    },
    {
      // repeat/retry({ delay: ms }) wait on asyncScheduler: give a function returning timer(…, env.scheduler)
      selector:
        "CallExpression[callee.name=/^(repeat|retry)$/] Property[key.name='delay'][value.type!='ArrowFunctionExpression'][value.type!='FunctionExpression']",
      message: 'lib/client: a repeat/retry delay is a function returning timer(…, env.scheduler)',
    },
  ],
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'coverage/**', 'prebuilds/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // The parsers unwind their recursive descent with a plain object that never leaves the parser: building an
      // Error (and its stack trace) for every rejected input would be the cost of bad input. Nothing else may.
      '@typescript-eslint/only-throw-error': [
        'error',
        {
          allow: [
            { from: 'file', name: 'ParseFailure', path: 'lib/codec/json.ts' },
            { from: 'file', name: 'GiveUp', path: 'lib/codec/fast.ts' },
            { from: 'file', name: 'SyntaxFailure', path: 'lib/filter/parse.ts' },
          ],
        },
      ],
    },
  },
  {
    // plain JavaScript (the dashboard's browser script, the packed-tarball consumers) is outside the TypeScript project
    files: ['**/*.{js,cjs,mjs,mts}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // the binaries, the scripts (pack check, soak) and the tools' configuration files are plain CommonJS Node programs
    files: ['bin/**/*.js', 'native/**/*.js', 'scripts/**/*.{js,cjs}', '*.js', '.dependency-cruiser.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: Object.fromEntries(
        [
          'require',
          'module',
          'exports',
          '__dirname',
          '__filename',
          'process',
          'console',
          'Buffer',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'setImmediate',
          'clearImmediate',
          'performance',
        ].map((name) => [name, name === 'module' || name === 'exports' ? 'writable' : 'readonly']),
      ),
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the packed-tarball consumers are plain Node programs (CommonJS and ESM), as a user writes them
    files: ['spec/package/consumer/**/*.{cjs,mjs}'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        setTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the daemon's shell loads rxjs module by module (idle RSS, bench/README.md): values come from lib/server/rx.ts
    // (lib/transport: the rxjs/internal/* module itself); `import type` from 'rxjs' costs nothing at run time
    files: ['lib/server/**/*.ts', 'lib/transport/**/*.ts'],
    ignores: ['lib/server/rx.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'rxjs',
              allowTypeImports: true,
              message: "loads all of rxjs: import from lib/server/rx.ts (or 'rxjs/internal/...' in lib/transport)",
            },
          ],
        },
      ],
    },
  },
  {
    files: pureCore,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'the pure core does no I/O',
          })),
          patterns: [
            { group: ['rxjs', 'rxjs/*'], message: 'the pure core does not import rxjs' },
            { group: ['node:*'], message: 'the pure core does no I/O' },
            {
              group: ['**/server/**', '**/transport/**', '**/client/**', '**/cli/**', '**/log/**', '**/replay/**'],
              message: 'the core does not depend on the shell',
            },
          ],
        },
      ],
    },
  },
  {
    files: clientCore,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'the client core does no I/O' })),
          patterns: [
            { group: ['rxjs', 'rxjs/*'], message: 'the client core does not import rxjs' },
            { group: ['node:*'], message: 'the client core does no I/O' },
            {
              group: ['**/server/**', '**/transport/**', '**/cli/**', '**/log/**', '**/replay/**', '**/http/**'],
              message: 'the client core does not depend on the shell',
            },
            { regex: '^\\.\\./(?!\\.\\./)', message: 'the client core does not import the client shell' },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/client/**/*.ts'],
    ignores: ['lib/client/adapter.ts'],
    rules: {
      'no-restricted-globals': ['error', ...clientClock.globals],
      'no-restricted-properties': ['error', ...clientClock.properties],
      'no-restricted-syntax': ['error', ...clientClock.syntax],
    },
  },
  {
    // the client's shell (the core forbids rxjs and node:* altogether, below): no rxjs clock, no timer module
    files: ['lib/client/**/*.ts'],
    ignores: ['lib/client/adapter.ts', ...clientCore],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'rxjs',
              importNames: clientClock.rxjsClocks,
              message: 'runs on the wall clock: lib/client uses the injected scheduler (lib/client/adapter.ts)',
            },
            {
              name: 'rxjs/operators',
              importNames: clientClock.rxjsClocks,
              message: 'runs on the wall clock: lib/client uses the injected scheduler (lib/client/adapter.ts)',
            },
            ...clientClock.clockModules.map((name) => ({
              name,
              message: 'lib/client reads time through the injected scheduler (lib/client/adapter.ts is the only clock)',
            })),
            ...['crypto', 'node:crypto'].map((name) => ({
              name,
              message: 'lib/client draws ids and randomness from the injected env (lib/client/adapter.ts)',
            })),
          ],
          patterns: [
            {
              group: ['rxjs/internal/*'],
              message:
                "rxjs's internals hold its clocks: lib/client imports rxjs's public API (and the injected scheduler)",
            },
          ],
        },
      ],
    },
  },
  {
    // after the lib/client block: for lib/client/core this replaces the clock rule with a superset
    files: [...pureCore, ...clientCore],
    rules: {
      'no-restricted-globals': ['error', ...pureGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'the pure core takes time as an input' },
        { object: 'Math', property: 'random', message: 'the pure core takes randomness as an input' },
        { object: 'process', property: 'hrtime', message: 'the pure core takes time as an input' },
        { object: 'performance', property: 'now', message: 'the pure core takes time as an input' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'the pure core takes time as an input',
        },
        { selector: "CallExpression[callee.name='Date']", message: 'the pure core takes time as an input' },
        { selector: 'ImportExpression', message: 'the pure core loads no module at run time' },
      ],
    },
  },
);

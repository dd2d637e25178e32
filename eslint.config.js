// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/** The pure core (codec, filter, state, protocol) imports neither rxjs nor node:* (see README, Architecture). */
const pureCore = ['lib/codec/**/*.ts', 'lib/filter/**/*.ts', 'lib/state/**/*.ts', 'lib/protocol/**/*.ts'];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'coverage/**', 'bin/**', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // the packed-tarball consumers are plain Node programs (CommonJS and ESM), as a user writes them
    files: ['spec/package/consumer/**/*.{cjs,mjs}'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable', setTimeout: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: pureCore,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'net', 'tls', 'os', 'path', 'crypto', 'events', 'stream', 'child_process', 'timers'].map((name) => ({
            name,
            message: 'the pure core does no I/O',
          })),
          patterns: [
            { group: ['rxjs', 'rxjs/*'], message: 'the pure core does not import rxjs' },
            { group: ['node:*'], message: 'the pure core does no I/O' },
            { group: ['**/server/**', '**/transport/**', '**/client/**', '**/cli/**', '**/log/**', '**/replay/**'], message: 'the core does not depend on the shell' },
          ],
        },
      ],
    },
  },
);

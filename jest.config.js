/** Unit specs run transpile-only (types are checked once by `tsc --noEmit` in `npm test`). */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
module.exports = {
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  testTimeout: 20000,
};

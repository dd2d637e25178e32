/** Unit specs run transpile-only (types are checked once by `tsc --noEmit` in `npm test`). */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
module.exports = {
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/spec/**/*.spec.ts'],
  // examples import the package by name (`rxpaf`, `rxpaf/client`, ...), as users do: map it to the sources
  moduleNameMapper: { '^rxpaf$': '<rootDir>/lib/index.ts', '^rxpaf/(client|server|replay|filter)$': '<rootDir>/lib/$1/index.ts' },
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  testTimeout: 20000,
};

export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js'],
  preset: 'ts-jest',
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/dist/', '/node_modules/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.check.json', useESM: true }] },
  // Integration tests build with the one real Nix store here; running them side by side
  // only makes them fight over its lock.
  maxWorkers: 1,
  testTimeout: 120000,
  // One temporary directory per run, removed at its end (see __tests__/support/global-setup.ts).
  globalSetup: '<rootDir>/__tests__/support/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/global-teardown.ts',
  verbose: true
}

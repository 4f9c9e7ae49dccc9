/**
 * Three projects: `unit` needs no servers; `integration` gets a real Temporal dev server and moto from
 * globalSetup; `cluster` a real Temporal cluster on PostgreSQL and moto (npm run test:cluster).
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const project = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  // What a test run writes there (the compiled sources with their package.json) is no module of jest's.
  modulePathIgnorePatterns: ['<rootDir>/test-artifacts/'],
};
module.exports = {
  // Integration tests start workers and wait for workflows on a 2-core machine. (Per-project values are ignored.)
  testTimeout: 120000,
  // Longest files first when several jest workers share the integration run (scripts/test.sh).
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  projects: [
    {
      displayName: 'unit',
      ...project,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/unit-global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/unit-global-teardown.ts',
    },
    {
      displayName: 'integration',
      ...project,
      testMatch: [
        '<rootDir>/test/integration/**/*.test.ts',
        '<rootDir>/test/e2e/**/*.test.ts',
        '<rootDir>/test/reliability/**/*.test.ts',
      ],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    {
      // A real Temporal cluster (PostgreSQL, four server services): `npm run test:cluster`, not part of
      // `npm test`'s two phases.
      displayName: 'cluster',
      ...project,
      testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/cluster-global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/cluster-global-teardown.ts',
    },
  ],
};

// Mutation testing of the decision core (issue 20). `npm run mutate` runs it all;
// `npm run mutate -- --mutate shared/assess/index.ts` checks one file (the usual way: CPU is scarce).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Only the unit tests, and of those only the ones that import the mutated file.
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'shared/assess/**/*.ts',
    'shared/rules/**/*.ts',
    'shared/classify/**/*.ts',
    'shared/directory/**/*.ts',
    'shared/flags/**/*.ts',
    'shared/review/index.ts',
    'shared/sources/*/index.ts',
  ],
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', '.ittmon', 'bench/corpus', 'bench/out', 'reports', 'coverage'],
  thresholds: { high: 90, low: 80, break: null },
};

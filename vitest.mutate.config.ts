import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (stryker.config.mjs): the unit tests only, fast and offline.
 * MUTATE_TESTS narrows them to some files (comma-separated globs) when the file's own tests are what
 * should pin it and the whole related set is too slow on a shared machine; the score is then a lower bound.
 */
export default defineConfig({
  test: {
    include: process.env.MUTATE_TESTS?.split(',') ?? ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

import { defineConfig } from 'vitest/config';

/** The tests Stryker runs against each mutant (stryker.config.mjs): the unit tests only, fast and offline. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});

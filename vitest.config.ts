import { defineConfig } from 'vitest/config';

/**
 * Two projects: `fast` is the default `npm test`; `slow` holds the long memory, soak and stack tests
 * and the install test (`npm run test:slow`; `.ci/run` runs both).
 */
const SLOW = ['test/integration/memory.test.ts', 'test/integration/reliability.test.ts', 'test/infra/monitor-stack.test.ts', 'test/integration/cli-readme.test.ts', 'test/integration/cli-install.test.ts'];
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    globalSetup: ['test/build-cli.ts'],
    projects: [
      { test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW, testTimeout: 30_000, env } },
      { test: { name: 'slow', include: SLOW, testTimeout: 300_000, env } },
    ],
  },
});

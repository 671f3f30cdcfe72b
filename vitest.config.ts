import { defineConfig } from 'vitest/config';

/**
 * Two projects: `fast` is the default `npm test` (under 3 minutes on 2 cores); `slow` holds the
 * long tests: memory and soak, the CDK assertions (each file synthesizes its own stacks), the install, the README walk-through, the store at
 * scale, and the review page and sign-in in headless Chromium (`npm run test:slow`; `.ci/run` runs
 * both, so every test still runs in CI). Per-file durations: `npx vitest run --project fast --reporter=json`.
 */
const SLOW = [
  'test/integration/memory.test.ts', 'test/integration/reliability.test.ts', 'test/infra/**/*.test.ts', 'test/integration/cli-readme.test.ts', 'test/integration/cli-install.test.ts',
  'test/integration/store-scale.test.ts', 'test/e2e/review-page.test.ts', 'test/e2e/sign-in.test.ts',
];
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

import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs the fast projects (`--project 'fast*'`), `npm run test:slow` the slow one; `.ci/run`
 * runs both, so every test still runs in CI. Per-file durations:
 * `npx vitest run --project 'fast*' --reporter=json --outputFile=/tmp/fast.json`.
 *
 * - `fast-unit`: the unit tests share one module registry per worker (`isolate: false`): they hold no
 *   state between files (no vi.mock, no env changes; fake clocks are restored), and importing the
 *   domain core once per worker instead of once per file is most of what they cost.
 * - `fast`: everything else, each file in a fresh worker (handlers and collectors change process.env
 *   and reset modules; servers and child processes end with their file).
 * - `slow`: memory and soak, the CDK assertions (each file synthesizes its own stacks), the install,
 *   the README walk-through, the store at scale, and the pages in headless Chromium.
 */
const SLOW = [
  'test/integration/memory.test.ts', 'test/integration/reliability.test.ts', 'test/infra/**/*.test.ts', 'test/integration/cli-readme.test.ts', 'test/integration/cli-install.test.ts',
  'test/integration/store-scale.test.ts', 'test/e2e/**/*.test.ts',
];
const UNIT = ['test/unit/**/*.test.ts'];
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
// Timeouts catch a hang, they measure nothing (speed is the benchmark's): generous, so that a busy
// machine (the CLI tests run `ittmon` in child processes, several at once) does not fail them.
const fast = { testTimeout: 120_000, hookTimeout: 120_000, env };

export default defineConfig({
  test: {
    globalSetup: ['test/build-cli.ts'],
    // Vitest's default is one worker fewer than the cores, one on a 2-core machine; most files wait
    // on child processes and loopback servers part of the time, so two share 2 cores well.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { test: { name: 'fast-unit', include: UNIT, isolate: false, ...fast } },
      { test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...SLOW, ...UNIT], ...fast } },
      { test: { name: 'slow', include: SLOW, testTimeout: 300_000, env } },
    ],
  },
});

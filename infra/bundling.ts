import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled, in one place: the CDK (constructs/function.ts) and the benchmark
 * (bench/run.ts) build from these, so that a measured cold start is that of the deployed code.
 */
export const LAMBDA_BUNDLING = {
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  // ESM builds of dependencies (dist-es), which esbuild can tree-shake, before their CommonJS builds.
  mainFields: ['module', 'main'],
  // The AWS SDK v3 is bundled, tree-shaken, rather than taken from the runtime (which has it): Node
  // loads the runtime's copy as hundreds of CommonJS files, detecting each one's format, lexing its
  // exports and compiling all of it. Bundled, a cold start costs 15-40 % less CPU (README,
  // Performance), and the code runs with the SDK version it was tested with.
  external: [] as string[],
  // ESM bundles of CommonJS dependencies need require().
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  // The source map ships beside the code, without the sources, but Node does not read it unless
  // told to: --enable-source-maps reads and parses the whole map on import (Node 22 as Node 20:
  // maybeCacheSourceMap, not on the first stack trace), 20-90 ms of CPU on every cold start. Keeping
  // identifiers unminified instead would make the bundles 60 % larger. An operator who needs stack
  // traces in our source sets NODE_OPTIONS=--enable-source-maps on the function, no redeploy needed
  // (README, "Known limits in AWS").
  sourcemap: true,
  sourcesContent: false,
} as const;

/** The Node options every function runs with: none (see sourcemap above). */
export const LAMBDA_NODE_OPTIONS: string = '';

/**
 * What one function's bundle may weigh, minified. A proxy for the cold start (V8 compiles what a
 * function evaluates); the cold start itself is measured (bench/cold.ts). About 600 KB of each of
 * the larger bundles is the AWS SDK, which loads faster bundled than from the runtime.
 */
export const BUNDLE_BUDGET_KB = 1536;

/** The same build for esbuild's API (benchmark, tests): one entry, one ESM file. */
export const lambdaBuild = (entry: string, outfile: string): BuildOptions => ({
  ...LAMBDA_BUNDLING, mainFields: [...LAMBDA_BUNDLING.mainFields], external: [...LAMBDA_BUNDLING.external], banner: { js: LAMBDA_BUNDLING.banner },
  entryPoints: [entry], outfile, bundle: true, logLevel: 'error',
});

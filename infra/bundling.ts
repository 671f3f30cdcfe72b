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
  // The Node.js 22 runtime provides the AWS SDK v3 and nothing else (test/aws/lambda-runtime.ts).
  external: ['@aws-sdk/*'],
  // ESM bundles of CommonJS dependencies need require().
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  // A source map beside the code, without the sources: errors name our lines, the map stays small.
  sourcemap: true,
  sourcesContent: false,
} as const;

/** What every function runs with: stack traces through the source map. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/** The same build for esbuild's API (benchmark, tests): one entry, one ESM file. */
export const lambdaBuild = (entry: string, outfile: string): BuildOptions => ({
  ...LAMBDA_BUNDLING, mainFields: [...LAMBDA_BUNDLING.mainFields], external: [...LAMBDA_BUNDLING.external], banner: { js: LAMBDA_BUNDLING.banner },
  entryPoints: [entry], outfile, bundle: true, logLevel: 'error',
});

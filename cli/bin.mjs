#!/usr/bin/env node
// The `ittmon` command: runs the compiled CLI (dist/ittmon.mjs, built by `npm ci`, `npm install`
// and `npm pack`). In a clone, a source newer than the build is compiled again first.
import { existsSync } from 'node:fs';

// The AWS SDK warns on every run that it will want Node 22 from 2027; Lambda runs 22 already.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const debug = process.argv.includes('--debug') || !['', '0', 'false', undefined].includes(process.env.ITTMON_DEBUG);
/** Never a stack trace unless asked: one line that says what happened, and how to see more. */
function fail(e) {
  if (debug) process.stderr.write(`ittmon: unexpected error: ${e?.stack ?? e}\n`);
  else process.stderr.write(`ittmon: unexpected error: ${String(e?.message ?? e).split('\n')[0]} — run it again with --debug (or ITTMON_DEBUG=1) for the stack trace, and report it\n`);
  process.exit(1);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// `ittmon flags | head`: the reader went away; that is not an error.
for (const stream of [process.stdout, process.stderr]) stream.on('error', (e) => (e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : fail(e)));

// Stack traces and the one-line "where" name the TypeScript sources, not the compiled chunks.
process.setSourceMapsEnabled(true);

let entry = new URL('../dist/ittmon.mjs', import.meta.url);
if (existsSync(new URL('./main.ts', import.meta.url))) {
  // A clone: keep the build in step with the sources; without esbuild (no devDependencies), run them through tsx.
  const builder = await import('./build.mjs');
  if (builder.stale()) {
    try {
      await builder.build();
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
      const { register } = await import('tsx/esm/api');
      register();
      entry = new URL('./main.ts', import.meta.url);
    }
  }
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));

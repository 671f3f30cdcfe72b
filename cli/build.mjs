// Compiles the `ittmon` command to one JavaScript file (dist/ittmon.mjs), so that no call pays for
// TypeScript compilation. Run by `npm ci`/`npm install` (prepare) and `npm pack`; in a clone,
// bin.mjs runs it again when a source is newer than the build.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(root, 'dist', 'ittmon.mjs');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The build is older than a source (or missing). */
export function stale() {
  if (!existsSync(OUT)) return true;
  const built = statSync(OUT).mtimeMs;
  return Math.max(newest(join(root, 'cli')), newest(join(root, 'shared')), statSync(join(root, 'package.json')).mtimeMs) > built;
}

export async function build() {
  const esbuild = await import('esbuild');
  // Built beside, then swapped in: a command starting meanwhile finds the old build or the new one.
  const next = join(root, `dist.${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { ittmon: join(root, 'cli', 'main.ts') },
    outdir: next, outExtension: { '.js': '.mjs' }, splitting: true, chunkNames: 'chunks/[name]-[hash]', // commands load their own code
    bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', legalComments: 'none', sourcemap: true, sourcesContent: false,
    // dynalite finds its modules at run time, and its database is native code: both stay in node_modules.
    external: ['dynalite', 'classic-level'],
    banner: { js: "import { createRequire as __ittmonRequire } from 'node:module'; const require = __ittmonRequire(import.meta.url);" },
  });
  const old = join(root, `dist.old.${process.pid}`);
  if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old);
  renameSync(next, join(root, 'dist'));
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await build();
  } catch (e) {
    // An install without devDependencies has no esbuild: bin.mjs then runs the sources through tsx.
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    console.error('ittmon: esbuild is not installed; the CLI will run from its TypeScript sources');
  }
}

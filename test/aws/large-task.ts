import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '#test/helpers.ts';
import type { Assembly } from './assembly.ts';

/** The large-object task's image as built: its /app directory alone, and the final stage's environment and command. */
export interface TaskImage { app: string; env: Record<string, string>; cmd: string[] }

const DOCKERFILE = 'functions/ingest-large/Dockerfile';

/**
 * Builds the large-object task's container image as `cdk deploy` would, without Docker: from the
 * image asset's staged directory in the assembly (what CDK sends to `docker build`), run the
 * Dockerfile's own build-stage commands (its `RUN npx esbuild … && cp …`), with the packages of the
 * lock file as `npm ci` installs them; the final stage keeps only what it copies to /app, so the
 * task runs with nothing else — no node_modules, no AWS SDK beside it. Built once per assembly.
 */
export async function buildTaskImage(assembly: Assembly): Promise<TaskImage> {
  const images = readdirSync(assembly.dir).filter((f) => f.endsWith('.assets.json'))
    .flatMap((f) => Object.values((JSON.parse(readFileSync(join(assembly.dir, f), 'utf8')) as { dockerImages?: Record<string, { source: { directory: string; dockerFile?: string } }> }).dockerImages ?? {}));
  const image = images.find((i) => i.source.dockerFile === DOCKERFILE);
  if (!image) throw new Error(`the assembly has no image asset built from ${DOCKERFILE}`);
  const context = join(assembly.dir, image.source.directory);
  const dockerfile = readFileSync(join(context, DOCKERFILE), 'utf8').replace(/\\\n\s*/g, ' ');
  const [build, final] = dockerfile.split(/^FROM .*$/m).slice(1) as [string, string];
  const app = `${assembly.dir}-large-task/app`;
  if (!existsSync(app)) {
    const work = `${assembly.dir}-large-task.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    const src = join(work, 'src');
    cpSync(context, src, { recursive: true });
    // `RUN npm ci` from the staged package-lock.json: the same packages as this repository's install.
    if (readFileSync(join(src, 'package-lock.json'), 'utf8') !== readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) throw new Error('the staged lock file differs from the repository\'s');
    symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'), 'dir');
    const out = join(work, 'out');
    mkdirSync(out);
    const runs = [...build.matchAll(/^RUN (.*)$/gm)].map((m) => m[1]!).filter((r) => !/npm ci/.test(r));
    for (const run of runs) {
      await promisify(execFile)('sh', ['-c', run.replaceAll('/out/', `${out}/`).replaceAll('/out ', `${out} `)], { cwd: src, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 64 << 20 })
        .catch((e: Error & { stderr?: string }) => { throw new Error(`${DOCKERFILE}: RUN ${run} failed: ${e.stderr ?? e.message}`); });
    }
    mkdirSync(join(work, 'image'));
    renameSync(out, join(work, 'image', 'app'));
    rmSync(`${assembly.dir}-large-task`, { recursive: true, force: true });
    renameSync(join(work, 'image'), `${assembly.dir}-large-task`);
    rmSync(work, { recursive: true, force: true });
  }
  const workdir = /^WORKDIR (\S+)/m.exec(final)?.[1] ?? '/';
  const envLine = /^ENV (.*)$/m.exec(final)?.[1] ?? '';
  const env = Object.fromEntries([...envLine.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!.replace(workdir, app)]));
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(final)?.[1] ?? '[]') as string[];
  return { app, env, cmd };
}

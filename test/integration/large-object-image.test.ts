import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { minimatch } from 'minimatch';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '#test/helpers.ts';

/**
 * The large-object task's image, as far as it can be proven without a Docker engine: its build
 * stage's COPY sources are in the asset CDK sends (not excluded), its own commands build the bundle
 * from those files alone, and the final stage's layout (only what is copied from /out) starts the
 * entry point. What stays unproven: the base image, `npm ci` inside it (node_modules here stands in
 * for it: the same lockfile), Node 22, arm64 and `USER node` (see README, Known limits in AWS).
 */
const dockerfile = readFileSync(join(repoRoot, 'functions/ingest-large/Dockerfile'), 'utf8');
const construct = readFileSync(join(repoRoot, 'infra/constructs/large-objects.ts'), 'utf8');
/** Dockerfile instructions, continuation lines joined, comments dropped. */
const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const buildStage = instructions.slice(0, instructions.findIndex((l, i) => i > 0 && l.startsWith('FROM ')));
const finalStage = instructions.slice(buildStage.length);
const exclude = JSON.parse(/exclude: (\[[^\]]*\])/.exec(construct)![1]!.replace(/'/g, '"')) as string[];
const excluded = (path: string) => exclude.some((p) => minimatch(path, p, { dot: true }) || path.split('/').some((part) => minimatch(part, p, { dot: true })));

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('the large-object task image (functions/ingest-large/Dockerfile), offline', () => {
  it('every COPY source of the build stage exists and is in the asset CDK sends (not excluded)', () => {
    const sources = buildStage.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'shared', 'functions']);
    for (const s of sources) {
      expect(existsSync(join(repoRoot, s)), s).toBe(true);
      expect(excluded(s), `${s} is excluded from the asset`).toBe(false);
    }
    // The second case: what the asset leaves out is really left out (the rule above can say no).
    expect(excluded('node_modules')).toBe(true);
    expect(excluded('README.md')).toBe(true);
  });

  it('its own RUN command builds the bundle from the copied files alone, and the final layout starts the entry point', { timeout: 180_000 }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'ittmon-image-src-'));
    const out = mkdtempSync(join(tmpdir(), 'ittmon-image-out-'));
    const app = mkdtempSync(join(tmpdir(), 'ittmon-image-app-'));
    dirs.push(src, out, app);
    for (const l of buildStage.filter((x) => x.startsWith('COPY '))) {
      const parts = l.split(/\s+/).slice(1);
      const target = parts.at(-1)!;
      for (const s of parts.slice(0, -1)) cpSync(join(repoRoot, s), join(src, target === './' ? s : target), { recursive: true, filter: (p) => !excluded(p.slice(repoRoot.length + 1)) });
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules')); // stands in for `npm ci` on the same lockfile
    const run = buildStage.filter((l) => l.startsWith('RUN ') && !l.includes('npm ci')).map((l) => l.slice(4).replaceAll('/out/', `${out}/`).replaceAll('/out ', `${out} `));
    expect(run).toHaveLength(1);
    await promisify(execFile)('bash', ['-c', run[0]!], { cwd: src, env: { ...process.env, npm_config_yes: 'true' } });
    // The final stage: only what it copies from /out, and its ENV.
    expect(finalStage).toContain('COPY --from=build /out/ ./');
    cpSync(out, app, { recursive: true });
    expect(readdirSync(app).sort()).toEqual(['geo.mmdb', 'main.mjs', 'main.mjs.map']);
    const envLine = finalStage.find((l) => l.startsWith('ENV '))!;
    const env = Object.fromEntries([...envLine.slice(4).matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!.replace('/app/', `${app}/`)]));
    const cmd = JSON.parse(finalStage.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(cmd).toEqual(['node', 'main.mjs']);
    // Started without its object: the entry point itself answers (every import resolved from the bundle), exit 1.
    const started = await promisify(execFile)(cmd[0]!, cmd.slice(1), { cwd: app, env: { PATH: process.env.PATH!, ...env } }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(started.code).toBe(1);
    expect(JSON.parse(started.stderr.trim().split('\n').at(-1)!)).toEqual({ level: 'ERROR', message: 'large object failed', error: expect.stringMatching(/^ITTMON_OBJECT must be the object as JSON/) });
  });
});

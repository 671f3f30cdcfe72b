import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '#test/helpers.ts';

/** The synthesized cloud assembly: the template and each function's bundled asset directory. */
export interface Assembly {
  dir: string;
  template: CfnTemplate;
  /** The source-account stacks of the app, by account. */
  sources: Record<string, CfnTemplate>;
  /** Logical id of each Lambda function built from an asset → its asset directory, as `cdk deploy` would upload it. */
  assets: Record<string, string>;
}
export interface CfnResource { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any>; DependsOn?: string | string[] }
export interface CfnTemplate { Resources: Record<string, CfnResource>; Outputs?: Record<string, { Value: unknown; Description?: string }> }

/** The stack settings of the bundle and policy tests (relative to the repository): the stack that creates its log bucket. */
export const TEST_SETTINGS = 'test/aws/stack.test.yaml';
/** The same for configured log sources (SSE-KMS, another account), a collector and the GitLab stream receiver. */
export const SOURCES_SETTINGS = 'test/aws/stack.sources.test.yaml';

/** What decides the assembly's content: the app, the handlers and the code they bundle, the lock file and the CDK settings. */
const INPUTS = ['infra', 'functions', 'shared', 'cdk.json', 'package-lock.json', 'tsconfig.json'];

function fingerprint(context: Record<string, string>): string {
  const hash = createHash('sha256').update(JSON.stringify(context));
  const add = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) for (const f of readdirSync(path).sort()) add(join(path, f));
    else hash.update(relative(repoRoot, path)).update(readFileSync(path));
  };
  for (const p of INPUTS) add(join(repoRoot, p));
  // A settings file that cdk.json (or the context) names is an input too.
  const cdk = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  for (const v of [...Object.values(cdk.context ?? {}), ...Object.values(context)]) {
    if (typeof v === 'string' && /\.(ya?ml|json)$/.test(v)) add(join(repoRoot, v));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Synthesizes the app as `cdk synth` does (the CDK CLI runs the app command of cdk.json, which
 * bundles each function with esbuild), into a temporary directory shared by every test file
 * and run: a second caller with the same inputs waits for the first and reuses its assembly.
 */
export async function synthesize(context: Record<string, string> = {}): Promise<Assembly> {
  const dir = join(tmpdir(), `ittmon-assembly-${fingerprint(context)}`);
  const lock = `${dir}.lock`;
  for (let waited = 0; !existsSync(join(dir, 'manifest.json')); waited += 500) {
    try {
      mkdirSync(lock);
    } catch {
      // Another test file synthesizes the same inputs; take over a lock left by a killed run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      const out = `${dir}.tmp-${process.pid}`;
      rmSync(out, { recursive: true, force: true });
      const args = ['synth', '--no-notices', '--quiet', '--output', out, ...Object.entries(context).flatMap(([k, v]) => ['--context', `${k}=${v}`])];
      await promisify(execFile)(join(repoRoot, 'node_modules/.bin/cdk'), args, {
        cwd: repoRoot, maxBuffer: 64 << 20,
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      }).catch((e: Error & { stderr?: string }) => { throw new Error(`cdk synth failed: ${e.stderr ?? e.message}`); });
      renameSync(out, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return load(dir);
}

function load(dir: string): Assembly {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as CfnTemplate;
  // The monitor's stack, and one `{stackName}-source-{account}` stack per other account holding log buckets.
  const monitor = stacks.filter(([name]) => !/-source-\d{12}$/.test(name));
  if (monitor.length !== 1) throw new Error(`expected one monitor stack in the assembly, found ${monitor.length}`);
  const template = read(monitor[0]![1].properties!.templateFile!);
  const sources = Object.fromEntries(stacks.filter(([name]) => /-source-\d{12}$/.test(name)).map(([name, a]) => [name.replace(/^.*-source-/, ''), read(a.properties!.templateFile!)]));
  const assets: Record<string, string> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    const path = r.Metadata?.['aws:asset:path'] as string | undefined;
    if (r.Type === 'AWS::Lambda::Function' && path) assets[id] = join(dir, path);
  }
  return { dir, template, sources, assets };
}

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '#test/helpers.ts';
import type { DeployedStack } from './stack-model.ts';
import { REGION } from './stack-model.ts';

/**
 * What the Lambda Node.js 22 runtime provides besides Node itself: the AWS SDK for JavaScript v3
 * (@aws-sdk/*, with @smithy/* and the packages they depend on), taken from our lock file, and
 * nothing else. Built once per lock file into a shared temporary directory.
 */
export function runtimeModules(): string {
  const lock = readFileSync(join(repoRoot, 'package-lock.json'));
  const dir = join(tmpdir(), `ittmon-lambda-sdk-${createHash('sha256').update(lock).digest('hex').slice(0, 16)}`, 'node_modules');
  if (existsSync(dir)) return dir;
  const from = join(repoRoot, 'node_modules');
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    if (!existsSync(join(from, name, 'package.json'))) return; // nested copy inside its dependant, copied with it
    wanted.add(name);
    const pkg = JSON.parse(readFileSync(join(from, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  for (const scope of ['@aws-sdk', '@smithy']) for (const name of readdirSync(join(from, scope))) visit(`${scope}/${name}`);
  const staging = `${dir}.tmp-${process.pid}`;
  for (const name of wanted) cpSync(join(from, name), join(staging, name), { recursive: true, dereference: true });
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test file made it first
  }
  return dir;
}

export interface InvokeResult { phase: 'init' | 'invoke'; ok: boolean; value?: any; errorType?: string; errorMessage?: string; stack?: string }
export interface Invocation { results: InvokeResult[]; logs: string; code: number | null }

/**
 * A Lambda execution environment on this machine for one function of the synthesized stack: its
 * asset directory copied alone to a task root, the runtime's SDK beside it and nothing else, the
 * environment variables the template gives it (resolved for the pretend account), and the
 * variables the Lambda runtime sets. `extraEnv` is what a test adds to reach its loopback
 * services (endpoints, credentials); it may not override a variable of the template.
 */
export class LambdaSandbox {
  readonly root: string;
  readonly taskRoot: string;
  readonly env: Record<string, string>;

  /**
   * `rewrite`: URLs of services the template names that run on loopback in the test (e.g. the user pool's issuer).
   * `lowered`: limits the test lowers to reach a path without a large input: numeric variables the
   * template sets (a size limit), or the function's timeout (ITTMON_TEST_TIMEOUT_S); only lower,
   * and only ones that exist, so a renamed or dropped limit fails the test instead of passing unused.
   */
  constructor(readonly stack: DeployedStack, readonly logicalId: string, asset: string, extraEnv: Record<string, string>, rewrite: Record<string, string> = {}, lowered: Record<string, number> = {}) {
    const fn = stack.resources[logicalId];
    if (!fn || fn.type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not a function of the stack`);
    if (fn.props.Runtime !== 'nodejs22.x') throw new Error(`${logicalId} runs ${fn.props.Runtime}; this sandbox is the Node.js 22 runtime`);
    this.root = mkdtempSync(join(tmpdir(), 'ittmon-lambda-'));
    // Node finds the SDK from the task root as it finds packages for `import`: in an enclosing node_modules.
    symlinkSync(runtimeModules(), join(this.root, 'node_modules'), 'dir');
    this.taskRoot = join(this.root, 'task');
    cpSync(asset, this.taskRoot, { recursive: true });
    mkdirSync(join(this.root, 'runtime'));
    cpSync(join(dirname(fileURLToPath(import.meta.url)), 'lambda-bootstrap.mjs'), join(this.root, 'runtime', 'bootstrap.mjs'));
    const templateEnv = (fn.props.Environment?.Variables ?? {}) as Record<string, string>;
    for (const k of Object.keys(extraEnv)) if (k in templateEnv) throw new Error(`the test may not override ${k}, which the template sets`);
    // Paths under /var/task in the template's variables point into this task root instead.
    const here = (v: string) => Object.entries(rewrite).reduce((t, [from, to]) => (t === from ? to : t), v.replaceAll('/var/task', this.taskRoot));
    const timeout = { ITTMON_TEST_TIMEOUT_S: String(fn.props.Timeout ?? 3) };
    for (const [k, v] of Object.entries(lowered)) {
      const was = Number({ ...timeout, ...templateEnv }[k]);
      if (!Number.isFinite(was)) throw new Error(`${k} is not a numeric limit of ${logicalId} (its template variables or ITTMON_TEST_TIMEOUT_S): nothing to lower`);
      if (!(v < was)) throw new Error(`${k}: ${v} does not lower ${logicalId}'s ${was}`);
    }
    const logGroup = `/aws/lambda/${fn.ref}`;
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'en_US.UTF-8', TZ: ':UTC',
      AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: fn.ref, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.props.MemorySize ?? 128), AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroup, AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/29/[$LATEST]0123456789abcdef',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', _HANDLER: fn.props.Handler, LAMBDA_TASK_ROOT: this.taskRoot, LAMBDA_RUNTIME_DIR: join(this.root, 'runtime'),
      NODE_PATH: join(this.root, 'node_modules'), _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      ...timeout, ITTMON_TEST_FUNCTION_ARN: fn.arn!,
      ...extraEnv,
      ...Object.fromEntries(Object.entries(templateEnv).map(([k, v]) => [k, here(String(v))])),
      ...Object.fromEntries(Object.entries(lowered).map(([k, v]) => [k, String(v)])),
    };
  }

  /** Starts the environment (init) and invokes it with each event in turn. */
  async invoke(events: unknown[]): Promise<Invocation> {
    const dir = mkdtempSync(join(this.root, 'invoke-'));
    writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
    // Lambda turns off require() of ES modules on Node 20 and 22 (--no-experimental-require-module).
    const args = ['--no-experimental-require-module', join(this.root, 'runtime', 'bootstrap.mjs'), join(dir, 'events.json'), join(dir, 'results.json')];
    const { code, logs } = await new Promise<{ code: number | null; logs: string }>((done) => {
      const child = execFile(process.execPath, args, { cwd: this.taskRoot, env: this.env, maxBuffer: 256 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, logs: `${stdout}${stderr}` });
      });
      child.stdin?.end();
    });
    const results = existsSync(join(dir, 'results.json')) ? JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as InvokeResult[] : [];
    return { results, logs, code };
  }

  /** Invokes and returns each handler's value; any init or invoke error fails with the function's logs. */
  async run(events: unknown[]): Promise<any[]> {
    const { results, logs, code } = await this.invoke(events);
    const failed = results.find((r) => !r.ok);
    if (failed || code !== 0 || results.length !== events.length) {
      throw new Error(`${this.logicalId} failed in ${failed?.phase ?? 'the runtime'}: ${failed ? `${failed.errorType}: ${failed.errorMessage}` : `exit ${code}`}\n--- function logs ---\n${logs.slice(-4000)}`);
    }
    return results.map((r) => r.value);
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}


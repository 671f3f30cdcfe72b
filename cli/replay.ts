import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import measured from '../bench/results-aws.json' with { type: 'json' };
import { describeReplay, listWindow, recentReplays, startReplay } from '#shared/aws/replay.ts';
import { estimateReplay, type ReplayRequest, type ReplayRun } from '#shared/ingest/replay.ts';
import { parseSince } from './collect.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { REPLAY_USAGE } from './usage.ts';

const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]+$/;
const DEFAULT_OUTPUTS = 'cdk-outputs.json';

/** An AWS answer that the user can act on: what failed, and what to fix. */
class ReplayError extends Error {}

/** The stack outputs `cdk deploy --outputs-file FILE` writes: { STACK: { ReplayStateMachineArn, LogsBucketName, … } }. */
function readOutputs(file: string, cwd: string, explicit: boolean): Record<string, string> | undefined {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    if (explicit) throw new UsageError(`${file}: no such file; write it with \`cdk deploy --outputs-file ${file}\`, or give --state-machine ARN`);
    return undefined;
  }
  let data: Record<string, Record<string, string>>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message}); it should be what \`cdk deploy --outputs-file\` writes`);
  }
  const stacks = Object.entries(data ?? {}).filter(([, o]) => typeof o?.ReplayStateMachineArn === 'string');
  if (stacks.length !== 1) throw new UsageError(`${file}: ${stacks.length ? `${stacks.length} stacks have` : 'no stack has'} a ReplayStateMachineArn output${stacks.length ? ` (${stacks.map(([s]) => s).join(', ')})` : ''}; give --state-machine ARN`);
  return stacks[0]![1];
}

function stateMachineOf(values: { 'state-machine'?: string; outputs?: string }, cwd: string) {
  const outputs = values['state-machine'] ? undefined : readOutputs(values.outputs ?? DEFAULT_OUTPUTS, cwd, !!values.outputs);
  const arn = values['state-machine'] ?? outputs?.ReplayStateMachineArn;
  if (!arn) throw new UsageError(`which replay state machine? give --state-machine ARN (the stack output ReplayStateMachineArn), or --outputs FILE from \`cdk deploy --outputs-file ${DEFAULT_OUTPUTS}\``);
  const m = ARN.exec(arn);
  if (!m) throw new UsageError(`--state-machine: "${arn}" is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME); copy the stack output ReplayStateMachineArn`);
  return { arn, region: m[1]!, outputs };
}

/** The SDK's errors, said so that a user knows what to fix. */
function explain(e: unknown, what: string): never {
  const err = e as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
  const name = err?.name ?? '';
  if (name === 'CredentialsProviderError' || /credential/i.test(err?.message ?? '') && !err.$metadata) throw new ReplayError(`${what}: no AWS credentials found; sign in (aws sso login, or set AWS_PROFILE) and try again`);
  if (!err?.$metadata) throw e;
  const status = err.$metadata.httpStatusCode;
  const hint: Record<string, string> = {
    AccessDeniedException: 'your role may not do this: it needs states:StartExecution, ListExecutions, DescribeExecution, ListMapRuns and DescribeMapRun on the replay state machine, and s3:ListBucket on the log bucket',
    AccessDenied: 'your role may not list this bucket: it needs s3:ListBucket on it',
    StateMachineDoesNotExist: 'check the ARN (the stack output ReplayStateMachineArn) and the region',
    ExecutionDoesNotExist: 'check the execution ARN (ittmon replay status lists the recent ones)',
    NoSuchBucket: 'check the bucket name (--bucket) and that it is in the same account',
    InvalidArn: 'check the ARN',
    ExecutionLimitExceeded: 'too many executions are running; wait for one to finish',
  };
  throw new ReplayError(`${what}: ${name || `HTTP ${status}`}: ${err.message}${hint[name] ? `; ${hint[name]}` : ''}`);
}

const n = (v: number) => v.toLocaleString('en-US');
function size(b: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; b >= 1000 && i < units.length - 1; i++) b /= 1000;
  return `${i ? b.toFixed(1) : b} ${units[i]}`;
}
const usd = (v: number) => (v < 0.01 && v > 0 ? '< $0.01' : `$${v.toFixed(2)}`);

/** `--bucket NAME` or `--bucket NAME/PREFIX/` (also s3://NAME/PREFIX/). */
function target(spec: string): { bucket: string; prefix: string } {
  const m = /^(?:s3:\/\/)?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(spec);
  if (!m) throw new UsageError(`--bucket: "${spec}" is not a bucket name, optionally with a prefix (acme-logs, acme-logs/AWSLogs/)`);
  return { bucket: m[1]!, prefix: m[2] ?? '' };
}

function window(values: { since?: string; until?: string; days?: string }, now: Date): { since: string; until: string } {
  if (values.days !== undefined && values.since !== undefined) throw new UsageError('give --days N or --since TIME, not both');
  if (values.days === undefined && values.since === undefined) throw new UsageError('which window? give --days N (the last N days), or --since TIME [--until TIME]');
  const until = values.until ? parseSince(values.until, now).toISOString() : now.toISOString();
  let since: string;
  if (values.days !== undefined) {
    if (!/^\d+$/.test(values.days) || Number(values.days) < 1) throw new UsageError(`--days takes a whole number of days (e.g. 180), not "${values.days}"`);
    since = new Date(Date.parse(until) - Number(values.days) * 86_400_000).toISOString();
  } else since = parseSince(values.since!, now).toISOString();
  if (since >= until) throw new UsageError(`the window is empty: --since ${since} is not before --until ${until}`);
  return { since, until };
}

async function confirmed(io: Io, question: string): Promise<boolean> {
  io.err(question);
  let text = '';
  for await (const chunk of io.stdin) {
    text += chunk.toString('utf8');
    if (text.includes('\n')) break;
  }
  return /^\s*y(es)?\s*$/i.test(text.split('\n')[0] ?? '');
}

async function start(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      'state-machine': { type: 'string' }, outputs: { type: 'string' }, bucket: { type: 'string', multiple: true },
      since: { type: 'string' }, until: { type: 'string' }, days: { type: 'string' }, 'look-back': { type: 'string' }, yes: { type: 'boolean', short: 'y' },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const now = new Date();
  const sm = stateMachineOf(values, io.cwd);
  const when = window(values, now);
  const specs = values.bucket?.length ? values.bucket : sm.outputs?.LogsBucketName ? [sm.outputs.LogsBucketName] : [];
  if (!specs.length) throw new UsageError('which logs? give --bucket NAME[/PREFIX] (once per bucket or prefix)');
  const targets = [...new Map(specs.map(target).map((t) => [`${t.bucket}/${t.prefix}`, t])).values()];
  const lookBack = values['look-back'] ? { policyVersion: values['look-back'] } : null;

  const s3 = new S3Client({ region: sm.region, forcePathStyle: process.env.ITTMON_S3_PATH_STYLE === 'true' });
  const sfn = new SFNClient({ region: sm.region });
  try {
    io.err(`Listing ${targets.length} prefix${targets.length > 1 ? 'es' : ''} for the window ${when.since} to ${when.until}…\n`);
    const listings: { bucket: string; prefix: string; listed: number; objects: number; bytes: number }[] = [];
    for (const t of targets) {
      listings.push({ ...t, ...(await listWindow(s3, t.bucket, t.prefix, when.since, when.until).catch((e) => explain(e, `listing s3://${t.bucket}/${t.prefix}`))) });
    }
    const sum = (k: 'listed' | 'objects' | 'bytes') => listings.reduce((a, l) => a + l[k], 0);
    const estimate = estimateReplay({ listed: sum('listed'), objects: sum('objects'), bytes: sum('bytes') }, { date: measured.date, ...measured.costPerMillionRecords });
    const lines = [
      `Estimate for ${lookBack ? `a look-back (policy version ${lookBack.policyVersion})` : 'a backfill'} of ${when.since} to ${when.until}:`,
      ...listings.map((l) => `  s3://${l.bucket}/${l.prefix}: ${n(l.objects)} objects in the window (${size(l.bytes)}), ${n(l.listed)} listed`),
      `  objects: ${n(estimate.objects)} in the window, ${size(estimate.bytes)}; ${n(estimate.listed)} listed and enqueued (the ingest drops those outside the window unread)`,
      `  cost:    ${usd(estimate.total.low)} to ${usd(estimate.total.high)} (replay ${usd(estimate.replay)}, ingest ${usd(estimate.ingest.low)} to ${usd(estimate.ingest.high)})`,
      '  basis:',
      ...estimate.basis.map((b) => `    - ${b}`),
    ];
    io.out(`${lines.join('\n')}\n`);
    if (!estimate.listed) {
      io.out('Nothing to replay: no objects under these prefixes. Nothing started.\n');
      return EXIT.ok;
    }
    if (!values.yes && !(await confirmed(io, `Start ${targets.length} replay execution${targets.length > 1 ? 's' : ''} on ${sm.arn}? [y/N] `))) {
      io.err('Not started (answer y, or pass --yes).\n');
      return EXIT.failure;
    }
    const startedBy = `cli:${process.env.USER ?? userInfo().username}`;
    for (const t of targets) {
      const request: ReplayRequest = { ...t, ...when, lookBack, startedBy };
      const run = await startReplay(sfn, sm.arn, request, now).catch((e) => explain(e, `starting the replay of s3://${t.bucket}/${t.prefix}`));
      io.out(`started ${run.executionArn}\n`);
    }
    io.out('Follow it with: ittmon replay status EXECUTION_ARN (or without an ARN: the recent replays)\n');
    return EXIT.ok;
  } finally {
    s3.destroy();
    sfn.destroy();
  }
}

function formatRun(r: ReplayRun): string {
  const q = r.request ?? {};
  const what = q.bucket !== undefined ? `s3://${q.bucket}/${q.prefix ?? ''} ${q.since ?? '?'} to ${q.until ?? '?'}` : '(not a replay request)';
  const i = r.items;
  return [
    `${r.name}: ${r.status}`,
    `  execution: ${r.executionArn}`,
    `  started:   ${r.startedAt}${q.startedBy ? ` by ${q.startedBy}` : ''}${r.stoppedAt ? `; stopped ${r.stoppedAt}` : ''}`,
    `  replays:   ${what}${q.lookBack ? ` (look-back after policy version ${q.lookBack.policyVersion})` : ''}`,
    i ? `  objects:   ${n(i.succeeded)} enqueued, ${n(i.failed + i.timedOut + i.aborted)} failed, ${n(i.pending + i.running)} pending, of ${n(i.total)}` : '  objects:   (the listing has not started)',
    ...(r.error ? [`  error:     ${r.error}`] : []),
  ].join('\n');
}

async function status(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'state-machine': { type: 'string' }, outputs: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length > 1) throw new UsageError(`one execution at a time (usage: ${REPLAY_USAGE})`);
  const execution = positionals[0];
  if (execution && !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/.test(execution)) {
    throw new UsageError(`"${execution}" is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME); ittmon replay start prints it`);
  }
  const region = execution ? execution.split(':')[3]! : undefined;
  const sm = execution ? undefined : stateMachineOf(values, io.cwd);
  const sfn = new SFNClient({ region: region ?? sm!.region });
  try {
    const runs = execution
      ? [await describeReplay(sfn, execution).catch((e) => explain(e, `reading ${execution}`))]
      : await recentReplays(sfn, sm!.arn).catch((e) => explain(e, `listing the replays of ${sm!.arn}`));
    if (values.json) io.out(`${JSON.stringify(execution ? runs[0] : runs)}\n`);
    else io.out(runs.length ? `${runs.map(formatRun).join('\n\n')}\n` : `No replays yet on ${sm!.arn}.\n`);
    return EXIT.ok;
  } finally {
    sfn.destroy();
  }
}

/** `ittmon replay start …` and `ittmon replay status [EXECUTION]`. */
export async function replay(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'start') return await start(rest, io);
    if (sub === 'status') return await status(rest, io);
  } catch (e) {
    if (!(e instanceof ReplayError)) throw e;
    io.err(`ittmon replay: ${e.message}\n`);
    return EXIT.failure;
  }
  throw new UsageError(sub ? `unknown replay command "${sub}": start or status` : 'start or status?');
}

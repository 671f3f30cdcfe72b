import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import measured from '../../bench/results-aws.json' with { type: 'json' };
import { s3Loopback } from './aws.ts';
import { ittmonProcess, STACK } from './cli.ts';
import { sfnLoopback } from '#test/aws/sfn-loopback.ts';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ReplayStateMachine1A2B';
const OTHER = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Missing';

describe('ittmon replay (child process, loopback S3 and Step Functions)', () => {
  let s3: Awaited<ReturnType<typeof s3Loopback>>;
  let sfn: Awaited<ReturnType<typeof sfnLoopback>>;
  let env: Record<string, string>;
  let cwd: string;
  beforeAll(async () => {
    s3 = await s3Loopback();
    await s3.bucket('acme-logs');
    await s3.bucket('acme-trail');
    for (const [k, body] of [['AWSLogs/a.log', 'x'.repeat(1000)], ['AWSLogs/b.log', 'y'.repeat(500)], ['AWSLogs/c.log', 'z'.repeat(1500)], ['other/d.log', 'w']] as const) await s3.put('acme-logs', k, body);
    await s3.put('acme-trail', 'AWSLogs/111/CloudTrail/e.json.gz', 'e'.repeat(2000));
    sfn = await sfnLoopback({ stateMachines: [SM], s3: s3.client });
    env = {
      AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      ITTMON_S3_PATH_STYLE: 'true', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', USER: 'rofficer',
    };
    cwd = mkdtempSync(join(tmpdir(), 'replay-cli-'));
    writeFileSync(join(cwd, 'cdk-outputs.json'), JSON.stringify({ ITTMonitor: { ReplayStateMachineArn: SM, LogsBucketName: 'acme-logs' } }));
  });
  afterAll(async () => { await sfn?.close(); await s3?.close(); });

  const starts = () => sfn.calls.filter((c) => c.target === 'AWSStepFunctions.StartExecution');

  it('start: lists the window, prints the estimate with its basis, and starts one execution per prefix with --yes', async () => {
    const before = starts().length;
    const r = await ittmonProcess(['replay', 'start', '--state-machine', SM, '--days', '7', '--bucket', 'acme-logs/AWSLogs/', '--bucket', 's3://acme-trail/AWSLogs/', '--look-back', 'pv-42', '--yes'], { env, cwd });
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('s3://acme-logs/AWSLogs/: 3 objects in the window (3.0 KB), 3 listed');
    expect(r.stdout).toContain('s3://acme-trail/AWSLogs/: 1 objects in the window (2.0 KB), 1 listed');
    expect(r.stdout).toContain('objects: 4 in the window, 5.0 KB; 4 listed and enqueued');
    expect(r.stdout).toContain('look-back (policy version pv-42)');
    // The measured per-object spread, from the benchmark's cost per million records at each records-per-object row.
    const perObject = measured.costPerMillionRecords.rows.map((row) => row.total * row.recordsPerObject);
    const dollars = (n: number) => `$${n.toFixed(2)}`;
    expect(r.stdout).toContain(`ingest: ${dollars(Math.min(...perObject))} to ${dollars(Math.max(...perObject))} per million objects in the window, measured ${measured.date.slice(0, 10)} (bench/results-aws.json)`);
    expect(r.stdout).toContain('Step Functions Express $1.00 per million requests');
    const sent = starts().slice(before);
    expect(sent).toHaveLength(2);
    const inputs = sent.map((c) => JSON.parse(c.body.input));
    expect(inputs.map((i) => `${i.bucket}/${i.prefix}`)).toEqual(['acme-logs/AWSLogs/', 'acme-trail/AWSLogs/']);
    expect(inputs[0]).toMatchObject({ lookBack: { policyVersion: 'pv-42' }, startedBy: 'cli:rofficer' });
    expect(Date.parse(inputs[0].until) - Date.parse(inputs[0].since)).toBe(7 * 86_400_000);
    expect(sent[0]!.body.name).toMatch(/^lookback-\d{8}T\d{6}-acme-logs-AWSLogs$/);
    expect(r.stdout.match(/^started arn:aws:states:eu-west-1:123456789012:execution:ReplayStateMachine1A2B:lookback-/gm)).toHaveLength(2);
  });

  it('start: objects outside the window are listed (and paid for) but not counted as read', async () => {
    const r = await ittmonProcess(['replay', 'start', '--since', '2020-01-01', '--until', '2020-02-01', '--yes'], { env, cwd });
    expect(r.code).toBe(0);
    // Default bucket from cdk-outputs.json: the whole of acme-logs.
    expect(r.stdout).toContain('s3://acme-logs/: 0 objects in the window (0 bytes), 4 listed');
    expect(r.stdout).toContain('Estimate for a backfill of 2020-01-01T00:00:00.000Z to 2020-02-01T00:00:00.000Z');
    expect(JSON.parse(starts().at(-1)!.body.input)).toMatchObject({ bucket: 'acme-logs', prefix: '', lookBack: null });
  });

  it('start: asks first; anything but y starts nothing (exit 1), y starts it', async () => {
    const before = starts().length;
    const no = await ittmonProcess(['replay', 'start', '--days', '30', '--bucket', 'acme-logs/other/'], { env, cwd, stdin: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain('? [y/N] ');
    expect(no.stderr).toContain('Not started (answer y, or pass --yes)');
    expect(no.stdout).toContain('Estimate for a backfill');
    const silent = await ittmonProcess(['replay', 'start', '--days', '30', '--bucket', 'acme-logs/other/'], { env, cwd, stdin: '' });
    expect(silent.code).toBe(1);
    expect(starts().length).toBe(before);
    const yes = await ittmonProcess(['replay', 'start', '--days', '30', '--bucket', 'acme-logs/other/'], { env, cwd, stdin: 'y\n' });
    expect(yes.code).toBe(0);
    expect(starts().length).toBe(before + 1);
  });

  it('status EXECUTION: the state and the map run\'s counts, as text and JSON', async () => {
    const r = await ittmonProcess(['replay', 'start', '--days', '1', '--bucket', 'acme-logs/AWSLogs/', '--yes'], { env, cwd });
    const arn = /^started (\S+)$/m.exec(r.stdout)![1]!;
    const running = await ittmonProcess(['replay', 'status', arn], { env, cwd });
    expect(running.code).toBe(0);
    expect(running.stdout).toContain(': RUNNING');
    expect(running.stdout).toContain('objects:   0 enqueued, 0 failed, 3 pending, of 3');
    expect(running.stdout).toContain('by cli:rofficer');
    sfn.settle(arn, 1);
    const done = await ittmonProcess(['replay', 'status', arn, '--json'], { env, cwd });
    const run = JSON.parse(done.stdout);
    expect(run).toMatchObject({ executionArn: arn, status: 'SUCCEEDED', items: { total: 3, succeeded: 2, failed: 1, pending: 0 }, request: { bucket: 'acme-logs', prefix: 'AWSLogs/' } });
    expect(run.stoppedAt).toMatch(/^\d{4}-/);
  });

  it('status without an ARN: the recent replays of the stack\'s state machine, newest first', async () => {
    const r = await ittmonProcess(['replay', 'status'], { env, cwd });
    expect(r.code).toBe(0);
    const names = [...r.stdout.matchAll(/^(\S+): (RUNNING|SUCCEEDED)$/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(r.stdout.indexOf('SUCCEEDED')).toBeGreaterThan(-1);
  });

  const cases: [string[], number, string][] = [
    [['replay', 'start', '--bucket', 'acme-logs', '--yes'], 2, 'which window? give --days N'],
    [['replay', 'start', '--days', 'ten', '--yes'], 2, '--days takes a whole number of days'],
    [['replay', 'start', '--since', '2026-02-01', '--until', '2026-01-01', '--yes'], 2, 'the window is empty'],
    [['replay', 'start', '--days', '1', '--state-machine', 'ReplayStateMachine', '--yes'], 2, 'is not a state machine ARN'],
    [['replay', 'start', '--days', '1', '--bucket', 'Bad_Bucket', '--yes'], 2, '--bucket: "Bad_Bucket" is not a bucket name'],
    [['replay', 'start', '--days', '1', '--state-machine', OTHER, '--bucket', 'acme-logs', '--yes'], 1, 'StateMachineDoesNotExist'],
    [['replay', 'start', '--days', '1', '--bucket', 'no-such-bucket', '--yes'], 1, 'NoSuchBucket'],
    [['replay', 'status', 'not-an-arn'], 2, 'is not an execution ARN'],
    [['replay', 'status', `${SM.replace(':stateMachine:', ':execution:')}:gone`], 1, 'check the execution ARN'],
    [['replay', 'stop'], 2, 'unknown replay command "stop"'],
  ];
  it.each(cases)('errors say what to fix, with no stack trace: %j', async (args, code, message) => {
    const r = await ittmonProcess(args, { env, cwd });
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringContaining(message) });
    expect(r.stderr).not.toMatch(STACK);
  });

  it('no state machine named and no stack outputs: says where to find it', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'replay-bare-'));
    const none = await ittmonProcess(['replay', 'status'], { env, cwd: bare });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give --state-machine ARN (the stack output ReplayStateMachineArn)');
  });

  it('a role that may not start executions is told which permissions it needs', async () => {
    const denying = await sfnLoopback({ stateMachines: [SM], deny: ['StartExecution'] });
    try {
      const r = await ittmonProcess(['replay', 'start', '--days', '1', '--state-machine', SM, '--bucket', 'acme-logs', '--yes'], { env: { ...env, AWS_ENDPOINT_URL_SFN: denying.endpoint }, cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('AccessDeniedException');
      expect(r.stderr).toContain('it needs states:StartExecution');
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      await denying.close();
    }
  });

  it('--help explains the command', async () => {
    const r = await ittmonProcess(['replay', '--help'], { env, cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: ittmon replay start (--days N');
    expect(r.stdout).toContain('prints an estimate');
  });
});

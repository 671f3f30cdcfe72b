import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { repoRoot } from '#test/helpers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SETTINGS, synthesize, type Assembly } from '#test/aws/assembly.ts';
import { DATA_BUCKET, LocalDeployment, type FunctionName } from '#test/aws/deployment.ts';
import { ACCOUNT, REGION } from '#test/aws/stack-model.ts';
import { describePermissions } from '#test/policy/permissions.ts';

/**
 * The functions as `cdk deploy` would ship them: each asset directory of the synthesized
 * assembly, alone in a task root with only the runtime's AWS SDK beside it, run by a Node process
 * the way the Lambda runtime runs it, with the template's environment, against loopback services.
 * Then the policy tests evaluate every AWS call these runs made (recorded once, not run again).
 * This stack creates its own log bucket; test/bundle/sources.test.ts covers configured sources.
 */
let assembly: Assembly;
let d: LocalDeployment;
const FUNCTIONS: FunctionName[] = ['ingest-object', 'ingest-stream', 'publish', 'review-api', 'config-changed'];
const TRAIL = 'cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json';

beforeAll(async () => {
  assembly = await synthesize({ settingsFile: TEST_SETTINGS });
  d = await LocalDeployment.start(assembly);
}, 300_000);
afterAll(async () => d?.close());

describe('the assembly', () => {
  it('builds every function of functions/ from a bundled asset for Node.js 22', () => {
    for (const name of FUNCTIONS) {
      const fn = d.function(name);
      expect(fn.props).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler' });
      expect(existsSync(join(assembly.assets[fn.id]!, 'index.mjs'))).toBe(true);
    }
  });
});

describe('ingest-object (S3 → SQS → Lambda)', () => {
  it('stores the flags of the example logs, with countries from the bundled geo-IP database, and quarantines the bad line', async () => {
    const { responses } = await d.ingestExamples();
    expect(responses).toEqual([{ batchItemFailures: [] }]);
    const flags = await d.store.allFlags();
    expect(flags.length).toBeGreaterThan(5);
    expect(flags.flatMap((f) => f.reasons.map((r) => r.country)).filter(Boolean).length).toBeGreaterThan(0);
    const quarantine = d.function('ingest-object').props.Environment.Variables.QUARANTINE_BUCKET as string;
    const listed = await d.aws.s3.client.send(new ListObjectsV2Command({ Bucket: quarantine, Prefix: 'quarantine/' }));
    const key = listed.Contents?.find((o) => o.Key!.includes('s3-access'))?.Key;
    expect(key).toBeDefined();
    const text = await (await d.aws.s3.client.send(new GetObjectCommand({ Bucket: quarantine, Key: key! }))).Body!.transformToString();
    expect(JSON.parse(text.trim())).toMatchObject({ line: 14, source: 's3-access' });
  }, 120_000);
  it(`classifies an object of ${DATA_BUCKET} by its S3 tags (GetObjectTagging)`, async () => {
    expect(await d.ingestTagged()).toEqual([{ batchItemFailures: [] }]);
    const flag = (await d.store.allFlags()).find((f) => f.day === '2026-10-22');
    expect(flag).toMatchObject({ dataset: 'hgv-cfd', events: [expect.objectContaining({ resource: `s3://${DATA_BUCKET}/misc/loads-table.bin` })] });
  }, 60_000);
  /** One example object through a sandbox the test has broken: its message must fail, with the reason in the function's log. */
  async function brokenRun(breakIt: (sandbox: ReturnType<LocalDeployment['sandbox']>) => void) {
    const sandbox = d.sandbox('ingest-object');
    try {
      breakIt(sandbox);
      const { results, logs } = await sandbox.invoke([await d.s3Event(d.notifiedBucket().bucket, [(await d.ingestExamplesKeys())[0]!])]);
      // Powertools reports a failed message in batchItemFailures, or throws when every message failed.
      return { failed: results[0]?.ok === false || results[0]?.value?.batchItemFailures?.length === 1, logs };
    } finally {
      sandbox.close();
    }
  }
  it('replaces the evidence of a log object delivered again with other content (a new ETag)', async () => {
    expect(JSON.stringify(await d.ingestChanged())).not.toContain('itemIdentifier');
  }, 60_000);
  it('fails, naming the variable, when an environment variable the code needs is missing', async () => {
    const { failed, logs } = await brokenRun((s) => { delete s.env.QUARANTINE_BUCKET; });
    expect(failed).toBe(true);
    expect(logs).toMatch(/QUARANTINE_BUCKET/);
  }, 60_000);
  /** Counts stored for an object (none while it waits for the large-object task or a continuation). */
  const countsOf = async (key: string) => (await d.store.allObjectCounts()).filter((c) => c.object.endsWith(key));
  it('hands a compressed object over the size limit to the large-object state machine (StartExecution), storing nothing of it; one at the limit it reads itself', async () => {
    const { bucket, prefix } = d.notifiedBucket();
    const gz = gzipSync(readFileSync(join(repoRoot, 'examples/logs', TRAIL)));
    const vars = d.function('ingest-object').props.Environment.Variables as Record<string, string>;
    const run = async (key: string, limit: number) => {
      await d.aws.s3.put(bucket, key, gz);
      // The limit lowered to the object's size (limit) or just below it (limit - 1); the template's is 2 GiB.
      const sandbox = d.sandbox('ingest-object', { ITTMON_LAMBDA_MAX_COMPRESSED_BYTES: limit });
      const before = d.aws.sfn.calls.length;
      try {
        expect(await d.invoke('ingest-object', [await d.s3Event(bucket, [key])], sandbox)).toEqual([{ batchItemFailures: [] }]);
      } finally {
        sandbox.close();
      }
      return d.aws.sfn.calls.slice(before).filter((c) => c.target === 'AWSStepFunctions.StartExecution').map((c) => [c.body.stateMachineArn, JSON.parse(c.body.input).ref.key]);
    };
    const over = `${prefix}handoff/over/${TRAIL}.gz`;
    expect(await run(over, gz.length - 1)).toEqual([[vars.LARGE_OBJECT_STATE_MACHINE, over]]);
    expect(await countsOf(over)).toEqual([]);
    const at = `${prefix}handoff/at/${TRAIL}.gz`;
    expect(await run(at, gz.length)).toEqual([]);
    expect((await countsOf(at))[0]?.records).toBeGreaterThan(0);
  }, 120_000);
  it('sends an object it has no time left for back to its queue (SendMessage), and reads it when the continuation comes', async () => {
    const { bucket, prefix } = d.notifiedBucket();
    const key = `${prefix}deferred/${TRAIL}`;
    await d.aws.s3.put(bucket, key, readFileSync(join(repoRoot, 'examples/logs', TRAIL)));
    const queue = d.function('ingest-object').props.Environment.Variables.QUEUE_URL as string;
    // A timeout below the reserve the function keeps for saving and sending (ITTMON_SAFETY_MS): no time to read.
    const late = d.sandbox('ingest-object', { ITTMON_TEST_TIMEOUT_S: 1 });
    const before = d.aws.json.calls.length;
    try {
      expect(await d.invoke('ingest-object', [await d.s3Event(bucket, [key])], late)).toEqual([{ batchItemFailures: [] }]);
    } finally {
      late.close();
    }
    const sent = d.aws.json.calls.slice(before).filter((c) => c.target === 'AmazonSQS.SendMessage');
    expect(sent.map((c) => c.body.QueueUrl)).toEqual([queue]);
    expect(await countsOf(key)).toEqual([]);
    // SQS delivers the continuation to the function (its usual execution environment).
    const [message] = (await d.s3Event(bucket, [key]) as { Records: Record<string, unknown>[] }).Records;
    expect(await d.invoke('ingest-object', [{ Records: [{ ...message, messageId: randomUUID(), body: sent[0]!.body.MessageBody }] }])).toEqual([{ batchItemFailures: [] }]);
    expect((await countsOf(key))[0]?.records).toBeGreaterThan(0);
  }, 120_000);
  it('fails when a file the bundle ships (the geo-IP database) is missing', async () => {
    const { failed, logs } = await brokenRun((s) => rmSync(join(s.taskRoot, 'geo.mmdb')));
    expect(failed).toBe(true);
    expect(logs).toMatch(/geo\.mmdb/);
  }, 60_000);
});

describe('ingest-stream (CloudWatch Logs subscription → Lambda)', () => {
  it('stores the flags of CloudTrail events delivered through CloudWatch Logs', async () => {
    await d.ingestStream();
    const flags = (await d.store.allFlags()).filter((f) => f.day === '2026-10-21');
    expect(flags.map((f) => `${f.dataset} ${f.actor.key}`).sort()).toEqual(['hgv-cfd p-003', 'hgv-cfd p-008', 'rad-hard-asic p-002']);
  }, 60_000);
});

describe('ingest-large (Step Functions → ECS Fargate task)', () => {
  it('reads a gzip log object to its end from the image\'s /app alone (no node_modules), with the task definition\'s environment', async () => {
    const { bucket, prefix } = d.notifiedBucket();
    const file = 'cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json';
    const key = `${prefix}large/${file}.gz`;
    await d.aws.s3.put(bucket, key, gzipSync(readFileSync(join(repoRoot, 'examples/logs', file))));
    const head = await d.aws.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const { code, logs } = await d.runLargeTask({ bucket, key, etag: head.ETag!.replace(/"/g, '') });
    expect(code, logs).toBe(0);
    expect((await d.store.allObjectCounts()).find((c) => c.object.endsWith(key))?.records).toBeGreaterThan(0);
  }, 120_000);
  it('exits 1 (Step Functions retries) with the reason when the object is not there', async () => {
    const { code, logs } = await d.runLargeTask({ bucket: d.notifiedBucket().bucket, key: 'AWSLogs/missing.json.gz', etag: 'x' });
    expect(code).toBe(1);
    expect(logs).toMatch(/large object failed/);
  }, 120_000);
});

describe('publish (DynamoDB stream → Lambda → EventBridge)', () => {
  it('announces every stored flag on the bus the template names', async () => {
    const before = d.aws.json.calls.length;
    const { items, responses } = await d.publishStored();
    expect(items).toBeGreaterThan(0);
    expect(responses).toEqual([{ batchItemFailures: [] }]);
    const entries = d.aws.json.calls.slice(before).filter((c) => c.target === 'AWSEvents.PutEvents').flatMap((c) => c.body.Entries as { EventBusName: string; DetailType: string }[]);
    expect(entries.length).toBe((await d.store.allFlags()).length);
    expect(new Set(entries.map((e) => e.EventBusName))).toEqual(new Set([d.function('publish').props.Environment.Variables.EVENT_BUS_NAME]));
  }, 60_000);
});

describe('review-api (API Gateway HTTP API → Lambda)', () => {
  it('serves the review queue to a reviewer\'s token, sends a browser to sign in, 401 to anyone else, records a decision, with the signing secret the template names', async () => {
    const [flag] = await d.store.allFlags();
    const decision = d.apiEvent('POST', `/api/flags/${flag!.id}/decisions`, ['reviewer'], { action: 'assign', version: flag!.version });
    const [list, page, anonymous, one, decided] = await d.invoke('review-api', [d.apiEvent('GET', '/api/flags', ['viewer']), d.apiEvent('GET', '/', ['viewer']), d.apiEvent('GET', '/api/flags', null), d.apiEvent('GET', `/api/flags/${flag!.id}`, ['viewer']), decision]);
    expect(decided.statusCode, decided.body).toBe(200);
    expect(list.statusCode, list.body).toBe(200);
    expect(JSON.parse(list.body).items.length).toBeGreaterThan(5);
    // A browser without a session is sent to sign in (the page's routes have no authorizer).
    expect([page.statusCode, page.headers?.location]).toEqual([302, '/login?next=%2F']);
    expect(anonymous.statusCode).toBe(401);
    expect([one.statusCode, JSON.parse(one.body).flag.id]).toEqual([200, flag!.id]);
    const secretIds = d.aws.json.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').map((c) => c.body.SecretId);
    expect(new Set(secretIds)).toEqual(new Set([d.function('review-api').props.Environment.Variables.REVIEW_SECRET_ARN]));
  }, 60_000);
});

describe('config-changed (S3 → EventBridge → Lambda) and the review page\'s replay panel (Step Functions)', () => {
  const objectCreated = (bucket: string, key: string, versionId: string) => ({
    version: '0', id: randomUUID(), 'detail-type': 'Object Created', source: 'aws.s3', account: ACCOUNT, time: '2026-11-29T12:00:00Z', region: REGION, resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: '0', bucket: { name: bucket }, object: { key, size: 1, etag: 'e', 'version-id': versionId, sequencer: '1' }, 'request-id': 'R', requester: ACCOUNT, 'source-ip-address': '10.0.0.1', reason: 'PutObject' },
  });
  it('diffs a new config version against the one before, records it, and starts the look-back over the log bucket; a reviewer sees it on the replay panel', async () => {
    const vars = d.function('config-changed').props.Environment.Variables as Record<string, string>;
    const config = vars.CONFIG_BUCKET!;
    const reclassified = readFileSync(join(repoRoot, 'examples/ittmon.yaml'), 'utf8').replace('classification: EAR99', 'classification: 9E991');
    const version = await d.aws.putVersion(config, 'ittmon.yaml', reclassified);
    const [result] = await d.invoke('config-changed', [objectCreated(config, 'ittmon.yaml', version)]);
    expect(result).toMatchObject({ outcome: 'recorded', diff: { touches: { datasets: ['lab-ops'] } } });
    const { bucket } = d.notifiedBucket();
    const started = d.aws.sfn.calls.filter((c) => c.target === 'AWSStepFunctions.StartExecution' && c.body.stateMachineArn === vars.REPLAY_STATE_MACHINE_ARN);
    expect(started.map((c) => JSON.parse(c.body.input))).toEqual([expect.objectContaining({ bucket, since: '2026-10-30T12:00:00.000Z', until: '2026-11-29T12:00:00.000Z', startedBy: 'config-change' })]);
    expect(result.replays).toEqual([...d.aws.sfn.executions.keys()].filter((arn) => arn.includes(':execution:') && started.some((c) => arn.endsWith(`:${c.body.name}`))));
    const [panel] = await d.invoke('review-api', [d.apiEvent('GET', '/api/replays', ['reviewer'])]);
    expect(panel.statusCode, panel.body).toBe(200);
    const listed = (await d.aws.s3.client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount;
    expect(JSON.parse(panel.body).replays).toEqual([expect.objectContaining({ executionArn: result.replays[0], status: 'RUNNING', items: expect.objectContaining({ total: listed, pending: listed }) })]);
  }, 120_000);
  it('fails, naming the variable, without the replay state machine it starts', async () => {
    const sandbox = d.sandbox('config-changed');
    try {
      delete sandbox.env.REPLAY_STATE_MACHINE_ARN;
      const config = d.function('config-changed').props.Environment.Variables.CONFIG_BUCKET as string;
      const version = await d.aws.putVersion(config, 'ittmon.yaml', readFileSync(join(repoRoot, 'examples/ittmon.yaml'), 'utf8').replace('classification: 3E001', 'classification: 5E991'));
      const { results, logs } = await sandbox.invoke([objectCreated(config, 'ittmon.yaml', version)]);
      expect(results[0]?.ok).toBe(false);
      expect(`${results[0]?.errorMessage}${logs}`).toMatch(/REPLAY_STATE_MACHINE_ARN/);
    } finally {
      sandbox.close();
    }
  }, 60_000);
});

describePermissions('created-log-bucket', () => d, [...FUNCTIONS, 'LargeObjectsTask']);

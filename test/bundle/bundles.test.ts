import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { repoRoot } from '#test/helpers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SETTINGS, synthesize, type Assembly } from '#test/aws/assembly.ts';
import { DATA_BUCKET, LocalDeployment, type FunctionName } from '#test/aws/deployment.ts';
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
const FUNCTIONS: FunctionName[] = ['ingest-object', 'ingest-stream', 'publish', 'review-api'];

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

describePermissions('created-log-bucket', () => d, [...FUNCTIONS, 'LargeObjectsTask']);

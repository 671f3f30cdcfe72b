import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HeadObjectCommand, ListObjectsV2Command, GetObjectCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent, SQSBatchResponse, DynamoDBStreamEvent, CloudWatchLogsEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Flag } from '#shared/model/index.ts';
import { ensureTable, startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { resetRuntime } from '#shared/aws/runtime.ts';
import { repoRoot } from '#test/helpers.ts';
import { ittmon } from './cli.ts';
import { denyingS3Proxy, jsonService, s3Loopback, stsLoopback, useLoopbackEnv } from './aws.ts';
import { API_SCOPES, startTestProvider, type TestProvider } from '../e2e/oidc-provider.ts';

const TABLE = `ittmon-${randomUUID().slice(0, 8)}`;
let s3: Awaited<ReturnType<typeof s3Loopback>>;
/**
 * What IAM refuses: the tags of nfu-secret-research's objects (not granted to the ingest role), and
 * acme-trail (another account's bucket) to anyone but its read role.
 */
let iam: Awaited<ReturnType<typeof denyingS3Proxy>>;
let sts: Awaited<ReturnType<typeof stsLoopback>>;
const READ_ROLE = 'arn:aws:iam::444455556666:role/ittmon-read-ITTMonitor';
let dynamo: LocalStore;
let aws: Awaited<ReturnType<typeof jsonService>>;
/** When set, Secrets Manager answers only once this resolves (a test of what waits for what). */
let secretGate: (() => Promise<void>) | undefined;
let idp: TestProvider; // stands in for the Cognito user pool: a real OpenID provider on loopback
let store: DynamoFlagStore;
let logKeys: string[];
let handlers: {
  ingestObject: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
  ingestStream: (e: CloudWatchLogsEvent) => Promise<void>;
  publish: (e: DynamoDBStreamEvent, c: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  review: (e: unknown, c: Context) => Promise<{ statusCode: number; body: string; headers?: Record<string, string> }>;
  runTask: typeof import('../../functions/ingest-large/task.ts').runTask;
};

const context = (remainingMs = 900_000): Context => ({ getRemainingTimeInMillis: () => remainingMs, functionName: 'test', awsRequestId: randomUUID() } as unknown as Context);

/** S3 → SQS notification messages, as S3 writes them (key URL-encoded, `+` for a space). */
async function notification(bucket: string, keys: string[]): Promise<SQSEvent> {
  const records = await Promise.all(keys.map(async (key) => {
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const body = { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-east-1', eventTime: '2026-10-16T00:00:00.000Z', eventName: 'ObjectCreated:Put', s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: head.ContentLength, eTag: head.ETag!.replace(/"/g, '') } } }] };
    return sqsRecord(JSON.stringify(body));
  }));
  return { Records: records };
}
const sqsRecord = (body: string) => ({ messageId: randomUUID(), receiptHandle: 'r', body, attributes: {} as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:ittmon-ingest', awsRegion: 'us-east-1' });
const summary = (f: Flag) => `${f.id} ${f.severity} ${f.dataset} ${f.actor.key} ${f.reasons.map((r) => `${r.code}:${r.country ?? ''}`).join(',')} n=${f.eventCount} b=${f.bytes}`;

beforeAll(async () => {
  s3 = await s3Loopback();
  for (const b of ['ittmon-config', 'nfu-logs', 'ittmon-quarantine']) await s3.bucket(b);
  for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await s3.put('ittmon-config', f, readFileSync(join(repoRoot, 'examples', f)));
  logKeys = await s3.upload('nfu-logs', join(repoRoot, 'examples/logs'), 'AWSLogs/');
  iam = await denyingS3Proxy(s3.endpoint, (method, url, headers) => (method === 'GET' && url.pathname.startsWith('/nfu-secret-research/') && url.searchParams.has('tagging'))
    || (url.pathname.startsWith('/acme-trail/') && headers['x-amz-security-token'] !== `session-for:${READ_ROLE}`));
  sts = await stsLoopback();
  dynamo = await startLocalStore();
  await ensureTable(dynamo.client, TABLE);
  store = new DynamoFlagStore(dynamo.client, TABLE);
  aws = await jsonService((target, body) => {
    if (target === 'AWSEvents.PutEvents') return { FailedEntryCount: 0, Entries: [{ EventId: '1' }] };
    if (target === 'AmazonSQS.SendMessage') return { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex') };
    if (target === 'secretsmanager.GetSecretValue') return (secretGate?.() ?? Promise.resolve()).then(() => ({ SecretString: 'review-secret', Name: 'x', ARN: 'arn' }));
    if (target === 'AWSStepFunctions.StartExecution') return { executionArn: `arn:aws:states:us-east-1:111122223333:execution:ittmon-large:${String(body.name)}`, startDate: 1 };
    return {};
  });
  idp = await startTestProvider({
    clients: [{ id: 'review-client', redirectUris: ['https://review.example.edu/auth/callback'], postLogoutUris: ['https://review.example.edu/signed-out'] }],
    accounts: { vera: { email: 'viewer@northfield.edu', email_verified: true, name: 'Vera Viewer', groups: ['viewer'] } },
  });
  useLoopbackEnv({ s3: iam.endpoint, dynamodb: dynamo.endpoint, json: aws.endpoint, sts: sts.endpoint }, {
    COGNITO_ISSUER: idp.issuer, COGNITO_CLIENT_ID: 'review-client', COGNITO_DOMAIN_URL: idp.issuer, REVIEW_SCOPE_PREFIX: 'ittmon',
    LARGE_OBJECT_STATE_MACHINE: 'arn:aws:states:us-east-1:111122223333:stateMachine:ittmon-large', ITTMON_LAMBDA_MAX_COMPRESSED_BYTES: '100000',
    TABLE_NAME: TABLE, CONFIG_BUCKET: 'ittmon-config', QUARANTINE_BUCKET: 'ittmon-quarantine', QUEUE_URL: `${aws.endpoint}/111122223333/ittmon-ingest`,
    REVIEW_URL: 'https://review.example.edu', EVENT_BUS_NAME: 'ittmon-flags', REVIEW_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    ITTMON_READ_ROLES: JSON.stringify([{ bucket: 'acme-trail', roleArn: READ_ROLE }]),
    ITTMON_TAG_BUCKETS: JSON.stringify([{ bucket: 'nfu-aero-research', prefix: '' }, { bucket: 'nfu-secret-research', prefix: 'misc/' }]),
  });
  resetRuntime();
  handlers = {
    ingestObject: (await import('../../functions/ingest-object/handler.ts')).handler as never,
    ingestStream: (await import('../../functions/ingest-stream/handler.ts')).handler as never,
    publish: (await import('../../functions/publish/handler.ts')).handler as never,
    review: (await import('../../functions/review-api/handler.ts')).handler as never,
    runTask: (await import('../../functions/ingest-large/task.ts')).runTask,
  };
}, 60_000);

afterAll(async () => {
  await iam?.close();
  await sts?.close();
  await idp?.close();
  await s3?.close();
  await dynamo?.close();
  await aws?.close();
});

describe('ingest-object (SQS of S3 notifications)', () => {
  it('stores the same flags as the CLI for the same logs; a poisoned message fails alone', async () => {
    const event = await notification('nfu-logs', logKeys);
    const poisoned = sqsRecord('{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "nfu-logs"}, "object": {"key": "AWSLogs/does-not-exist.log", "eTag": "x"}}}]}');
    event.Records.splice(1, 0, poisoned);
    const res = await handlers.ingestObject(event, context());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    const cli = (await ittmon(['scan', 'examples/logs', '--config', 'examples/ittmon.yaml', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Flag);
    const stored = await store.allFlags();
    expect(stored.map(summary).sort()).toEqual(cli.map(summary).sort());
  });

  it('a redelivered message changes nothing', async () => {
    const before = (await store.allFlags()).map((f) => JSON.stringify(f)).sort();
    const res = await handlers.ingestObject(await notification('nfu-logs', logKeys), context());
    expect(res.batchItemFailures).toEqual([]);
    expect((await store.allFlags()).map((f) => JSON.stringify(f)).sort()).toEqual(before);
  });

  it('keeps rejected records in the quarantine bucket with line and reason', async () => {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'ittmon-quarantine', Prefix: 'quarantine/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    const s3Log = keys.find((k) => k.includes('s3-access'))!;
    const text = await (await s3.client.send(new GetObjectCommand({ Bucket: 'ittmon-quarantine', Key: s3Log }))).Body!.transformToString();
    expect(JSON.parse(text.trim())).toMatchObject({ line: 14, reason: 'S3 access log line has 7 fields; at least 17 expected', source: 's3-access' });
  });

  it('classifies an S3 object the catalog does not know by its own tags (GetObjectTagging)', async () => {
    await s3.bucket('nfu-aero-research');
    await s3.client.send(new PutObjectCommand({ Bucket: 'nfu-aero-research', Key: 'misc/loads-table.bin', Body: 'x' }));
    await s3.client.send(new PutObjectTaggingCommand({ Bucket: 'nfu-aero-research', Key: 'misc/loads-table.bin', Tagging: { TagSet: [{ Key: 'export-control', Value: 'ITAR-IV' }] } }));
    const line = 'a3c1 nfu-aero-research [22/Oct/2026:10:00:00 +0000] 10.20.40.3 arn:aws:iam::111122223333:user/mbianchi TAGREQ1 REST.GET.OBJECT misc/loads-table.bin "GET /misc/loads-table.bin HTTP/1.1" 200 - 1 1 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2';
    await s3.put('nfu-logs', 'AWSLogs/tagged/access.log', `${line}\n`);
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/tagged/access.log']), context())).batchItemFailures).toEqual([]);
    const flag = (await store.allFlags()).find((f) => f.day === '2026-10-22');
    expect(flag).toMatchObject({ dataset: 'hgv-cfd', actor: { key: 'p-009' }, events: [expect.objectContaining({ resource: 's3://nfu-aero-research/misc/loads-table.bin' })] });
  });

  it('a refused GetObjectTagging is counted in the object\'s result and logged, never taken for "no tags"', async () => {
    // GIVEN an ITAR-tagged object whose tags the role may not read, and one in a bucket outside dataBuckets
    for (const b of ['nfu-secret-research', 'nfu-other-research']) {
      await s3.bucket(b);
      await s3.client.send(new PutObjectCommand({ Bucket: b, Key: 'misc/loads-table.bin', Body: 'x' }));
      await s3.client.send(new PutObjectTaggingCommand({ Bucket: b, Key: 'misc/loads-table.bin', Tagging: { TagSet: [{ Key: 'export-control', Value: 'ITAR-IV' }] } }));
    }
    const line = (bucket: string, day: string, id: string) => `a3c1 ${bucket} [${day}/Oct/2026:10:00:00 +0000] 10.20.40.3 arn:aws:iam::111122223333:user/mbianchi ${id} REST.GET.OBJECT misc/loads-table.bin "GET /misc/loads-table.bin HTTP/1.1" 200 - 1 1 4 2 "-" "curl/8" - hostid SigV4 suite AuthHeader host TLSv1.2`;
    await s3.put('nfu-logs', 'AWSLogs/denied/access.log', `${line('nfu-secret-research', '24', 'DENY1')}\n${line('nfu-secret-research', '24', 'DENY2')}\n`);
    await s3.put('nfu-logs', 'AWSLogs/unlisted/access.log', `${line('nfu-other-research', '25', 'SKIP1')}\n`);
    // WHEN the ingest function reads the logs
    for (const key of ['AWSLogs/denied/access.log', 'AWSLogs/unlisted/access.log']) expect((await handlers.ingestObject(await notification('nfu-logs', [key]), context())).batchItemFailures).toEqual([]);
    // THEN the object's result says how many downloads were classified without their tags, and why
    expect(await store.objectCounts('s3://nfu-logs/AWSLogs/denied/access.log')).toEqual([expect.objectContaining({ records: 2, tagLookupsDenied: 2 })]);
    expect(await store.objectCounts('s3://nfu-logs/AWSLogs/unlisted/access.log')).toEqual([expect.objectContaining({ records: 1, tagLookupsSkipped: 1 })]);
    expect((await store.objectCounts('s3://nfu-logs/AWSLogs/tagged/access.log'))[0]).not.toHaveProperty('tagLookupsDenied');
    expect((await store.allFlags()).filter((f) => f.day === '2026-10-24' || f.day === '2026-10-25')).toEqual([]);
  });

  it('reads a log bucket of another account through the read role it assumes there, once per role', async () => {
    // GIVEN CloudTrail logs in acme-trail, which only the source account's read role may read
    await s3.bucket('acme-trail');
    const trail = readFileSync(join(repoRoot, 'examples/logs/cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'));
    await s3.put('acme-trail', 'AWSLogs/o-1/111122223333/CloudTrail/a.json', trail);
    await s3.put('acme-trail', 'AWSLogs/o-1/111122223333/CloudTrail/b.json', trail);
    const before = sts.calls.length;
    // WHEN the ingest function gets their notifications
    const res = await handlers.ingestObject(await notification('acme-trail', ['AWSLogs/o-1/111122223333/CloudTrail/a.json', 'AWSLogs/o-1/111122223333/CloudTrail/b.json']), context());
    // THEN both are read with the role's credentials, assumed once
    expect(res.batchItemFailures).toEqual([]);
    expect(sts.calls.slice(before)).toEqual([expect.objectContaining({ Action: 'AssumeRole', RoleArn: READ_ROLE, RoleSessionName: 'ittmon-ingest' })]);
    expect((await store.objectCounts('s3://acme-trail/AWSLogs/o-1/111122223333/CloudTrail/a.json'))[0]!.records).toBeGreaterThan(0);
  });

  it('a label learned in one log object classifies a download in a later one', async () => {
    const base = { RecordType: 6, Workload: 'SharePoint', ClientIP: '10.20.35.8', ObjectId: 'https://northfield.sharepoint.com/sites/Lab/Shared Documents/new-spec.docx', SourceFileName: 'new-spec.docx' };
    await s3.put('nfu-logs', 'AWSLogs/m365/batch-1.json', JSON.stringify([{ ...base, Id: 'lbl-1', CreationTime: '2026-10-23T08:00:00', Operation: 'FileSensitivityLabelApplied', UserId: 'alice.moreno@northfield.edu', SensitivityLabelEventData: { SensitivityLabelId: 'f3c2a1b0-7d6e-4f5a-9b8c-1d2e3f4a5b6c' } }]));
    await s3.put('nfu-logs', 'AWSLogs/m365/batch-2.json', JSON.stringify([{ ...base, Id: 'acc-1', CreationTime: '2026-10-23T09:00:00', Operation: 'FileDownloaded', UserId: 'reza.tehrani@northfield.edu' }]));
    for (const key of ['AWSLogs/m365/batch-1.json', 'AWSLogs/m365/batch-2.json']) expect((await handlers.ingestObject(await notification('nfu-logs', [key]), context())).batchItemFailures).toEqual([]);
    expect(await store.getLabels('https://NORTHFIELD.sharepoint.com/sites/Lab/Shared Documents/new-spec.docx')).toEqual({ tags: {}, labels: ['ITAR-Controlled'] });
    const flag = (await store.allFlags()).find((f) => f.day === '2026-10-23');
    expect(flag).toMatchObject({ dataset: 'hgv-cfd', actor: { key: 'p-007' }, reasons: expect.arrayContaining([expect.objectContaining({ code: 'DEEMED_EXPORT', country: 'IR' })]) });
  });

  it('processes an object larger than one invocation in resumable chunks, with the same flags', async () => {
    const big = readFileSync(join(repoRoot, 'examples/logs/s3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'), 'utf8').replace(/14\/Oct\/2026/g, '20/Oct/2026').replace(/EXAMPLE/g, 'CHUNKED');
    await s3.put('nfu-logs', 'AWSLogs/big/access.log', big);
    const sent = aws.calls.length;
    let remaining = 3; // the deadline comes after a few lines of each invocation
    const tight = { ...context(), getRemainingTimeInMillis: () => (remaining-- > 0 ? 900_000 : 1) } as Context;
    let res = await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/big/access.log']), tight);
    expect(res.batchItemFailures).toEqual([]);
    let chunks = 1;
    for (;;) {
      const continuation = aws.calls.slice(sent).filter((c) => c.target === 'AmazonSQS.SendMessage').at(chunks - 1);
      if (!continuation) break;
      expect(JSON.parse(String(continuation.body.MessageBody)).continuation.resume.bytes).toBeGreaterThan(0);
      remaining = 3;
      res = await handlers.ingestObject({ Records: [sqsRecord(String(continuation.body.MessageBody))] }, tight);
      expect(res.batchItemFailures).toEqual([]);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(3);
    const cli = await ittmon(['scan', '-', '--config', 'examples/ittmon.yaml', '--json'], { stdin: big });
    const expected = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as Flag).map(summary).sort();
    const stored = (await store.allFlags()).filter((f) => f.day === '2026-10-20').map(summary).sort();
    expect(stored).toEqual(expected);
  });
});

/** The example S3 access log moved to another day, with request ids of its own (so its flags are its own). */
const shiftedLog = (day: string, tag: string) => readFileSync(join(repoRoot, 'examples/logs/s3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'), 'utf8').replace(/14\/Oct\/2026/g, `${day}/Oct/2026`).replace(/EXAMPLE/g, tag);
const cliFlags = async (text: string) => (await ittmon(['scan', '-', '--config', 'examples/ittmon.yaml', '--json'], { stdin: text })).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Flag).map(summary).sort();
const storedOn = async (day: string) => (await store.allFlags()).filter((f) => f.day === day).map(summary).sort();
const callsSince = (n: number, target: string) => aws.calls.slice(n).filter((c) => c.target === target).map((c) => c.body);

describe('ingest-object at scale: compression, large objects, quarantine, deadlines', () => {
  it('a gzip object without a .gz suffix is never Range-resumed: when it does not fit, it goes whole to the large-object task, which stores the CLI\'s flags', async () => {
    const text = shiftedLog('24', 'GZNOEXT');
    await s3.put('nfu-logs', 'AWSLogs/gz-noext/access', gzipSync(text));
    const sent = aws.calls.length;
    let remaining = 3;
    const tight = { ...context(), getRemainingTimeInMillis: () => (remaining-- > 0 ? 900_000 : 1) } as Context;
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/gz-noext/access']), tight)).batchItemFailures).toEqual([]);
    expect(callsSince(sent, 'AmazonSQS.SendMessage')).toEqual([]); // no continuation with a decompressed offset
    const [started] = callsSince(sent, 'AWSStepFunctions.StartExecution');
    expect(started).toMatchObject({ stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:ittmon-large', name: expect.stringMatching(/^obj-[0-9a-f]{64}$/) });
    const input = JSON.parse(String(started!.input)) as { ref: import('#shared/ingest/index.ts').ObjectRef; why: string };
    expect(input.why).toMatch(/did not fit/);
    expect(await storedOn('2026-10-24')).toEqual([]); // nothing half-stored
    const result = await handlers.runTask(input.ref);
    expect(result.records).toBe(14);
    expect(await storedOn('2026-10-24')).toEqual(await cliFlags(text));
    // The notification redelivered after the task: nothing is read or stored again.
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/gz-noext/access']), tight)).batchItemFailures).toEqual([]);
  });

  it('a continuation for a compressed object (sent before this fix) is handed off, not sent as a byte Range', async () => {
    await s3.put('nfu-logs', 'AWSLogs/gz-old/access.log.gz', gzipSync(shiftedLog('25', 'GZOLD')));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'nfu-logs', Key: 'AWSLogs/gz-old/access.log.gz' }));
    const sent = aws.calls.length;
    const body = JSON.stringify({ continuation: { ref: { bucket: 'nfu-logs', key: 'AWSLogs/gz-old/access.log.gz', etag: head.ETag!.replace(/"/g, '') }, resume: { bytes: 2000, line: 5 } } });
    expect((await handlers.ingestObject({ Records: [sqsRecord(body)] }, context())).batchItemFailures).toEqual([]);
    expect(JSON.parse(String(callsSince(sent, 'AWSStepFunctions.StartExecution')[0]!.input)).why).toMatch(/cannot be resumed/);
  });

  it('a .gz object over the size limit for one invocation is handed off unread; one under it is read in one go', async () => {
    const lines = shiftedLog('26', 'GZBIG').trim().split('\n');
    const big = Array.from({ length: 8000 }, (_, i) => lines[i % lines.length]!.replace(/GZBIG/, randomUUID().replace(/-/g, ''))).join('\n');
    await s3.put('nfu-logs', 'AWSLogs/gz-big/access.log.gz', gzipSync(big));
    const small = shiftedLog('27', 'GZSMALL');
    await s3.put('nfu-logs', 'AWSLogs/gz-small/access.log.gz', gzipSync(small));
    const sent = aws.calls.length;
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/gz-big/access.log.gz', 'AWSLogs/gz-small/access.log.gz']), context())).batchItemFailures).toEqual([]);
    const handed = callsSince(sent, 'AWSStepFunctions.StartExecution').map((b) => JSON.parse(String(b.input)) as { ref: { key: string }; why: string });
    expect(handed.map((h) => h.ref.key)).toEqual(['AWSLogs/gz-big/access.log.gz']);
    expect(handed[0]!.why).toMatch(/over the 100000-byte limit/);
    expect(await storedOn('2026-10-26')).toEqual([]);
    expect(callsSince(sent, 'AmazonSQS.SendMessage')).toEqual([]);
    expect(await storedOn('2026-10-27')).toEqual(await cliFlags(small));
  });

  it('the large-object task runs as its container runs it (node main.mjs, the object in ITTMON_OBJECT) and stores the CLI\'s flags', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ingest-large-'));
    await build({ entryPoints: [join(repoRoot, 'functions/ingest-large/main.ts')], bundle: true, platform: 'node', target: 'node22', format: 'esm', outfile: join(out, 'main.mjs'), logLevel: 'error', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    const text = shiftedLog('30', 'TASKBUNDLE');
    await s3.put('nfu-logs', 'AWSLogs/task/access', gzipSync(text));
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'nfu-logs', Key: 'AWSLogs/task/access' }));
    const env = { ...process.env, ITTMON_GEO_DB: createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb') };
    const run = (object: string) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(out, 'main.mjs')], { env: { ...env, ITTMON_OBJECT: object }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect((await run(JSON.stringify({ bucket: 'nfu-logs', key: 'AWSLogs/task/access', etag: head.ETag!.replace(/"/g, '') }))).code).toBe(0);
    expect(await storedOn('2026-10-30')).toEqual(await cliFlags(text));
    const bad = await run('{"bucket":"nfu-logs"}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ITTMON_OBJECT must be the object as JSON/);
  });

  it('keeps rejected records with bounded memory: the first 1,000 in full, then counts by reason and samples', async () => {
    // A log line first, so that the junk after it is rejected line by line (a file of junk alone is one record).
    const junk = [shiftedLog('26', 'JUNK').split('\n')[0], ...Array.from({ length: 3_000 }, (_, i) => `#### not a log line ${i} ####`)].join('\n');
    await s3.put('nfu-logs', 'AWSLogs/junk/unknown.txt', junk);
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/junk/unknown.txt']), context())).batchItemFailures).toEqual([]);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'ittmon-quarantine', Prefix: 'quarantine/nfu-logs/AWSLogs/junk/' }));
    const text = await (await s3.client.send(new GetObjectCommand({ Bucket: 'ittmon-quarantine', Key: listed.Contents![0]!.Key! }))).Body!.transformToString();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1_001);
    expect(lines[999]).toMatchObject({ line: 1_001, reason: expect.stringMatching(/not a recognised log format/) });
    expect(lines[1_000]).toMatchObject({ omitted: 2_000, byReason: { [lines[0].reason]: 2_000 }, samples: [expect.objectContaining({ line: 1_002 }), expect.anything(), expect.anything()] });
    const [counts] = await store.objectCounts('s3://nfu-logs/AWSLogs/junk/unknown.txt');
    expect(counts).toMatchObject({ records: 3_001, rejected: 3_000 });
  });

  it('rejects an object in no known format once, as an unrecognised file with its size, not line by line', async () => {
    const junk = Array.from({ length: 3_000 }, (_, i) => `#### not a log line ${i} ####`).join('\n');
    await s3.put('nfu-logs', 'AWSLogs/junk/all-junk.txt', junk);
    expect((await handlers.ingestObject(await notification('nfu-logs', ['AWSLogs/junk/all-junk.txt']), context())).batchItemFailures).toEqual([]);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'ittmon-quarantine', Prefix: 'quarantine/nfu-logs/AWSLogs/junk/all-junk' }));
    const text = await (await s3.client.send(new GetObjectCommand({ Bucket: 'ittmon-quarantine', Key: listed.Contents![0]!.Key! }))).Body!.transformToString();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ line: 1, reason: expect.stringMatching(new RegExp(`^unrecognised file: ${Buffer.byteLength(junk)} bytes, 3,000 records and none in a known log format`)) })]);
    const [counts] = await store.objectCounts('s3://nfu-logs/AWSLogs/junk/all-junk.txt');
    expect(counts).toMatchObject({ records: 1, rejected: 1 });
  });

  it('gives each message of a batch its own deadline: a slow first object does not starve the next, and each keeps its reserve for saving', async () => {
    const lines = shiftedLog('28', 'SLOW').trim().split('\n');
    const slow = Array.from({ length: 300 }, (_, i) => lines[i % lines.length]!.replace(/SLOW/, `SLOW${i}`)).join('\n');
    await s3.put('nfu-logs', 'AWSLogs/deadline/slow.log', slow);
    await s3.put('nfu-logs', 'AWSLogs/deadline/quick.log', shiftedLog('29', 'QUICK'));
    // Simulated time: each look at the clock costs a second of a 200-second invocation; 60 s reserved per message.
    let remaining = 200_000;
    const ticking = { ...context(), getRemainingTimeInMillis: () => (remaining -= 1_000) } as Context;
    const sent = aws.calls.length;
    const event = await notification('nfu-logs', ['AWSLogs/deadline/slow.log', 'AWSLogs/deadline/quick.log']);
    expect((await handlers.ingestObject(event, ticking)).batchItemFailures).toEqual([]);
    const continuations = callsSince(sent, 'AmazonSQS.SendMessage').map((b) => JSON.parse(String(b.MessageBody)).continuation as { ref: { key: string }; resume?: { line: number } });
    // The slow object stopped within its half of the time left after the reserve (about 70 lines), not at the shared margin (140).
    expect(continuations.map((c) => c.ref.key)).toEqual(['AWSLogs/deadline/slow.log']);
    expect(continuations[0]!.resume!.line).toBeLessThan(75);
    expect(await storedOn('2026-10-29')).toEqual(await cliFlags(shiftedLog('29', 'QUICK')));
    expect(remaining).toBeGreaterThan(0);
  });
});

describe('ingest-stream (CloudWatch Logs subscription)', () => {
  it('stores flags from CloudTrail events sent through CloudWatch Logs; a control message is a no-op', async () => {
    const trail = JSON.parse(readFileSync(join(repoRoot, 'examples/logs/cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'), 'utf8')).Records as { eventTime: string }[];
    const shifted = trail.map((r) => JSON.parse(JSON.stringify(r).replace(/2026-10-15/g, '2026-10-21').replace(/"eventID":"([^"]+)"/, '"eventID":"$1-cwl"')));
    const payload = { messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: 'aws-cloudtrail-logs-nfu', logStream: '111122223333_CloudTrail_us-east-1', subscriptionFilters: ['ittmon'], logEvents: shifted.map((r, i) => ({ id: String(i), timestamp: Date.parse(r.eventTime), message: JSON.stringify(r) })) };
    await handlers.ingestStream({ awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } });
    const flags = (await store.allFlags()).filter((f) => f.day === '2026-10-21');
    expect(flags.map((f) => `${f.dataset} ${f.actor.key}`).sort()).toEqual(['hgv-cfd p-003', 'hgv-cfd p-008', 'rad-hard-asic p-002']);
    const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.' }] };
    await expect(handlers.ingestStream({ awslogs: { data: gzipSync(JSON.stringify(control)).toString('base64') } })).resolves.toBeUndefined();
  });
});

describe('publish (DynamoDB stream → EventBridge)', () => {
  it('announces a new flag and a decision, names no one, and fails a broken record alone', async () => {
    const [flag] = await store.allFlags();
    const item = (f: object) => marshall({ pk: `FLAG#${(f as Flag).id}`, sk: 'FLAG', type: 'flag', ...f }, { removeUndefinedValues: true }) as never;
    const record = (newImage: unknown, oldImage?: unknown, seq = '1') => ({ eventID: seq, eventName: oldImage ? 'MODIFY' : 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: seq, NewImage: newImage, ...(oldImage ? { OldImage: oldImage } : {}) } });
    const evidence = marshall({ pk: 'FLAG#x', sk: 'SRC#a#b', type: 'evidence' }) as never;
    const broken = marshall({ pk: 'FLAG#y', sk: 'FLAG', type: 'flag', id: 'y' }) as never;
    const sent = aws.calls.length;
    const res = await handlers.publish({ Records: [record(item(flag!), undefined, '1'), record(evidence, undefined, '2'), record(broken, undefined, '3'), record(item({ ...flag!, status: 'closed', version: 1 }), item(flag!), '4')] } as never, context());
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: '3' }]);
    const puts = aws.calls.slice(sent).filter((c) => c.target === 'AWSEvents.PutEvents').flatMap((c) => c.body.Entries as { DetailType: string; Detail: string; EventBusName: string }[]);
    expect(puts.map((p) => p.DetailType)).toEqual(['Export Review Flag Raised', 'Export Review Flag Decided']);
    expect(puts[0]!.EventBusName).toBe('ittmon-flags');
    const detail = JSON.parse(puts[0]!.Detail);
    expect(detail).toMatchObject({ flagId: flag!.id, link: `https://review.example.edu/flags/${flag!.id}` });
    for (const p of puts) expect(p.Detail).not.toMatch(/Li Wei|Petrova|Tehrani|citizen|github:|arn:aws/);
  });

  it('counts an audit entry changed or deleted after it was written (AuditChanged), but not its expiry by TTL', async () => {
    // GIVEN a container publishing its metrics (as EMF on stdout)
    const before = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.map(String).join(' ')); });
    try {
      vi.resetModules();
      const publish = (await import('../../functions/publish/handler.ts')).handler as unknown as typeof handlers.publish;
      const audit = (sk: string, note: string) => marshall({ pk: 'AUDIT#f-1', sk, type: 'audit', flagId: 'f-1', note }) as never;
      const keys = (sk: string) => marshall({ pk: 'AUDIT#f-1', sk }) as never;
      const rec = (eventName: string, sk: string, images: object, userIdentity?: object) => ({ eventID: `${eventName}-${sk}`, eventName, eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: '1', Keys: keys(sk), ...images }, ...(userIdentity ? { userIdentity } : {}) });
      const emitted = async (...records: object[]) => {
        out.length = 0;
        expect((await publish({ Records: records } as never, context())).batchItemFailures).toEqual([]);
        return out.filter((l) => l.includes('"AuditChanged"')).map((l) => JSON.parse(l).AuditChanged as number | number[]).flat().reduce((a, b) => a + b, 0);
      };
      // WHEN entries are appended, or expire by TTL, THEN nothing is counted
      expect(await emitted(rec('INSERT', 'AUDIT#00000001', { NewImage: audit('AUDIT#00000001', 'first') }), rec('REMOVE', 'AUDIT#00000002', { OldImage: audit('AUDIT#00000002', 'old') }, { type: 'Service', principalId: 'dynamodb.amazonaws.com' }))).toBe(0);
      // WHEN one is overwritten and another deleted by someone, THEN both are counted
      expect(await emitted(rec('MODIFY', 'AUDIT#00000001', { NewImage: audit('AUDIT#00000001', 'rewritten'), OldImage: audit('AUDIT#00000001', 'first') }), rec('REMOVE', 'AUDIT#00000003', { OldImage: audit('AUDIT#00000003', 'gone') }))).toBe(2);
    } finally {
      spy.mockRestore();
      if (before === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED; else process.env.POWERTOOLS_METRICS_DISABLED = before;
    }
  });
});

describe('publish at scale', () => {
  it('each event carries the flag\'s revision, higher for every later change; in-flight bookkeeping writes announce nothing', async () => {
    const [flag] = await store.allFlags();
    const item = (f: object, extra: object = {}) => marshall({ pk: `FLAG#${(f as Flag).id}`, sk: 'FLAG', type: 'flag', ...f, ...extra }, { removeUndefinedValues: true }) as never;
    const record = (newImage: unknown, oldImage: unknown, seq: string) => ({ eventID: seq, eventName: oldImage ? 'MODIFY' : 'INSERT', eventSource: 'aws:dynamodb', dynamodb: { SequenceNumber: seq, NewImage: newImage, ...(oldImage ? { OldImage: oldImage } : {}) } });
    const raised = { ...flag!, rev: 1, version: 0 };
    const updated = { ...raised, rev: 2, severity: 'critical' as const, reasons: [...raised.reasons, { code: 'EMBARGOED_DESTINATION', country: 'IR', severity: 'critical' as const, explanation: 'x' }] };
    const decided = { ...updated, version: 1, status: 'in_review' as const };
    const sent = aws.calls.length;
    const res = await handlers.publish({ Records: [
      record(item(raised), undefined, '11'), record(item(updated), item(raised), '12'),
      record(item(updated, { bookkeeping: true }), item(updated), '13'), record(item(decided), item(updated, { bookkeeping: true }), '14'),
    ] } as never, context());
    expect(res.batchItemFailures).toEqual([]);
    const puts = callsSince(sent, 'AWSEvents.PutEvents').flatMap((c) => c.Entries as { DetailType: string; Detail: string }[]);
    expect(puts.map((p) => [p.DetailType, JSON.parse(p.Detail).revision])).toEqual([['Export Review Flag Raised', 1], ['Export Review Flag Updated', 2], ['Export Review Flag Decided', 3]]);
  });
});

describe('review-api (API Gateway HTTP API; sign-in at the user pool)', () => {
  const apiEvent = (path: string, token?: string, query = '') => ({
    version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: query, headers: { host: 'api.example.com', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    requestContext: { accountId: '1', apiId: 'a', domainName: 'api.example.com', domainPrefix: 'api', http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' }, requestId: 'r', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0 },
    isBase64Encoded: false,
  });
  it('serves the queue to a script with a scoped access token and 401 to anyone else', async () => {
    const ok = await handlers.review(apiEvent('/api/flags', await idp.accessToken('vera', API_SCOPES)), context());
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).items.length).toBeGreaterThan(5);
    expect((await handlers.review(apiEvent('/api/flags'), context())).statusCode).toBe(401);
  });
  it('sends a browser to the managed login: authorization code with PKCE, back to the API\'s own callback', async () => {
    type Reply = { statusCode: number; headers: Record<string, string>; cookies?: string[] };
    const page = await handlers.review(apiEvent('/'), context()) as Reply;
    expect([page.statusCode, page.headers.location]).toEqual([302, '/login?next=%2F']);
    const login = await handlers.review(apiEvent('/login', undefined, 'next=%2F'), context()) as Reply;
    const to = new URL(login.headers.location!);
    expect([login.statusCode, `${to.origin}${to.pathname}`]).toEqual([302, `${idp.issuer}/auth`]);
    expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'code_challenge_method', 'scope'].map((k) => [k, to.searchParams.get(k)])))
      .toEqual({ response_type: 'code', client_id: 'review-client', redirect_uri: 'https://review.example.edu/auth/callback', code_challenge_method: 'S256', scope: 'openid email profile' });
    expect(login.cookies?.join(';') ?? login.headers['set-cookie']).toMatch(/__Host-ittmon-login=.*HttpOnly.*Secure.*SameSite=Lax/);
  });
  it('starts cold with no geo-IP database beside it, as its bundle has none (geoip unset)', async () => {
    // GIVEN a fresh container whose ITTMON_GEO_DB names no file (the ingest bundles copy geo.mmdb; this one does not)
    const before = process.env.ITTMON_GEO_DB;
    process.env.ITTMON_GEO_DB = '/var/task/geo.mmdb-not-in-this-bundle';
    try {
      vi.resetModules();
      const fresh = (await import('../../functions/review-api/handler.ts')).handler as unknown as typeof handlers.review;
      // WHEN the first request arrives THEN it is served
      expect((await fresh(apiEvent('/api/flags', await idp.accessToken('vera', API_SCOPES)), context())).statusCode).toBe(200);
    } finally {
      if (before === undefined) delete process.env.ITTMON_GEO_DB; else process.env.ITTMON_GEO_DB = before;
    }
  });
  it('asks the provider for its discovery document while the secret is read, and fetches its keys before the first token', async () => {
    // GIVEN a fresh container whose Secrets Manager answers only after the provider was asked for its discovery document
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    });
    let discoveryBeforeSecret = false;
    secretGate = () => vi.waitFor(() => expect(fetched.some((u) => u.endsWith('/.well-known/openid-configuration'))).toBe(true), { timeout: 5_000, interval: 10 })
      .then(() => { discoveryBeforeSecret = true; }, () => undefined); // after 5 s the secret comes anyway, and the test fails below
    try {
      vi.resetModules();
      const fresh = (await import('../../functions/review-api/handler.ts')).handler as unknown as typeof handlers.review;
      // WHEN a browser without a session arrives (no token to verify)
      const reply = await fresh(apiEvent('/'), context()) as { statusCode: number };
      // THEN it is sent to sign in, discovery did not wait for the secret, and the signing keys were fetched all the same
      expect(reply.statusCode).toBe(302);
      expect(discoveryBeforeSecret, 'the provider\'s discovery waited for the secret').toBe(true);
      const jwks = (await (await realFetch(`${idp.issuer}/.well-known/openid-configuration`)).json() as { jwks_uri: string }).jwks_uri;
      await vi.waitFor(() => expect(fetched).toContain(jwks), { timeout: 5_000, interval: 10 });
    } finally {
      secretGate = undefined;
      spy.mockRestore();
    }
  }, 30_000);
  it('took its signing secret from Secrets Manager', () => {
    expect(new Set(aws.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').map((c) => c.body.SecretId))).toEqual(new Set(['arn:aws:secretsmanager:us-east-1:1:secret:x']));
  });
});

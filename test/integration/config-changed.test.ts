import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { policyVersion } from '#shared/diff/index.ts';
import { ingestObject, memoryReader } from '#shared/ingest/index.ts';
import { loadPolicy } from '#shared/config/index.ts';
import { clone, geoDatabase } from '../unit/lookback-helpers.ts';
import { resetRuntime } from '#shared/aws/runtime.ts';
import { startLocalStore } from '#shared/store/local.ts';
import type { Reevaluate, ReplaySource } from '#shared/aws/config-change.ts';
import { repoRoot } from '#test/helpers.ts';
import { sfnLoopback } from '#test/aws/sfn-loopback.ts';
import { versionedS3 } from '#test/aws/versioned-s3.ts';
import { s3Loopback } from './aws.ts';

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Replay';
const SOURCES: ReplaySource[] = [
  { bucket: 'trail-logs', prefix: 'AWSLogs/', sources: ['cloudtrail'] },
  { bucket: 'collected-logs', prefix: 'collected/m365/', sources: ['m365'] },
  { bucket: 'collected-logs', prefix: 'collected/github/', sources: ['github'] },
  { bucket: 'mixed-logs', prefix: '', sources: null },
];
const example = (f: string) => readFileSync(join(repoRoot, 'examples', f), 'utf8');

/**
 * functions/config-changed against loopback S3 (s3rver behind a versioning layer), DynamoDB
 * (dynalite) and Step Functions; only the re-evaluation of stored flags is a fake.
 */
describe('config-changed: a new config version is diffed, re-evaluated, recorded and looked back over', () => {
  let s3: Awaited<ReturnType<typeof s3Loopback>>;
  let versioned: Awaited<ReturnType<typeof versionedS3>>;
  let dynamo: Awaited<ReturnType<typeof startLocalStore>>;
  let sfn: Awaited<ReturnType<typeof sfnLoopback>>;
  let put: (key: string, body: string) => Promise<string>;
  const calls: Parameters<Reevaluate>[1][] = [];
  const fake: Reevaluate = async (_store, opts) => { calls.push(opts); };
  let handler: (e: any) => Promise<any>;
  const saved = { ...process.env };

  beforeAll(async () => {
    s3 = await s3Loopback();
    versioned = await versionedS3(s3.endpoint);
    dynamo = await startLocalStore();
    sfn = await sfnLoopback({ stateMachines: [SM] });
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: versioned.endpoint, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      ITTMON_S3_PATH_STYLE: 'true', AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED', AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      CONFIG_BUCKET: 'config', TABLE_NAME: 'ittmon', REPLAY_STATE_MACHINE_ARN: SM, LOOK_BACK_DAYS: '180', REPLAY_SOURCES: JSON.stringify(SOURCES),
    });
    const { S3Client, PutObjectCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: versioned.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await client.send(new CreateBucketCommand({ Bucket: 'config' }));
    put = async (key, body) => (await client.send(new PutObjectCommand({ Bucket: 'config', Key: key, Body: body }))).VersionId!;
    for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await put(f, example(f));
    handler = (await import('../../functions/config-changed/handler.ts')).createHandler(fake);
  });
  afterAll(async () => {
    process.env = saved;
    resetRuntime();
    await sfn?.close(); await dynamo?.close(); await versioned?.close(); await s3?.close();
  });
  beforeEach(() => { calls.length = 0; process.env.LOOK_BACK_DAYS = '180'; resetRuntime(); });

  const event = (key: string, versionId: string | undefined, time = new Date().toISOString()) => ({
    version: '0', id: 'e1', 'detail-type': 'Object Created', source: 'aws.s3', account: '123456789012', time, region: 'us-east-1', resources: ['arn:aws:s3:::config'],
    detail: { version: '0', bucket: { name: 'config' }, object: { key, size: 1, etag: 'x', ...(versionId ? { 'version-id': versionId } : {}), sequencer: '1' }, 'request-id': 'r', requester: '123456789012', reason: 'PutObject' },
  });
  const started = (from: number) => sfn.calls.slice(from).filter((c) => c.target === 'AWSStepFunctions.StartExecution').map((c) => ({ name: c.body.name as string, input: JSON.parse(c.body.input) }));
  const records = async () => (await dynamo.client.send(new QueryCommand({ TableName: 'ittmon', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'POLICY' } } }))).Items!.map((i) => unmarshall(i));

  it('a person\'s citizenship changes (people.csv): flags re-evaluated under the new directory, every log prefix looked back over for 180 days', async () => {
    const from = sfn.calls.length;
    const v2 = await put('people.csv', example('people.csv').replace(',github:jwhitfield,GB,', ',github:jwhitfield,GB;IR,'));
    const time = '2026-11-29T12:00:00Z';
    const r = await handler(event('people.csv', v2, time));
    expect(r).toMatchObject({ outcome: 'recorded', diff: { touches: { people: ['p-004'] } } });
    expect(r.previous).not.toBe(r.policyVersion);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.policyVersion).toBe(r.policyVersion);
    expect(calls[0]!.geoDatabase).toBeInstanceOf(Buffer); // the bundled database: stored IPs are placed again
    expect(calls[0]!.config.people.find((p) => p.id === 'p-004')!.citizenships).toEqual(['GB', 'IR']);
    const runs = started(from);
    expect(runs.map((x) => `${x.input.bucket}/${x.input.prefix}`)).toEqual(['trail-logs/AWSLogs/', 'collected-logs/collected/m365/', 'collected-logs/collected/github/', 'mixed-logs/']);
    expect(runs[0]!.input).toEqual({ bucket: 'trail-logs', prefix: 'AWSLogs/', since: '2026-06-02T12:00:00.000Z', until: '2026-11-29T12:00:00.000Z', lookBack: { policyVersion: r.policyVersion }, startedBy: 'config-change' });
    const record = (await records()).find((x) => x.policyVersion === r.policyVersion)!;
    expect(record).toMatchObject({ changed: 'people.csv', previous: r.previous, objects: { 'people.csv': v2 }, touches: { people: ['p-004'] } });
    expect(record.replays).toHaveLength(4);
  });

  it('a dataset reclassified: only the prefixes that can hold its sources (its paths are s3:// and github://)', async () => {
    const from = sfn.calls.length;
    const v = await put('ittmon.yaml', example('ittmon.yaml').replace('classification: EAR99', 'classification: 9E991'));
    const r = await handler(event('ittmon.yaml', v));
    expect(r.diff.touches).toMatchObject({ datasets: ['lab-ops'], sources: ['s3-access', 'cloudtrail', 'github'] });
    expect(started(from).map((x) => `${x.input.bucket}/${x.input.prefix}`)).toEqual(['trail-logs/AWSLogs/', 'collected-logs/collected/github/', 'mixed-logs/']);
    expect(calls).toHaveLength(1);
  });

  it('the same event twice: the same executions, one record, no error', async () => {
    const v = await put('ittmon.yaml', example('ittmon.yaml').replace('expires: 2027-12-31', 'expires: 2026-06-30'));
    const e = event('ittmon.yaml', v, '2026-11-29T12:30:00Z');
    const first = await handler(e);
    expect(first.replays).toHaveLength(4);
    // Finished meanwhile: Step Functions now refuses the name (ExecutionAlreadyExists), which means it ran.
    for (const arn of first.replays) sfn.executions.get(arn)!.status = 'SUCCEEDED';
    const second = await handler(e);
    expect(second.replays).toEqual(first.replays);
    expect((await records()).filter((x) => x.policyVersion === first.policyVersion)).toHaveLength(1);
  });

  it('lookBack.days 0: re-evaluated and recorded, nothing replayed', async () => {
    process.env.LOOK_BACK_DAYS = '0';
    const from = sfn.calls.length;
    const v = await put('ittmon.yaml', example('ittmon.yaml').replace('classification: 3E001', 'classification: 5E991'));
    const r = await handler(event('ittmon.yaml', v));
    expect(r).toMatchObject({ outcome: 'recorded', replays: [] });
    expect(calls).toHaveLength(1);
    expect(started(from)).toEqual([]);
  });

  it('a change that decides nothing (a dataset retitled): re-evaluated, no look-back', async () => {
    const from = sfn.calls.length;
    // As the version before (5E991), retitled.
    const v = await put('ittmon.yaml', example('ittmon.yaml').replace('classification: 3E001', 'classification: 5E991').replace('name: Lab operating procedures and test manuals', 'name: Lab procedures'));
    const r = await handler(event('ittmon.yaml', v));
    expect(r.diff.datasets).toEqual([{ id: 'lab-ops', change: 'changed', fields: [expect.objectContaining({ field: 'name' })] }]);
    expect(r.replays).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(started(from)).toEqual([]);
  });

  it('an object that is not part of the policy, and an invalid new config: nothing re-evaluated or replayed', async () => {
    const from = sfn.calls.length;
    const notes = await put('README.txt', 'notes');
    expect(await handler(event('README.txt', notes))).toEqual({ outcome: 'not-policy', key: 'README.txt' });
    const bad = await put('ittmon.yaml', example('ittmon.yaml').replace('jurisdiction: EAR\n', 'jurisdiction: NOPE\n'));
    const r = await handler(event('ittmon.yaml', bad));
    expect(r.outcome).toBe('invalid');
    expect(r.problems).toContain('jurisdiction');
    expect(calls).toEqual([]);
    expect(started(from)).toEqual([]);
    await put('ittmon.yaml', example('ittmon.yaml')); // valid again for the next test
  });

  it('the first version of a file (nothing before it): recorded and re-evaluated, no diff, no look-back', async () => {
    const from = sfn.calls.length;
    const v = await put('extra-people.csv', 'x');
    expect((await handler(event('extra-people.csv', v))).outcome).toBe('not-policy');
    const yaml = example('ittmon.yaml').replace('directory: people.csv', 'directory: staff.csv');
    await put('staff.csv', example('people.csv'));
    const v2 = await put('ittmon.yaml', yaml);
    const staff = versioned.versionsOf('config', 'staff.csv')[0]!;
    const r = await handler(event('staff.csv', staff));
    expect(r).toMatchObject({ outcome: 'recorded', replays: [] });
    expect(r.diff).toBeUndefined();
    expect(v2).toBeTruthy();
    expect(started(from)).toEqual([]);
  });

  it('with the real re-evaluation: a person now a US person has their undecided flag superseded by the policy version the laptop would name', async () => {
    // A flag stored live: p-003 (praman, IN) cloned the ITAR solver.
    const files: Record<string, string> = { 'ittmon.yaml': example('ittmon.yaml'), 'people.csv': example('people.csv'), 'catalog.csv': example('catalog.csv') };
    for (const [k, v] of Object.entries(files)) await put(k, v);
    const before = await loadPolicy('ittmon.yaml', async (path) => files[path]!);
    await ingestObject({
      policy: before, geoDatabase, store: dynamo.store, reader: memoryReader(Buffer.from(`${clone('cc-praman', 'praman', 'hgv-solver', '10.20.31.8', '2026-10-14T10:00:00Z')}\n`)),
      quarantine: { put: async () => {} }, publisher: { publish: async () => {} }, linkBase: 'https://review.example',
    }, { bucket: 'nfu-logs', key: 'github/cc.jsonl', etag: 'cc' });
    const flag = (await dynamo.store.allFlags()).find((f) => f.actor.key === 'p-003' && f.reasons.some((r) => r.code === 'DEEMED_EXPORT'))!;
    expect(flag.status).toBe('open');

    process.env.LOOK_BACK_DAYS = '0';
    files['people.csv'] = files['people.csv']!.split('\n').map((l) => (l.startsWith('p-003,') ? l.replace(',IN,,,', ',IN,,true,') : l)).join('\n');
    const real = (await import('../../functions/config-changed/handler.ts')).handler;
    const v = await put('people.csv', files['people.csv']!);
    const r = await real(event('people.csv', v) as Parameters<typeof real>[0]);
    if (r.outcome !== 'recorded') throw new Error(`not recorded: ${r.outcome}`);
    const after = await loadPolicy('ittmon.yaml', async (path) => files[path]!);
    expect(after.people.find((p) => p.id === 'p-003')!.usPerson).toBe(true); // the edit is what the test means
    expect(r.policyVersion).toBe(policyVersion(after)); // one name for one policy, on the laptop and in AWS
    const now = (await dynamo.store.allFlags()).find((f) => f.id === flag.id)!;
    expect(now.status).toBe('superseded');
    expect((await dynamo.store.auditTrail(flag.id)).at(-1)).toMatchObject({ who: 'system', justification: expect.stringContaining(`superseded by policy version ${r.policyVersion}`) });
  });
});

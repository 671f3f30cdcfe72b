import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startLocalStore, type LocalStore } from '#shared/store/local.ts';
import { resetRuntime } from '#shared/aws/runtime.ts';
import { DynamoFlagStore } from '#shared/store/index.ts';
import { repoRoot } from '#test/helpers.ts';
import { jsonService, s3Loopback, useLoopbackEnv } from '../aws.ts';
import { BoxApi, times } from './apis.ts';

const TABLE = `ittmon-${randomUUID().slice(0, 8)}`;
const BUCKET = 'ittmon-collected';
let s3: Awaited<ReturnType<typeof s3Loopback>>;
let dynamo: LocalStore;
let secrets: Awaited<ReturnType<typeof jsonService>>;
let box: BoxApi;
let collectHandler: (e: unknown, c: Context) => Promise<{ records: number; pages: number; partial: boolean }>;
let streamHandler: (e: APIGatewayProxyEventV2) => Promise<{ statusCode: number; body: string }>;
let ingestHandler: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
const secretValues: Record<string, string> = {};

const context = (remainingMs = 900_000): Context => ({ getRemainingTimeInMillis: () => remainingMs, functionName: 'collect', awsRequestId: randomUUID() } as unknown as Context);

async function collectedKeys(prefix = 'collected/'): Promise<string[]> {
  const res = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}
const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

beforeAll(async () => {
  s3 = await s3Loopback();
  for (const b of [BUCKET, 'ittmon-config', 'ittmon-quarantine']) await s3.bucket(b);
  for (const f of ['ittmon.yaml', 'people.csv', 'catalog.csv']) await s3.put('ittmon-config', f, readFileSync(join(repoRoot, 'examples', f)));
  dynamo = await startLocalStore();
  await ensureTable(dynamo.client, TABLE);
  box = await new BoxApi('box-client', 'box-secret', '1234567').start();
  box.events = times(new Date(Date.now() - 3 * 3_600_000).toISOString(), 5, 10).map((t, i) => ({ type: 'event', event_id: `box-h${i}`, event_type: 'DOWNLOAD', created_at: t, ip_address: '128.101.1.1', created_by: { type: 'user', id: `110${i}`, name: `User ${i}`, login: `user${i}@northfield.edu` }, source: { item_type: 'file', item_id: `55${i}`, item_name: `HGV run ${i}.step`, parent: { type: 'folder', name: 'HGV', id: '77' } } }));
  secretValues['ittmon/box'] = JSON.stringify({ clientId: 'box-client', clientSecret: 'box-secret', enterpriseId: '1234567', apiUrl: box.url });
  secretValues['ittmon/gitlab-stream'] = 'stream-token-0123456789';
  secrets = await jsonService((target, body) => {
    if (target === 'secretsmanager.GetSecretValue') return { ARN: body.SecretId, Name: 'x', SecretString: secretValues[String(body.SecretId)] };
    if (target === 'AmazonSQS.SendMessage') return { MessageId: randomUUID() };
    return {};
  });
  useLoopbackEnv({ s3: s3.endpoint, dynamodb: dynamo.endpoint, json: secrets.endpoint }, {
    TABLE_NAME: TABLE, COLLECTED_BUCKET: BUCKET, COLLECTED_PREFIX: 'collected/',
    COLLECTOR_SOURCE: 'box', COLLECTOR_SECRET_NAME: 'ittmon/box',
    STREAM_TOKEN_SECRET_NAME: 'ittmon/gitlab-stream',
    CONFIG_BUCKET: 'ittmon-config', QUARANTINE_BUCKET: 'ittmon-quarantine', QUEUE_URL: `${secrets.endpoint}/111122223333/ittmon-ingest`, REVIEW_URL: 'https://review.example.edu',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  });
  resetRuntime();
  collectHandler = (await import('../../../functions/collect/handler.ts')).handler as never;
  streamHandler = (await import('../../../functions/gitlab-stream/handler.ts')).handler as never;
  ingestHandler = (await import('../../../functions/ingest-object/handler.ts')).handler as never;
}, 60_000);

afterAll(async () => {
  await s3?.close();
  await dynamo?.close();
  await secrets?.close();
  await box?.stop();
});

describe('the collect function (scheduled)', () => {
  it('stores pages under collected/box/ and its checkpoint item; the ingest function reads every record from them', async () => {
    const first = await collectHandler({}, context());
    expect(first.records).toBe(5);
    const keys = await collectedKeys('collected/box/');
    expect(keys.length).toBe(first.pages);
    const item = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'COLLECTOR#box' }, sk: { S: 'CHECKPOINT' } } }));
    expect(item.Item?.position?.S).toBe('5');
    // The normal ingest path takes the pages: S3 notifications of the collected objects.
    const records = await Promise.all(keys.map(async (key) => ({ messageId: randomUUID(), receiptHandle: 'r', attributes: {} as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:q', awsRegion: 'us-east-1', body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key, eTag: 'e', size: (await text(key)).length } } }] }) })));
    const res = await ingestHandler({ Records: records }, context());
    expect(res.batchItemFailures).toEqual([]);
    // Every record collected is accounted for by the ingest, and the downloads of HGV files raise flags.
    const counted = await new DynamoFlagStore(dynamo.client, TABLE).allObjectCounts();
    expect(counted.reduce((n, c) => n + c.records, 0)).toBe(5);
    expect(counted.reduce((n, c) => n + c.events, 0)).toBe(5);
    const flags = await new DynamoFlagStore(dynamo.client, TABLE).allFlags();
    expect(flags.filter((f) => f.dataset === 'hgv-cfd').reduce((n, f) => n + f.eventCount, 0)).toBe(5);
  });

  it('a second run stores nothing new and keeps the checkpoint; new events are picked up from it', async () => {
    const before = await collectedKeys('collected/box/');
    const again = await collectHandler({}, context());
    expect(again.records).toBe(0);
    expect(await collectedKeys('collected/box/')).toEqual(before);
    box.events.push({ ...box.events[0]!, event_id: 'box-new', created_at: new Date().toISOString() });
    const third = await collectHandler({}, context());
    expect(third.records).toBe(1);
  });

  it('stops at its deadline and resumes from the checkpoint', async () => {
    box.events.push(...[1, 2, 3, 4].map((i) => ({ ...box.events[0]!, event_id: `box-late-${i}`, created_at: new Date().toISOString() })));
    const partial = await collectHandler({}, context(60_000)); // no time beyond the margin: one page, then stop
    expect(partial.partial).toBe(true);
    expect(partial.records).toBe(2);
    const rest = await collectHandler({}, context());
    expect(rest.records).toBe(2);
  });

  it('a revoked credential fails the run with a message naming what to grant, and keeps the checkpoint', async () => {
    box.revoke();
    await expect(collectHandler({}, context())).rejects.toThrow(/refused the credential.*revoked/s);
    const item = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'COLLECTOR#box' }, sk: { S: 'CHECKPOINT' } } }));
    expect(item.Item?.position?.S).toBe(String(box.events.length));
    box.revoked = false;
  });
});

describe('the GitLab stream receiver', () => {
  const streamed = { id: 9001, author_id: 12, author_name: 'lwei', entity_id: 7, entity_type: 'Project', entity_path: 'acme/hgv-solver', event_type: 'repository_git_operation', details: { author_name: 'lwei', author_class: 'User', custom_message: { protocol: 'http', action: 'git-upload-pack' }, ip_address: '202.96.0.1', entity_path: 'acme/hgv-solver' }, ip_address: '202.96.0.1', created_at: '2026-11-20T10:00:00.000Z' };
  const request = (headers: Record<string, string>, body: string): APIGatewayProxyEventV2 => ({ version: '2.0', routeKey: 'POST /collect/gitlab', rawPath: '/collect/gitlab', rawQueryString: '', headers, body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/collect/gitlab', sourceIp: '34.74.90.64', protocol: 'HTTP/1.1', userAgent: 'GitLab' } } as never });

  it('refuses a request without the verification token, or with a wrong one', async () => {
    expect((await streamHandler(request({}, JSON.stringify(streamed)))).statusCode).toBe(401);
    expect((await streamHandler(request({ 'x-gitlab-event-streaming-token': 'stream-token-012345678X' }, JSON.stringify(streamed)))).statusCode).toBe(401);
    expect(await collectedKeys('collected/gitlab-stream/')).toEqual([]);
  });

  it('stores a verified event unchanged under collected/gitlab-stream/ by its day', async () => {
    const body = JSON.stringify(streamed);
    expect((await streamHandler(request({ 'x-gitlab-event-streaming-token': 'stream-token-0123456789' }, body))).statusCode).toBe(200);
    const keys = await collectedKeys('collected/gitlab-stream/');
    expect(keys).toEqual([expect.stringMatching(/^collected\/gitlab-stream\/2026\/11\/20\/[0-9a-f]{32}\.json$/)]);
    expect(await text(keys[0]!)).toBe(body);
    // GitLab retries a delivery: the same event lands on the same object.
    await streamHandler(request({ 'x-gitlab-event-streaming-token': 'stream-token-0123456789' }, body));
    expect(await collectedKeys('collected/gitlab-stream/')).toEqual(keys);
  });

  it('answers 400 to a body that is not JSON and 413 to one too large, storing nothing', async () => {
    const before = await collectedKeys('collected/gitlab-stream/');
    const headers = { 'x-gitlab-event-streaming-token': 'stream-token-0123456789' };
    expect((await streamHandler(request(headers, 'not json'))).statusCode).toBe(400);
    expect((await streamHandler(request(headers, JSON.stringify({ pad: 'x'.repeat(300_000) })))).statusCode).toBe(413);
    expect(await collectedKeys('collected/gitlab-stream/')).toEqual(before);
  });
});

describe('replay of logs already read live (the look-back and backfill path)', () => {
  it('changes nothing: same flags, same counts, same evidence', async () => {
    await s3.bucket('nfu-logs');
    const keys = await s3.upload('nfu-logs', join(repoRoot, 'examples/logs'), 'AWSLogs/');
    const sqs = (body: unknown) => ({ messageId: randomUUID(), receiptHandle: 'r', attributes: {} as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:q', awsRegion: 'us-east-1', body: JSON.stringify(body) });
    const heads = await Promise.all(keys.map(async (key) => ({ key, head: await s3.client.send(new HeadObjectCommand({ Bucket: 'nfu-logs', Key: key })) })));
    const live = heads.map(({ key, head }) => sqs({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'nfu-logs' }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), eTag: head.ETag!.replace(/"/g, ''), size: head.ContentLength } } }] }));
    expect((await ingestHandler({ Records: live }, context())).batchItemFailures).toEqual([]);
    const store = new DynamoFlagStore(dynamo.client, TABLE);
    const snapshot = async () => (await store.allFlags()).filter((f) => f.events.some((e) => e.resource)).map((f) => `${f.id} ${f.severity} ${f.eventCount} ${f.bytes} ${f.reasons.map((r) => r.code).join(',')}`).sort();
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(10);
    // The items as the replay state machine sends them: the listing's Etag keeps its quotes, LastModified in epoch seconds.
    const replay = heads.map(({ key, head }) => sqs({ replay: { bucket: 'nfu-logs', key, etag: head.ETag, size: head.ContentLength, lastModified: Math.floor(head.LastModified!.getTime() / 1000), since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z', lookBack: null } }));
    expect((await ingestHandler({ Records: replay }, context())).batchItemFailures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackSettings } from '../../infra/settings.ts';
import { SOURCES_SETTINGS, synthesize } from '#test/aws/assembly.ts';
import { LocalDeployment } from '#test/aws/deployment.ts';
import { ACCOUNT, REGION } from '#test/aws/stack-model.ts';
import { evaluate, identityOf, type AccessRequest } from '#test/aws/iam.ts';
import { describePermissions } from '#test/policy/permissions.ts';
import { repoRoot } from '#test/helpers.ts';
import { BoxApi, times } from '../integration/collectors/apis.ts';

/**
 * The stack with log buckets it does not create (test/aws/stack.sources.test.yaml): a plain one and
 * an SSE-KMS one in this account, an SSE-KMS one in another account read through the role of that
 * account's stack; a Box collector and the GitLab stream receiver. Each function runs from its
 * bundle as in test/bundle/bundles.test.ts; then the policy tests evaluate what these runs did,
 * the read role's calls against the source account's synthesized template, and the key uses
 * against the key policies the sources' owners would write (deployment.ts trailKeyPolicy).
 */
const settings = loadStackSettings(SOURCES_SETTINGS);
const READ_ROLE = `arn:aws:iam::444455556666:role/ittmon-read-${settings.stackName}`;
const GITLAB_TOKEN = 'stream-token-0123456789';
let d: LocalDeployment;
let box: BoxApi;

beforeAll(async () => {
  d = await LocalDeployment.start(await synthesize({ settingsFile: SOURCES_SETTINGS }), settings);
  box = await new BoxApi('box-client', 'box-secret', '1234567').start();
  box.events = times(new Date(Date.now() - 3 * 3_600_000).toISOString(), 5, 10).map((t, i) => ({ type: 'event', event_id: `box-b${i}`, event_type: 'DOWNLOAD', created_at: t, ip_address: '128.101.1.1', created_by: { type: 'user', id: `110${i}`, name: `User ${i}`, login: `user${i}@northfield.edu` }, source: { item_type: 'file', item_id: `55${i}`, item_name: `HGV run ${i}.step`, parent: { type: 'folder', name: 'HGV', id: '77' } } }));
  // The secrets the settings name, by the names the template gives the functions.
  d.secret(settings.collectors[0]!.secretName, JSON.stringify({ clientId: 'box-client', clientSecret: 'box-secret', enterpriseId: '1234567', apiUrl: box.url }));
  d.secret(settings.gitlabStreamTokenSecret!, GITLAB_TOKEN);
}, 600_000);
afterAll(async () => {
  await box?.stop();
  await d?.close();
});

describe('ingest-object: log buckets the stack does not create', () => {
  const cases: [string, string, string][] = [
    ['a plain bucket of this account', 'nfu-s3-access-logs', 's3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'],
    ['an SSE-KMS bucket of this account', 'nfu-org-cloudtrail', 'cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'],
    ['an SSE-KMS bucket of another account, through its read role', 'acme-org-cloudtrail', 'cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json'],
  ];
  for (const [what, bucket, file] of cases) {
    it(`reads ${what} (${bucket}), notified as the stacks configure it`, async () => {
      const { prefix } = d.notifiedBucket(bucket === 'acme-org-cloudtrail' ? undefined : bucket);
      const key = `${bucket === 'acme-org-cloudtrail' ? 'AWSLogs/' : prefix}${file}`;
      await d.aws.s3.put(bucket, key, readFileSync(join(repoRoot, 'examples/logs', file)));
      const before = d.aws.recorder.calls.length;
      expect(await d.invoke('ingest-object', [await d.s3Event(bucket, [key])])).toEqual([{ batchItemFailures: [] }]);
      const counts = (await d.store.allObjectCounts()).find((c) => c.object.includes(bucket));
      expect(counts?.records).toBeGreaterThan(0);
      const reads = d.aws.recorder.calls.slice(before).filter((c) => c.service === 's3' && c.path.startsWith(`/${bucket}/`));
      expect(reads.length).toBeGreaterThan(0);
      // Another account's bucket is read only with the read role's session, never the function's own.
      expect(new Set(reads.map((c) => c.session ?? 'own'))).toEqual(new Set([bucket === 'acme-org-cloudtrail' ? `session-for:${READ_ROLE}` : 'own']));
    }, 120_000);
  }
  it('replaces the evidence of an object delivered again with other content (a new ETag)', async () => {
    const { prefix } = d.notifiedBucket('nfu-s3-access-logs');
    const key = `${prefix}${cases[0]![2]}`;
    const text = readFileSync(join(repoRoot, 'examples/logs', cases[0]![2]), 'utf8');
    await d.aws.s3.put('nfu-s3-access-logs', key, text.split('\n').slice(0, 3).join('\n'));
    expect(await d.invoke('ingest-object', [await d.s3Event('nfu-s3-access-logs', [key])])).toEqual([{ batchItemFailures: [] }]);
  }, 120_000);
  it('assumed the read role of the source account (sts:AssumeRole), once per execution environment', () => {
    const assumed = d.aws.recorder.calls.filter((c) => c.service === 'sts');
    expect(assumed.map((c) => c.body?.RoleArn)).toEqual([READ_ROLE]);
  });
});

describe('collect (EventBridge Scheduler → Lambda): Box', () => {
  it('stores the pages under collected/box/ and its checkpoint COLLECTOR#box, with its own secret; ingest reads them', async () => {
    const [result] = await d.invoke('collect', [{}]);
    expect(result).toMatchObject({ records: 5, partial: false });
    const bucket = d.function('collect').props.Environment.Variables.COLLECTED_BUCKET as string;
    const keys = ((await d.aws.s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'collected/box/' }))).Contents ?? []).map((o) => o.Key!);
    expect(keys.length).toBe(result.pages);
    const checkpoint = await d.aws.dynamo.client.send(new GetItemCommand({ TableName: d.stack.ofType('AWS::DynamoDB::Table')[0]!.ref, Key: { pk: { S: 'COLLECTOR#box' }, sk: { S: 'CHECKPOINT' } } }));
    expect(checkpoint.Item?.position?.S).toBe('5');
    expect(await d.invoke('ingest-object', [await d.s3Event(bucket, keys)])).toEqual([{ batchItemFailures: [] }]);
    const counted = (await d.store.allObjectCounts()).filter((c) => c.object.includes('collected/box/'));
    expect([counted.reduce((n, c) => n + c.records, 0), counted.reduce((n, c) => n + c.events, 0)]).toEqual([5, 5]);
  }, 120_000);
});

describe('gitlab-stream (API Gateway POST /collect/gitlab → Lambda)', () => {
  const event = (token: string | undefined, body: unknown) => {
    const api = d.stack.ofType('AWS::ApiGatewayV2::Api')[0]!;
    const host = new URL(api.attrs.ApiEndpoint!).host;
    return {
      version: '2.0', routeKey: 'POST /collect/gitlab', rawPath: '/collect/gitlab', rawQueryString: '',
      headers: { host, 'content-type': 'application/json', 'user-agent': 'GitLab/18.5', ...(token ? { 'x-gitlab-event-streaming-token': token } : {}) },
      requestContext: { accountId: ACCOUNT, apiId: api.ref, domainName: host, domainPrefix: api.ref, http: { method: 'POST', path: '/collect/gitlab', protocol: 'HTTP/1.1', sourceIp: '34.74.90.64', userAgent: 'GitLab/18.5' }, requestId: randomUUID(), routeKey: 'POST /collect/gitlab', stage: '$default', time: '29/Nov/2026:09:00:00 +0000', timeEpoch: 1795942800000 },
      body: JSON.stringify(body), isBase64Encoded: false,
    };
  };
  it('stores an event that carries the destination\'s verification token under collected/gitlab-stream/, and refuses one without', async () => {
    const audit = { id: 'e1', author_id: 7, entity_id: 12, entity_type: 'Project', event_type: 'repository_git_operation', created_at: '2026-11-29T08:59:00.000Z', details: { author_name: 'M Bianchi', target_details: 'nfu/hgv-cfd', custom_message: 'git clone' } };
    const [stored, refused] = await d.invoke('gitlab-stream', [event(GITLAB_TOKEN, audit), event(undefined, audit)]);
    expect([stored.statusCode, refused.statusCode]).toEqual([200, 401]);
    const bucket = d.function('gitlab-stream').props.Environment.Variables.COLLECTED_BUCKET as string;
    const listed = await d.aws.s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'collected/gitlab-stream/' }));
    expect(listed.Contents?.length).toBe(1);
  }, 60_000);
});

describe('the grants are exactly these: second cases, by iam-simulate', () => {
  it('a collector may not write another collector\'s checkpoint; the ingest role may not read the other account\'s bucket itself; the read role decrypts only through S3', async () => {
    const as = (fn: string) => { const { fn: f, sessionArn } = identityOf(d.stack, d.function(fn as never).id); return { who: f.id, principal: sessionArn, because: 'second case' }; };
    const table = d.stack.ofType('AWS::DynamoDB::Table')[0]!.arn!;
    const allowed = async (r: Omit<AccessRequest, 'who' | 'principal' | 'because'>, by: { who: string; principal: string; because: string }) => (await evaluate(d.stack, { ...by, ...r }, undefined, undefined, d.outside)).allowed;
    const readRole = { who: 'ReadRole', principal: `arn:aws:sts::444455556666:assumed-role/ittmon-read-${settings.stackName}/ittmon-ingest`, because: 'second case' };
    const key = settings.logSources.find((s) => s.account)!.kmsKeyArn!;
    expect([
      await allowed({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['COLLECTOR#box'] } }, as('collect')),
      await allowed({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['COLLECTOR#github'] } }, as('collect')),
      await allowed({ action: 's3:GetObject', resource: 'arn:aws:s3:::acme-org-cloudtrail/AWSLogs/x.json', context: {} }, as('ingest-object')),
      await allowed({ action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }, readRole),
      await allowed({ action: 'kms:Decrypt', resource: key, context: {} }, readRole),
    ]).toEqual([true, false, false, true, false]);
  });
});

describePermissions('configured-sources', () => d, ['ingest-object', 'collect', 'gitlab-stream'], { grants: 'functions' });

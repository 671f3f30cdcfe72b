import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorSource } from '#shared/collect/types.ts';
import { loadStackSettings } from '../../infra/settings.ts';
import { SOURCES_SETTINGS, synthesize } from '#test/aws/assembly.ts';
import { LocalDeployment } from '#test/aws/deployment.ts';
import { ACCOUNT, REGION } from '#test/aws/stack-model.ts';
import { evaluate, identityOf, type AccessRequest } from '#test/aws/iam.ts';
import { describePermissions } from '#test/policy/permissions.ts';
import { repoRoot } from '#test/helpers.ts';
import { BoxApi, GitHubApi, GitLabApi, GoogleApi, M365Api, serviceAccount, times, type LoopbackApi } from '../integration/collectors/apis.ts';

/**
 * The stack with log buckets it does not create (test/aws/stack.sources.test.yaml): a plain one and
 * an SSE-KMS one in this account, an SSE-KMS one in another account read through the role of that
 * account's stack, one in a third account read through its own bucket policy; a collector of each
 * pulled source (against the loopback APIs of the collectors' own tests) and the GitLab stream
 * receiver. Each function runs from its bundle as in test/bundle/bundles.test.ts; then the policy
 * tests evaluate what these runs did, the read role's calls against the source account's
 * synthesized template, and the bucket and key uses against the bucket and key policies the
 * sources' owners would write (deployment.ts trailKeyPolicy, readerBucketPolicy).
 */
const settings = loadStackSettings(SOURCES_SETTINGS);
const READ_ROLE = `arn:aws:iam::444455556666:role/ittmon-read-${settings.stackName}`;
const GITLAB_TOKEN = 'stream-token-0123456789';
const PULLED: CollectorSource[] = ['box', 'm365', 'github', 'gdrive', 'gitlab'];
let d: LocalDeployment;
const apis: LoopbackApi[] = [];

/** Each source's API on loopback with five downloads of HGV files in the last hours, and the secret naming it. */
async function vendor(source: CollectorSource, at: string[]): Promise<{ api: LoopbackApi; secret: unknown }> {
  switch (source) {
    case 'box': {
      const api = await new BoxApi('box-client', 'box-secret', '1234567').start();
      api.events = at.map((t, i) => ({ type: 'event', event_id: `box-b${i}`, event_type: 'DOWNLOAD', created_at: t, ip_address: '128.101.1.1', created_by: { type: 'user', id: `110${i}`, name: `User ${i}`, login: `user${i}@northfield.edu` }, source: { item_type: 'file', item_id: `55${i}`, item_name: `HGV run ${i}.step`, parent: { type: 'folder', name: 'HGV', id: '77' } } }));
      return { api, secret: { clientId: 'box-client', clientSecret: 'box-secret', enterpriseId: '1234567', apiUrl: api.url } };
    }
    case 'm365': {
      const api = await new M365Api('contoso-tenant', 'app-id', 's3cret').start();
      const records = at.map((t, i) => ({ Id: `m365-${i}`, CreationTime: t.replace(/\.\d{3}Z$/, ''), Operation: 'FileDownloaded', RecordType: 6, Workload: 'SharePoint', UserType: 0, UserId: `user${i}@northfield.edu`, ClientIP: '128.101.1.1', ObjectId: `https://northfield.sharepoint.com/sites/hgv/Shared Documents/run-${i}.step`, SourceFileName: `run-${i}.step`, OrganizationId: 'b86ab9d4', ItemType: 'File', EventSource: 'SharePoint' }));
      // Content blobs of three and two records, each made available a minute after its newest record.
      for (const part of [records.slice(0, 3), records.slice(3)]) api.addBlob(new Date(Date.parse(`${part.at(-1)!.CreationTime}Z`) + 60_000).toISOString(), part);
      return { api, secret: { tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 's3cret', apiUrl: api.url, loginUrl: api.url } };
    }
    case 'github': {
      const api = await new GitHubApi().start();
      api.events = at.map((t, i) => ({ '@timestamp': Date.parse(t), _document_id: `gh-${i}`, action: 'git.clone', actor: `dev${i}`, actor_id: 100 + i, org: 'acme', repo: 'acme/hgv-solver', repository: 'acme/hgv-solver', transport_protocol_name: 'http', repository_public: false, created_at: Date.parse(t) }));
      return { api, secret: { org: 'acme', token: 'ghp_test', apiUrl: api.url } };
    }
    case 'gdrive': {
      const api = await new GoogleApi().start();
      const sa = serviceAccount(`${api.url}/token`);
      api.publicKey = sa.publicKey;
      api.activities = at.map((t, i) => ({ kind: 'admin#reports#activity', id: { time: t, uniqueQualifier: `-${900000 + i}`, applicationName: 'drive', customerId: 'C03az79cb' }, etag: '"x"', actor: { email: `user${i}@northfield.edu`, profileId: `1${i}` }, ipAddress: '128.101.1.1', events: [{ type: 'access', name: 'download', parameters: [{ name: 'doc_id', value: `doc-${i}` }, { name: 'doc_title', value: `HGV run ${i}.step` }, { name: 'doc_type', value: 'unknown' }, { name: 'visibility', value: 'private' }] }] }));
      return { api, secret: { serviceAccount: sa.key, subject: 'admin@acme.edu', apiUrl: api.url } };
    }
    case 'gitlab': {
      const api = await new GitLabApi().start();
      api.events = at.map((t, i) => ({ id: 500 + i, author_id: 12, entity_id: 7, entity_type: 'Project', details: { author_name: 'lwei', author_class: 'User', custom_message: { protocol: 'http', action: 'git-upload-pack' }, ip_address: '128.101.1.1', entity_path: 'acme/hgv-solver' }, event_name: 'repository_git_operation', ip_address: '128.101.1.1', created_at: t }));
      return { api, secret: { token: 'glpat-test', url: api.url } };
    }
  }
}

beforeAll(async () => {
  d = await LocalDeployment.start(await synthesize({ settingsFile: SOURCES_SETTINGS }), settings);
  const recent = times(new Date(Date.now() - 3 * 3_600_000).toISOString(), 5, 10);
  // The secrets the settings name, by the names the template gives the functions.
  for (const c of settings.collectors) {
    const { api, secret } = await vendor(c.source, recent);
    apis.push(api);
    d.secret(c.secretName, JSON.stringify(secret));
  }
  d.secret(settings.gitlabStreamTokenSecret!, GITLAB_TOKEN);
}, 600_000);
afterAll(async () => {
  for (const api of apis) await api.stop();
  await d?.close();
});

describe('ingest-object: log buckets the stack does not create', () => {
  const trail = 'cloudtrail/111122223333_CloudTrail_us-east-1_20261015T1215Z_Qm3xV8kP2sLd9TfA.json';
  const cases: [string, string, string][] = [
    ['a plain bucket of this account', 'nfu-s3-access-logs', 's3-access/nfu-aero-research-2026-10-14-00-00-00-5E1A7C9B3D2F4A6E.log'],
    ['an SSE-KMS bucket of this account', 'nfu-org-cloudtrail', trail],
    ['an SSE-KMS bucket of another account, through its read role', 'acme-org-cloudtrail', trail],
    ['an SSE-KMS bucket of a third account, through its bucket policy', 'lab-partner-trail', trail],
  ];
  const otherAccount = (bucket: string) => !!settings.logSources.find((s) => s.bucket === bucket)?.account;
  for (const [what, bucket, file] of cases) {
    it(`reads ${what} (${bucket}), notified as the stacks configure it`, async () => {
      // Another account's bucket notifies through that account's stack (its prefix is the settings').
      const prefix = otherAccount(bucket) ? settings.logSources.find((s) => s.bucket === bucket)!.prefix : d.notifiedBucket(bucket).prefix;
      const key = `${prefix}${file}`;
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

describe('collect (EventBridge Scheduler → Lambda): each pulled source against its API on loopback', () => {
  for (const source of PULLED) {
    it(`${source}: stores the pages under collected/${source}/ and its checkpoint COLLECTOR#${source}, with its own secret; ingest reads every record of them`, async () => {
      const [result] = await d.invoke(`collect-${source}`, [{}]);
      expect(result).toMatchObject({ records: 5, partial: false });
      const bucket = d.function(`collect-${source}`).props.Environment.Variables.COLLECTED_BUCKET as string;
      const keys = ((await d.aws.s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `collected/${source}/` }))).Contents ?? []).map((o) => o.Key!);
      expect(keys.length).toBe(result.pages);
      const checkpoint = await d.aws.dynamo.client.send(new GetItemCommand({ TableName: d.stack.ofType('AWS::DynamoDB::Table')[0]!.ref, Key: { pk: { S: `COLLECTOR#${source}` }, sk: { S: 'CHECKPOINT' } } }));
      expect(checkpoint.Item?.position?.S).toBeDefined();
      expect(await d.invoke('ingest-object', [await d.s3Event(bucket, keys)])).toEqual([{ batchItemFailures: [] }]);
      const counted = (await d.store.allObjectCounts()).filter((c) => c.object.includes(`collected/${source}/`));
      expect(counted.reduce((n, c) => n + c.records, 0)).toBe(5);
    }, 120_000);
  }
  it('fails, naming the variable, when the collector\'s secret name is missing; naming the secret when it holds no credentials', async () => {
    const run = async (breakIt: (env: Record<string, string>) => void) => {
      const sandbox = d.sandbox('collect-github');
      try {
        breakIt(sandbox.env);
        const { results, logs } = await sandbox.invoke([{}]);
        return { ok: results[0]?.ok, said: `${results[0]?.errorMessage ?? ''}\n${logs}` };
      } finally {
        sandbox.close();
      }
    };
    const unnamed = await run((env) => { delete env.COLLECTOR_SECRET_NAME; });
    expect(unnamed.ok).toBe(false);
    expect(unnamed.said).toMatch(/COLLECTOR_SECRET_NAME/);
    const empty = await run((env) => { env.COLLECTOR_SECRET_NAME = 'ittmon/nothing-here'; });
    expect(empty.ok).toBe(false);
    expect(empty.said).toMatch(/ittmon\/nothing-here/);
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
      await allowed({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['COLLECTOR#box'] } }, as('collect-box')),
      await allowed({ action: 'dynamodb:PutItem', resource: table, context: { 'dynamodb:LeadingKeys': ['COLLECTOR#github'] } }, as('collect-box')),
      await allowed({ action: 's3:GetObject', resource: 'arn:aws:s3:::acme-org-cloudtrail/AWSLogs/x.json', context: {} }, as('ingest-object')),
      await allowed({ action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }, readRole),
      await allowed({ action: 'kms:Decrypt', resource: key, context: {} }, readRole),
    ]).toEqual([true, false, false, true, false]);
  });
  it('a bucket of another account read through its policy: the owner\'s bucket policy and key policy are both needed (cross-account), and cover only the prefix and reads through S3; a collector reads only its own secret', async () => {
    const as = (fn: string) => { const { fn: f, sessionArn } = identityOf(d.stack, d.function(fn as never).id); return { who: f.id, principal: sessionArn, because: 'second case' }; };
    const source = settings.logSources.find((s) => s.access === 'bucket-policy')!;
    const ingest = as('ingest-object');
    const verdict = async (action: string, resource: string, context: Record<string, string>, resourcePolicy?: null) => (await evaluate(d.stack, { ...ingest, action, resource, context }, undefined, resourcePolicy, d.outside)).allowed;
    const object = `arn:aws:s3:::${source.bucket}/${source.prefix}x.json`;
    const viaS3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
    const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
    expect([
      await verdict('s3:GetObject', object, { 's3:ResourceAccount': source.account! }),
      await verdict('s3:GetObject', object, { 's3:ResourceAccount': source.account! }, null),
      await verdict('s3:GetObject', `arn:aws:s3:::${source.bucket}/private/x.json`, { 's3:ResourceAccount': source.account! }),
      await verdict('kms:Decrypt', source.kmsKeyArn!, viaS3),
      await verdict('kms:Decrypt', source.kmsKeyArn!, viaS3, null),
      await verdict('kms:Decrypt', source.kmsKeyArn!, { 'kms:CallerAccount': ACCOUNT }),
      (await evaluate(d.stack, { ...as('collect-m365'), action: 'secretsmanager:GetSecretValue', resource: secret('ittmon/m365'), context: {} })).allowed,
      (await evaluate(d.stack, { ...as('collect-m365'), action: 'secretsmanager:GetSecretValue', resource: secret('ittmon/box'), context: {} })).allowed,
    ]).toEqual([true, false, false, true, false, false, true, false]);
  });
});

// The hand-off to the large-object task and the self-continuation need a lowered limit, not a log
// source of another kind: they run once, in the created-log-bucket stack.
describePermissions('configured-sources', () => d, ['ingest-object', ...PULLED.map((p) => `collect-${p}`), 'gitlab-stream'], {
  grants: 'functions',
  runElsewhere: { 'ingest-object sqs:SendMessage IngestionQueue': 'test/bundle/bundles.test.ts', 'ingest-object states:StartExecution LargeObjectsStateMachine': 'test/bundle/bundles.test.ts' },
});
